#include "server/wal_record.h"

#include <algorithm>
#include <cstring>
#include <span>

#include "base/checksum.h"
#include "base/coding.h"

namespace larder::server {
namespace {

constexpr std::size_t kReadChunk = std::size_t{256} << 10;

}  // namespace

Status AppendWalRecord(std::uint64_t seq, const kv::WriteBatch& batch, std::string* out) {
  const std::size_t start = out->size();
  out->append(kWalHeaderSize, '\0');  // CRC and length are filled in below
  PutVarint64(out, batch.Count());
  for (const kv::WriteBatch::Entry& e : batch) {
    out->push_back(static_cast<char>(e.op));
    PutLengthPrefixed(out, e.key);
    if (e.op == kv::WriteBatch::Op::kPut) PutLengthPrefixed(out, e.value);
  }
  const std::size_t payload = out->size() - start - kWalHeaderSize;
  if (payload > kWalMaxPayload) {
    out->resize(start);
    return Status::InvalidArgument("write-ahead log: batch too large for one record");
  }
  char* h = out->data() + start;
  const auto len = static_cast<std::uint32_t>(payload);
  std::memcpy(h + 4, &len, 4);
  std::memcpy(h + 8, &seq, 8);
  const std::uint32_t crc = crc32c::MaskedValue(std::string_view(h + 4, out->size() - start - 4));
  std::memcpy(h, &crc, 4);
  return Status::Ok();
}

Status DecodeWalPayload(std::string_view payload, kv::WriteBatch* batch) {
  batch->Clear();
  std::uint64_t count = 0;
  if (!GetVarint64(&payload, &count)) return Status::Corruption("wal record: bad entry count");
  for (std::uint64_t i = 0; i < count; ++i) {
    if (payload.empty()) return Status::Corruption("wal record: fewer entries than counted");
    const auto op = static_cast<kv::WriteBatch::Op>(payload[0]);
    payload.remove_prefix(1);
    std::string_view key, value;
    if (!GetLengthPrefixed(&payload, &key)) return Status::Corruption("wal record: bad key");
    if (op == kv::WriteBatch::Op::kPut) {
      if (!GetLengthPrefixed(&payload, &value)) return Status::Corruption("wal record: bad value");
      batch->Put(key, value);
    } else if (op == kv::WriteBatch::Op::kDelete) {
      batch->Delete(key);
    } else {
      return Status::Corruption("wal record: unknown op");
    }
  }
  if (!payload.empty()) return Status::Corruption("wal record: bytes after the last entry");
  return Status::Ok();
}

Result<bool> WalFileReader::Fill(std::uint64_t pos, std::size_t n) {
  if (pos > size_ || n > size_ - pos) return false;
  if (pos >= buf_pos_ && pos + n <= buf_pos_ + buf_.size()) return true;
  // Read from `pos`: at least n bytes, a chunk when the file has it.
  const std::size_t want =
      static_cast<std::size_t>(std::min<std::uint64_t>(size_ - pos, std::max(n, kReadChunk)));
  buf_.resize(want);
  LARDER_ASSIGN_OR_RETURN(
      std::size_t got,
      file_->ReadAt(pos, {reinterpret_cast<std::uint8_t*>(buf_.data()), buf_.size()}));
  buf_.resize(got);
  buf_pos_ = pos;
  return got >= n;
}

Result<bool> WalFileReader::Next(std::uint64_t expected_seq, std::uint64_t* seq,
                                 std::string_view* payload) {
  const std::uint64_t pos = good_end_;
  LARDER_ASSIGN_OR_RETURN(bool have_header, Fill(pos, kWalHeaderSize));
  if (!have_header) return false;
  std::string_view header(buf_.data() + (pos - buf_pos_), kWalHeaderSize);
  std::uint32_t masked = 0, len = 0;
  std::uint64_t s = 0;
  (void)GetFixed32(&header, &masked);
  (void)GetFixed32(&header, &len);
  (void)GetFixed64(&header, &s);
  if (s != expected_seq) return false;
  LARDER_ASSIGN_OR_RETURN(bool whole, Fill(pos, kWalHeaderSize + std::size_t{len}));
  if (!whole) return false;
  const std::string_view record(buf_.data() + (pos - buf_pos_), kWalHeaderSize + len);
  if (masked != crc32c::MaskedValue(record.substr(4))) return false;
  *seq = s;
  *payload = record.substr(kWalHeaderSize);
  good_end_ = pos + kWalHeaderSize + len;
  return true;
}

}  // namespace larder::server
