// The pieces of the sorted-table file format shared by the builder and the reader: block
// handles, the block trailer, the footer, compression, the properties block
// (docs/formats/lsm.md, "Sorted tables").
//
// Thread-safety: pure functions and values.
#ifndef LARDER_LSM_TABLE_FORMAT_H_
#define LARDER_LSM_TABLE_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "larder/file_system.h"
#include "larder/lsm/options.h"
#include "larder/result.h"
#include "larder/status.h"

namespace larder::lsm {

// Where a block's payload lies in the file. `size` excludes the 5-byte trailer that follows.
// A handle {0, 0} in the footer means "no such block".
struct BlockHandle {
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  bool empty() const { return offset == 0 && size == 0; }
};
void PutBlockHandle(std::string* dst, BlockHandle h);  // two varint64
bool GetBlockHandle(std::string_view* in, BlockHandle* h);

// After each block: 1 byte compression type, fixed32 masked CRC32C of payload + type byte.
inline constexpr std::size_t kBlockTrailerSize = 5;
// Sanity bound on one stored block (the reader refuses larger handles before allocating).
inline constexpr std::uint64_t kMaxBlockSize = std::uint64_t{1} << 31;

// The last 8 bytes of every table: ASCII "LarderST".
inline constexpr std::uint64_t kTableMagic = 0x545372656472614cull;
inline constexpr std::uint32_t kTableFormatVersion = 1;

// The fixed-size end of every table:
//   4 handles (index, filter, properties, range deletions) as fixed64 offset + fixed64 size,
//   fixed32 format version, fixed32 masked CRC32C of the 68 bytes before it, fixed64 magic.
struct Footer {
  static constexpr std::size_t kSize = 4 * 16 + 4 + 4 + 8;
  BlockHandle index;
  BlockHandle filter;
  BlockHandle properties;
  BlockHandle range_deletions;
  std::uint32_t version = kTableFormatVersion;

  void EncodeTo(std::string* dst) const;
  // Corruption (or NotSupported for another version) naming `file`.
  static Result<Footer> Decode(std::string_view in, std::string_view file);
};

// Counters of one table, stored in its properties block as tagged fields: tags 1..63 carry a
// varint64, tags from 64 a length-prefixed byte string; readers skip tags they do not know.
struct TableProperties {
  std::uint64_t num_entries = 0;          // entries of the data blocks
  std::uint64_t num_deletions = 0;        // point tombstones (kDeletion)
  std::uint64_t num_range_deletions = 0;  // entries of the range-deletion block
  std::uint64_t raw_key_bytes = 0;        // internal keys of data entries, uncompressed
  std::uint64_t raw_value_bytes = 0;
  std::uint64_t data_bytes = 0;    // data blocks on disk, trailers included
  std::uint64_t index_bytes = 0;   // the index block on disk, trailer included
  std::uint64_t filter_bytes = 0;  // the filter block on disk, trailer included
  std::uint64_t smallest_seq = 0;  // over every entry, range deletions included (0 if none)
  std::uint64_t largest_seq = 0;
  std::uint64_t num_pointer_values = 0;  // kValuePointer and kExpiringPointer entries
  std::uint64_t num_data_blocks = 0;
  std::uint64_t compression = 0;  // the TableOptions::compression it was built with
  // (value-log file number, bytes of the values this table's pointers name in it), ascending by
  // file number: which value-log files the table keeps alive, and how much of each.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> pointer_bytes_by_vlog;

  void EncodeTo(std::string* dst) const;
  [[nodiscard]] Status DecodeFrom(std::string_view in);
};

// Block compression. Compress returns false when the codec failed or saved less than 1/8 of
// the input (the block is then stored uncompressed). A compressed payload is varint64
// uncompressed size, then the codec's output.
bool CompressBlock(Compression type, std::string_view raw, std::string* out);
// Checks the payload against `type` and inflates it. Corruption messages lack the file name
// (the caller adds it).
[[nodiscard]] Status UncompressBlock(std::uint8_t type, std::string_view payload, std::string* out);

// Reads the block at `h` from `file`: the payload and its trailer, the CRC (when `verify`),
// the decompression. The result is the uncompressed block. Errors name the file, the block's
// kind (`what`: "data", "index", ...) and its offset.
Result<std::string> ReadBlockContents(File& file, BlockHandle h, bool verify,
                                      std::string_view what = "data");

// The same for a block already in memory: `raw` is the block at `h` with its trailer (h.size +
// kBlockTrailerSize bytes, e.g. in a table's memory mapping). Returns a view of the payload in
// `raw` when the block is stored uncompressed, else a view of *inflated, which receives the
// uncompressed block. Errors as ReadBlockContents's, naming `file`.
Result<std::string_view> UnwrapBlock(std::span<const std::uint8_t> raw, BlockHandle h, bool verify,
                                     std::string_view file, std::string_view what,
                                     std::string* inflated);

}  // namespace larder::lsm

#endif  // LARDER_LSM_TABLE_FORMAT_H_
