#include "lsm/log_writer.h"

#include <fmt/format.h>

#include <cstring>

#include "base/coding.h"
#include "lsm/vlog_pointer.h"
#include "lsm/write_batch_internal.h"

namespace larder::lsm {

LogWriter::LogWriter(std::unique_ptr<AppendWriter> dest) : dest_(std::move(dest)) {}

Status LogWriter::AddRecord(LogRecordType type, std::string_view payload,
                            std::uint64_t* record_offset) {
  if (payload.size() > kMaxRecordSize) {
    return Status::InvalidArgument(
        fmt::format("{}: a log record of {} bytes exceeds the {}-byte limit", path(),
                    payload.size(), kMaxRecordSize));
  }
  std::uint8_t header[kLogHeaderSize];
  EncodeLogHeader(header, type, payload);
  if (record_offset != nullptr) *record_offset = dest_->size();
  LARDER_RETURN_IF_ERROR(dest_->Append({header, kLogHeaderSize}));
  return dest_->Append(payload);
}

Status LogWriter::Sync() {
  LARDER_RETURN_IF_ERROR(dest_->Sync());
  NoteSynced(dest_->size());
  return Status::Ok();
}

void LogWriter::NoteSynced(std::uint64_t offset) {
  std::uint64_t seen = synced_size_.load();
  while (seen < offset && !synced_size_.compare_exchange_weak(seen, offset)) {
  }
}

Status LogWriter::AddSyncMarkIfBehind() {
  const std::uint64_t synced = synced_size_.load();
  if (synced <= marked_size_) return Status::Ok();
  char payload[kSyncMarkPayloadSize];
  StoreU64(reinterpret_cast<std::uint8_t*>(payload), synced);
  LARDER_RETURN_IF_ERROR(AddRecord(LogRecordType::kSyncMark, {payload, sizeof payload}));
  marked_size_ = synced;
  return Status::Ok();
}

namespace {

bool HasLargeValue(const WriteBatch& batch, std::size_t threshold) {
  if (threshold == 0 || batch.ByteSize() < threshold) return false;
  bool found = false;
  // Only the length matters here; a malformed batch is caught when it is stored.
  (void)WriteBatchInternal::ForEach(batch, [&](const WriteBatchEntry& e) {
    const std::size_t n = e.type == ValueType::kExpiringValue ? e.value.size() - 8 : e.value.size();
    if ((e.type == ValueType::kValue || e.type == ValueType::kExpiringValue) && n >= threshold) {
      found = true;
      return Status::Busy("found");  // stops the walk
    }
    return Status::Ok();
  });
  return found;
}

}  // namespace

Status AddBatchRecord(LogWriter* log, std::uint64_t file_number, const WriteBatch& batch,
                      std::size_t value_threshold, WriteBatch* scratch, const WriteBatch** stored,
                      std::uint64_t* batch_offset) {
  LARDER_RETURN_IF_ERROR(log->AddSyncMarkIfBehind());
  *stored = &batch;
  if (HasLargeValue(batch, value_threshold)) {
    WriteBatchInternal::Reset(scratch, WriteBatchInternal::Sequence(batch));
    char ptr_buf[8 + VlogPointer::kMaxEncodedLength];
    LARDER_RETURN_IF_ERROR(WriteBatchInternal::ForEach(batch, [&](const WriteBatchEntry& e) {
      const bool expiring = e.type == ValueType::kExpiringValue;
      const std::string_view value = expiring ? e.value.substr(8) : e.value;
      if ((e.type != ValueType::kValue && !expiring) || value.size() < value_threshold) {
        WriteBatchInternal::AppendEntry(scratch, e.type, e.key, e.value);
        return Status::Ok();
      }
      VlogPointer ptr{file_number, 0, static_cast<std::uint32_t>(value.size())};
      LARDER_RETURN_IF_ERROR(log->AddRecord(LogRecordType::kValue, value, &ptr.offset));
      std::size_t n = 0;
      if (expiring) {
        std::memcpy(ptr_buf, e.value.data(), 8);  // the expiry
        n = 8;
      }
      n += ptr.EncodeTo(ptr_buf + n);
      WriteBatchInternal::AppendEntry(
          scratch, expiring ? ValueType::kExpiringPointer : ValueType::kValuePointer, e.key,
          std::string_view(ptr_buf, n));
      return Status::Ok();
    }));
    *stored = scratch;
  }
  return log->AddRecord(LogRecordType::kBatch, WriteBatchInternal::Contents(**stored),
                        batch_offset);
}

}  // namespace larder::lsm
