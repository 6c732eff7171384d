#include "lsm/log_replay.h"

#include <fmt/format.h>

#include "lsm/vlog_pointer.h"
#include "lsm/write_batch_internal.h"

namespace larder::lsm {

LogReplayer::LogReplayer(File* file, std::uint64_t file_number, std::uint64_t file_size)
    : file_(file), file_number_(file_number), reader_(file, 0, file_size) {}

Status LogReplayer::CheckBatch(std::string_view batch, std::uint32_t* count,
                               SequenceNumber* first) {
  WriteBatchReader reader(batch);
  WriteBatchEntry e;
  while (reader.Next(&e)) {
    if (e.type != ValueType::kValuePointer && e.type != ValueType::kExpiringPointer) continue;
    VlogPointer ptr;
    (void)ptr.Decode(e.type == ValueType::kValuePointer ? e.value : e.value.substr(8));
    if (ptr.file_number != file_number_) continue;  // another file: checked when read
    const auto it = values_.find(ptr.offset);
    if (it == values_.end() || it->second != ptr.length) {
      return Status::Corruption(
          fmt::format("a value pointer to offset {} ({} bytes) names no value record before it",
                      ptr.offset, ptr.length));
    }
  }
  *count = reader.count();
  *first = reader.sequence();
  return reader.status();
}

bool LogReplayer::NextBatch(std::string_view* batch, std::uint64_t* record_offset) {
  if (end_ != LogReader::End::kNone) return false;
  LogRecordType type;
  std::string_view payload;
  std::uint64_t offset = 0;
  while (reader_.ReadRecord(&type, &payload, &offset)) {
    if (type == LogRecordType::kValue) {
      values_[offset] = static_cast<std::uint32_t>(payload.size());
      continue;
    }
    if (type == LogRecordType::kSyncMark) continue;  // for recovery's damage verdict only
    std::uint32_t count = 0;
    SequenceNumber first = 0;
    Status s = CheckBatch(payload, &count, &first);
    if (!s.ok()) {
      end_ = LogReader::End::kCorruption;
      status_ = s.WithContext(fmt::format("{}: batch record at offset {}", file_->path(), offset));
      return false;
    }
    ++batches_;
    entries_ += count;
    if (count > 0) last_sequence_ = first + count - 1;
    end_offset_ = reader_.end_offset();
    *batch = payload;
    if (record_offset != nullptr) *record_offset = offset;
    return true;
  }
  end_ = reader_.end();
  status_ = reader_.status();
  // A clean end after value records no batch points to is still cut there.
  if (end_ == LogReader::End::kEndOfFile && end_offset_ != reader_.end_offset()) {
    end_ = LogReader::End::kTornTail;
    status_ = Status::Corruption(fmt::format(
        "{}: offset {}: value records without their batch at the end of the log (torn tail)",
        file_->path(), end_offset_));
  }
  return false;
}

}  // namespace larder::lsm
