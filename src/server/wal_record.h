// The write-ahead log's record format (docs/formats/larderd.md, "Write-ahead log"), and a
// sequential reader of one log file that stops at the first record it cannot trust.
//
// A record, all integers little-endian:
//   masked CRC32C (4 bytes) | payload length (4) | sequence (8) | payload
// The CRC covers the length, the sequence and the payload (everything after the CRC), masked as
// in base/checksum.h. The payload is one kv::WriteBatch: varint entry count, then per entry the
// op byte (1 put, 2 delete), varint key length, key, and for a put varint value length, value.
//
// Thread-safety: the functions are pure; a WalFileReader is used by one thread at a time.
#ifndef LARDER_SERVER_WAL_RECORD_H_
#define LARDER_SERVER_WAL_RECORD_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "larder/file_system.h"
#include "larder/kv.h"
#include "larder/result.h"
#include "larder/status.h"

namespace larder::server {

inline constexpr std::size_t kWalHeaderSize = 16;
// The largest payload a record may hold (the length field is 32 bits; larger batches are
// refused with InvalidArgument rather than split).
inline constexpr std::size_t kWalMaxPayload = std::size_t{0xffffffff};

// Appends the record of (seq, batch) to *out. Errors: InvalidArgument when the batch's encoding
// exceeds kWalMaxPayload (nothing appended).
Status AppendWalRecord(std::uint64_t seq, const kv::WriteBatch& batch, std::string* out);

// Decodes a record's payload into *batch (cleared first). Errors: Corruption.
Status DecodeWalPayload(std::string_view payload, kv::WriteBatch* batch);

// Reads one log file's records front to back.
class WalFileReader {
 public:
  // REQUIRES: `file` outlives the reader. `size`: the file's size.
  WalFileReader(File* file, std::uint64_t size) : file_(file), size_(size) {}

  // The next record, when it is whole, its CRC matches and its sequence is `expected_seq`:
  // true with *seq and *payload set (the payload view is valid until the next call). False at
  // the end of the good records (end of file, torn or damaged record, unexpected sequence):
  // good_end() then tells where they end. Errors: I/O errors reading the file.
  Result<bool> Next(std::uint64_t expected_seq, std::uint64_t* seq, std::string_view* payload);

  // The offset just past the last good record returned.
  std::uint64_t good_end() const { return good_end_; }
  std::uint64_t size() const { return size_; }

 private:
  // Makes [pos, pos + n) of the file available in buf_ (false when the file is shorter).
  Result<bool> Fill(std::uint64_t pos, std::size_t n);

  File* file_;
  std::uint64_t size_;
  std::uint64_t good_end_ = 0;
  std::string buf_;  // file bytes [buf_pos_, buf_pos_ + buf_.size())
  std::uint64_t buf_pos_ = 0;
};

}  // namespace larder::server

#endif  // LARDER_SERVER_WAL_RECORD_H_
