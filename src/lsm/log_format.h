// The value log's record framing (the value log is also the engine's write-ahead log).
//
// A log file is a sequence of records, back to back from offset 0, with no blocks and no
// padding:
//
//   offset  size  field
//   0       4     masked CRC32C (crc32c::Mask) of bytes 4..8 of the header, then the payload
//   4       4     payload length, little-endian (at most kMaxRecordSize)
//   8       1     record type (LogRecordType)
//   9       n     payload
//
// A kBatch payload is a write batch's bytes (write_batch_internal.h); a kValue payload is one
// large value, written before the kBatch record whose entry points to it (vlog_pointer.h), in
// the same append. A kSyncMark payload is 8 bytes, little-endian: an offset of this file up to
// which an fdatasync had returned when the mark was appended (the first append after each sync
// starts with one). Recovery uses marks to tell damage to synced records, which a power loss
// cannot cause, from a torn unsynced tail (log_sync_mark.h). Recovery reads records in order and
// stops at the first one that is not intact (log_reader.h): it never resynchronises, so there are
// no blocks to resynchronise on. The full description is in docs/formats/lsm.md, "Value log and
// write batches".
//
// Thread-safety: constants and pure functions.
#ifndef LARDER_LSM_LOG_FORMAT_H_
#define LARDER_LSM_LOG_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "base/checksum.h"
#include "base/coding.h"

namespace larder::lsm {

// Stored in files: never renumber. 0 is never written, so that a zeroed tail reads as no record.
enum class LogRecordType : std::uint8_t {
  kBatch = 1,     // a write batch
  kValue = 2,     // one value, pointed to by a later batch's entry
  kSyncMark = 3,  // the file was durable up to the offset in the payload
};

inline constexpr std::size_t kSyncMarkPayloadSize = 8;

inline constexpr std::size_t kLogHeaderSize = 9;
// The largest payload a record may declare: larger lengths are corruption, never allocated.
inline constexpr std::uint32_t kMaxRecordSize = std::uint32_t{1} << 30;

inline bool IsValidLogRecordType(std::uint8_t t) {
  return t == static_cast<std::uint8_t>(LogRecordType::kBatch) ||
         t == static_cast<std::uint8_t>(LogRecordType::kValue) ||
         t == static_cast<std::uint8_t>(LogRecordType::kSyncMark);
}

// The masked CRC stored in a header whose bytes 4..8 are already filled in `header`.
inline std::uint32_t LogRecordCrc(const std::uint8_t* header, std::string_view payload) {
  std::uint32_t crc = crc32c::Value({header + 4, 5});
  crc = crc32c::Extend(crc, AsBytes(payload));
  return crc32c::Mask(crc);
}

// Fills a record header for `payload`. REQUIRES: payload.size() <= kMaxRecordSize.
inline void EncodeLogHeader(std::uint8_t* header, LogRecordType type, std::string_view payload) {
  StoreU32(header + 4, static_cast<std::uint32_t>(payload.size()));
  header[8] = static_cast<std::uint8_t>(type);
  StoreU32(header, LogRecordCrc(header, payload));
}

}  // namespace larder::lsm

#endif  // LARDER_LSM_LOG_FORMAT_H_
