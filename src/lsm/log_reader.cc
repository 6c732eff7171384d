#include "lsm/log_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "base/coding.h"

namespace larder::lsm {

std::string_view LogEndName(LogReader::End end) {
  switch (end) {
    case LogReader::End::kNone:
      return "not ended";
    case LogReader::End::kEndOfFile:
      return "end of file";
    case LogReader::End::kTornTail:
      return "torn tail";
    case LogReader::End::kCorruption:
      return "corruption";
    case LogReader::End::kIOError:
      return "I/O error";
  }
  return "?";
}

LogReader::LogReader(File* file, std::uint64_t offset, std::uint64_t file_size)
    : file_(file), pos_(offset), file_size_(file_size), buf_off_(offset) {}

bool LogReader::Stop(End why, std::string_view what) {
  end_ = why;
  if (why != End::kEndOfFile && status_.ok()) {
    status_ = Status::Corruption(fmt::format("{}: log record at offset {}: {} ({})", file_->path(),
                                             pos_, what, LogEndName(why)));
  }
  return false;
}

bool LogReader::Fill(std::size_t n) {
  const std::uint64_t buf_end = buf_off_ + buf_len_;
  if (pos_ >= buf_off_ && pos_ + n <= buf_end) return true;
  // Keep the bytes from pos_ on, read the rest. n is bounded by the file's size (callers check
  // it against file_size_ - pos_ first), so the buffer is too.
  std::size_t keep = 0;
  if (pos_ >= buf_off_ && pos_ < buf_end) {
    keep = static_cast<std::size_t>(buf_end - pos_);
    std::memmove(buf_.data(), buf_.data() + (pos_ - buf_off_), keep);
  }
  if (buf_.size() > 4 * kChunk && n <= kChunk) {
    // Past a huge record: give its memory back, keeping what the next record needs.
    keep = std::min(keep, kChunk);
    buf_.resize(kChunk);
    buf_.shrink_to_fit();
  }
  // A chunk, or what is left of the file if less: recovering a small log reads its few bytes
  // without zero-filling a chunk first.
  const std::size_t want =
      std::max(n, static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, file_size_ - pos_)));
  if (buf_.size() < want) buf_.resize(want);
  buf_off_ = pos_;
  buf_len_ = keep;
  const std::uint64_t left = file_size_ - (pos_ + keep);
  const std::size_t ask =
      static_cast<std::size_t>(std::min<std::uint64_t>(buf_.size() - keep, left));
  Result<std::size_t> got =
      file_->ReadAt(pos_ + keep, {reinterpret_cast<std::uint8_t*>(buf_.data()) + keep, ask});
  if (!got.ok()) {
    status_ = got.status();
    return Stop(End::kIOError, "read failed");
  }
  buf_len_ += *got;
  if (buf_len_ < n) {
    status_ = Status::IOError(fmt::format("{}: shorter than its size {} at offset {}",
                                          file_->path(), file_size_, pos_ + buf_len_));
    return Stop(End::kIOError, "short read");
  }
  return true;
}

bool LogReader::ZerosFrom(std::uint64_t from) {
  std::uint8_t chunk[4096];
  while (from < file_size_) {
    const auto n =
        static_cast<std::size_t>(std::min<std::uint64_t>(sizeof chunk, file_size_ - from));
    Result<std::size_t> got = file_->ReadAt(from, {chunk, n});
    if (!got.ok() || *got != n) return false;  // a real read error shows on the next record
    if (std::any_of(chunk, chunk + n, [](std::uint8_t b) { return b != 0; })) return false;
    from += n;
  }
  return true;
}

bool LogReader::ReadRecord(LogRecordType* type, std::string_view* payload,
                           std::uint64_t* record_offset) {
  if (end_ != End::kNone) return false;
  if (pos_ >= file_size_) {
    if (pos_ == file_size_) return Stop(End::kEndOfFile, "");
    return Stop(End::kCorruption, fmt::format("offset beyond the file's {} bytes", file_size_));
  }
  const std::uint64_t remaining = file_size_ - pos_;
  if (remaining < kLogHeaderSize) {
    return Stop(End::kTornTail, fmt::format("{} bytes, fewer than a header", remaining));
  }
  if (!Fill(kLogHeaderSize)) return false;
  const auto* h = reinterpret_cast<const std::uint8_t*>(buf_.data()) + (pos_ - buf_off_);
  const std::uint32_t length = LoadU32(h + 4);
  const std::uint8_t t = h[8];
  if (std::all_of(h, h + kLogHeaderSize, [](std::uint8_t b) { return b == 0; })) {
    if (ZerosFrom(pos_)) return Stop(End::kTornTail, "zeros to the end of the file");
    return Stop(End::kCorruption, "a zeroed header with data after it");
  }
  if (!IsValidLogRecordType(t)) {
    return Stop(End::kCorruption, fmt::format("unknown record type {}", t));
  }
  if (length > kMaxRecordSize) {
    return Stop(End::kCorruption, fmt::format("impossible length {}", length));
  }
  if (length > remaining - kLogHeaderSize) {
    return Stop(End::kTornTail, fmt::format("a {}-byte record cut off after {} bytes", length,
                                            remaining - kLogHeaderSize));
  }
  if (!Fill(kLogHeaderSize + length)) return false;
  h = reinterpret_cast<const std::uint8_t*>(buf_.data()) + (pos_ - buf_off_);
  const std::string_view body(reinterpret_cast<const char*>(h) + kLogHeaderSize, length);
  if (LoadU32(h) != LogRecordCrc(h, body)) {
    const std::uint64_t end = pos_ + kLogHeaderSize + length;
    if (ZerosFrom(end)) return Stop(End::kTornTail, "checksum mismatch in the last record");
    return Stop(End::kCorruption, "checksum mismatch");
  }
  *type = static_cast<LogRecordType>(t);
  *payload = body;
  if (record_offset != nullptr) *record_offset = pos_;
  pos_ += kLogHeaderSize + length;
  return true;
}

}  // namespace larder::lsm
