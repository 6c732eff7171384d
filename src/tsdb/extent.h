// Extents: several encoded pages (of any series) concatenated, compressed together and
// checksummed; the unit written to a datafile and read back by queries (docs/formats/tsdb.md,
// "Extents").
//
//   0  u32 magic "TSE1"      8  u32 raw (uncompressed) length
//   4  u8  compression       12 u32 stored length
//   5  u8  0                 16 stored bytes, then u32 masked CRC-32C of bytes [0, 16 + stored)
//   6  u16 page count
//
// Which pages lie where in the raw bytes is recorded in the journal, not here.
//
// Thread-safety: pure functions.
#ifndef LARDER_TSDB_EXTENT_H_
#define LARDER_TSDB_EXTENT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "larder/status.h"

namespace larder::tsdb {

enum class ExtentCompression : std::uint8_t { kNone = 0, kLz4 = 1, kZstd = 2 };

inline constexpr std::size_t kExtentHeaderSize = 16;
inline constexpr std::size_t kExtentTrailerSize = 4;
inline constexpr std::uint32_t kMaxExtentRaw = std::uint32_t{16} << 20;

// Compresses `raw` (REQUIRES: at most kMaxExtentRaw bytes) with `compression`, or stores it as
// is when that does not make it smaller.
std::string EncodeExtent(std::string_view raw, std::uint16_t pages, ExtentCompression compression);

// Checks and decompresses one whole extent into `*raw`. Corruption naming `file` and `offset`
// when anything is wrong.
Status DecodeExtent(std::string_view extent, std::string_view file, std::uint64_t offset,
                    std::string* raw);

}  // namespace larder::tsdb

#endif  // LARDER_TSDB_EXTENT_H_
