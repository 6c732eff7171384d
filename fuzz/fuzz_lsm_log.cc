// Arbitrary bytes as an LSM value-log file: read every record with LogReader, decode each batch
// (and the whole input as one batch) with WriteBatch::Iterate and WriteBatchReader, read the
// value record each pointer names with ReadValue, and scan past a damaged replay for a sync mark
// (FindSyncMarkCovering). A crash, a sanitizer report, or a broken reader
// contract (a record outside the file or not where the previous one ended, a status other than OK
// or Corruption, a prefix that does not read back the same) is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "larder/file_system.h"
#include "larder/lsm/write_batch.h"
#include "lsm/log_reader.h"
#include "lsm/log_replay.h"
#include "lsm/log_sync_mark.h"
#include "lsm/vlog_pointer.h"
#include "lsm/write_batch_internal.h"

namespace fuzz_lsm_log {

using namespace larder;
using namespace larder::lsm;

void Require(bool ok) {
  if (!ok) std::abort();
}

class CountingHandler : public WriteBatch::Handler {
 public:
  Status Put(std::string_view key, std::string_view value, std::uint64_t) override {
    bytes += key.size() + value.size();
    return Status::Ok();
  }
  Status Delete(std::string_view key) override {
    bytes += key.size();
    return Status::Ok();
  }
  Status DeleteRange(std::string_view begin, std::string_view end) override {
    bytes += begin.size() + end.size();
    return Status::Ok();
  }
  std::size_t bytes = 0;
};

void CheckBatch(File& file, std::string_view payload) {
  WriteBatch batch;
  WriteBatchInternal::SetContents(&batch, payload);
  CountingHandler handler;
  const Status s = batch.Iterate(&handler);
  Require(s.ok() || s.IsCorruption() || s.code() == Code::kNotSupported);
  Require(handler.bytes <= payload.size());
  std::string value;
  const Status raw = WriteBatchInternal::ForEach(payload, [&](const WriteBatchEntry& e) {
    std::string_view v = e.value;
    if (e.type == ValueType::kExpiringPointer) v.remove_prefix(8);
    if (e.type != ValueType::kValuePointer && e.type != ValueType::kExpiringPointer) {
      return Status::Ok();
    }
    VlogPointer ptr;
    Require(ptr.Decode(v));  // the reader validated it
    const Status r = ReadValue(file, ptr, &value);
    Require(r.ok() || r.IsCorruption());
    Require(!r.ok() || value.size() == ptr.length);
    return Status::Ok();
  });
  // Iterate stops at the first pointer (NotSupported) without looking further; otherwise both
  // walks agree.
  Require(!s.ok() || raw.ok());
  Require(!raw.ok() || s.ok() || s.code() == Code::kNotSupported);
}

// Reads the whole file; returns the number of records and the end offset.
std::size_t ReadLog(File& file, std::uint64_t size, bool decode, std::uint64_t* end_offset,
                    LogReader::End* end) {
  LogReader reader(&file, 0, size);
  LogRecordType type;
  std::string_view payload;
  std::uint64_t offset = 0, expect = 0;
  std::size_t n = 0;
  while (reader.ReadRecord(&type, &payload, &offset)) {
    Require(offset == expect);
    expect = offset + kLogHeaderSize + payload.size();
    Require(expect <= size);
    // A mark's payload is not checked by the reader (recovery's scan checks its length).
    Require(type == LogRecordType::kBatch || type == LogRecordType::kValue ||
            type == LogRecordType::kSyncMark);
    if (decode && type == LogRecordType::kBatch) CheckBatch(file, payload);
    ++n;
  }
  Require(reader.end() != LogReader::End::kNone);
  Require(reader.end_offset() == expect);
  Require(reader.status().ok() == (reader.end() == LogReader::End::kEndOfFile));
  *end_offset = expect;
  *end = reader.end();
  return n;
}

// Replays the file as recovery does; returns the batches and the end offset.
std::size_t Replay(File& file, std::uint64_t size, std::uint64_t* end_offset, LogReader::End* end) {
  LogReplayer replayer(&file, 1, size);
  std::string_view batch;
  std::uint64_t offset = 0;
  std::size_t n = 0;
  while (replayer.NextBatch(&batch, &offset)) {
    Require(WriteBatchInternal::Validate(batch).ok());
    Require(offset + kLogHeaderSize + batch.size() == replayer.end_offset());
    ++n;
  }
  Require(replayer.end_offset() <= size);
  Require(replayer.status().ok() == (replayer.end() == LogReader::End::kEndOfFile));
  *end_offset = replayer.end_offset();
  *end = replayer.end();
  return n;
}

}  // namespace fuzz_lsm_log

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fuzz_lsm_log;
  auto fs = larder::NewMemFileSystem(std::size_t{1} << 24);
  auto f = fs->Open("/000001.vlog", {.create = true});
  if (!f.ok() || !(*f)->WriteAt(0, {data, size}).ok()) return 0;
  std::uint64_t end_offset = 0;
  LogReader::End end;
  const std::size_t n = ReadLog(**f, size, /*decode=*/true, &end_offset, &end);
  // The same bytes as one batch: mutations rarely keep a record's checksum, so this is how the
  // batch decoder and ReadValue see damaged input.
  CheckBatch(**f, {reinterpret_cast<const char*>(data), size});
  // Recovery replays, then truncates at the replay's end offset: the prefix must replay the
  // same batches, cleanly.
  std::uint64_t replay_end = 0;
  const std::size_t batches = Replay(**f, size, &replay_end, &end);
  Require(replay_end <= end_offset);
  if (end != LogReader::End::kEndOfFile) {
    // Recovery's question after damage: does an intact sync mark past it cover it?
    auto mark = FindSyncMarkCovering(f->get(), replay_end, size);
    Require(mark.ok());
    if (mark->has_value()) {
      const SyncMarkHit& hit = **mark;
      Require(hit.offset > replay_end && hit.synced > replay_end && hit.synced <= hit.offset);
      Require(hit.offset + kLogHeaderSize + kSyncMarkPayloadSize <= size);
    }
    std::uint64_t again = 0;
    Require(Replay(**f, replay_end, &again, &end) == batches);
    Require(again == replay_end && end == LogReader::End::kEndOfFile);
  }
  // The reader alone, truncated at its end offset, reads back the same records, cleanly.
  Require(ReadLog(**f, size, /*decode=*/false, &end_offset, &end) == n);
  if (end != LogReader::End::kEndOfFile) {
    Require((*f)->Truncate(end_offset).ok());
    std::uint64_t again = 0;
    Require(ReadLog(**f, end_offset, /*decode=*/false, &again, &end) == n);
    Require(again == end_offset && end == LogReader::End::kEndOfFile);
  }
  return 0;
}
