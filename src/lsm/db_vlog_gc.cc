// Value-log garbage collection: automatic, on the background thread, from the discard
// statistics that compactions record in the MANIFEST.
//
// A value log that no memtable needs any more (numbered below the replay point) and whose
// discarded value bytes reach vlog_gc_discard_ratio of its size is collected:
//  1. its batches are read back (LogReplayer); every pointer entry into it whose key still
//     reads as exactly that pointer (the newest version, not covered by a newer range
//     tombstone) is live;
//  2. each live value is written again as an ordinary write (a new version, its value in the
//     current log) through the writer queue, with a WriteCheck: the write leader, with every
//     earlier write applied and no other write in between, checks that the key still points
//     where it did; a key deleted or overwritten meanwhile is not rewritten, so collection never
//     resurrects a deleted key;
//     The copies are written unsynced (a synced write would make every foreground writer of
//     its group wait for the fsync) and made durable together by one SyncWrites at the end:
//     the log may only be dropped once they are durable;
//  3. the log is dropped (a MANIFEST edit, then the file) once no snapshot older than the
//     rewrites is alive: only such a snapshot could still read the old pointers.
#include <algorithm>
#include <thread>
#include <utility>
#include <vector>

#include "lsm/db_impl.h"
#include "lsm/expiring_value.h"
#include "lsm/filename.h"
#include "lsm/log_replay.h"
#include "lsm/value_log_reader.h"
#include "lsm/version_set.h"
#include "lsm/vlog_pointer.h"
#include "lsm/write_batch_internal.h"

namespace larder::lsm {

namespace {

// The leader's check for a GC rewrite: every key still reads as the pointer it was copied from.
class StillPointsThere final : public DBImpl::WriteCheck {
 public:
  explicit StillPointsThere(const std::vector<GcValue>* values) : values_(values) {}
  Status Validate(DBImpl* db) override { return db->CheckValuesUnchanged(*values_); }

 private:
  const std::vector<GcValue>* values_;
};

}  // namespace

Status DBImpl::CheckValuesUnchanged(const std::vector<GcValue>& values) {
  std::shared_ptr<const ReadState> state = GetReadState();
  if (state == nullptr) return Status::InvalidArgument("closed");
  for (const GcValue& v : values) {
    Found f;
    LARDER_RETURN_IF_ERROR(FindNewest(*state, LookupKey(v.key, kMaxSequenceNumber), false, &f));
    if (!f.ok || f.type != v.type || f.value != v.stored) {
      return Status::Conflict("value moved since the collection read it");
    }
    LARDER_ASSIGN_OR_RETURN(SequenceNumber covering,
                            CoveringTombstone(*state, v.key, kMaxSequenceNumber));
    if (covering > f.seq) return Status::Conflict("value deleted since the collection read it");
  }
  return Status::Ok();
}

bool DBImpl::MaybeCollectValueLog() {
  // A collected log waits for the snapshots older than its rewrites. Its removal is applied
  // by one thread; the others leave the collection alone until it is done.
  if (gc_removing_) return false;
  if (gc_pending_log_ != 0) {
    if (!snapshots_.empty() && *snapshots_.begin() < gc_pending_seq_) return false;
    VersionEdit edit;
    edit.RemoveVlog(gc_pending_log_);
    gc_removing_ = true;
    Status s = ApplyEdit(&edit);
    gc_removing_ = false;
    if (!s.ok()) {
      bg_error_ = s;
      Poison(s);
      return false;
    }
    logs_with_values_.erase(gc_pending_log_);
    vlog_reader_->Forget(gc_pending_log_);
    gc_pending_log_ = 0;
    ++stats_.vlog_gc_runs;
    RebuildReadStateLocked();
    DeleteObsoleteFiles();
    return true;
  }
  if (options_.vlog_gc_discard_ratio <= 0) return false;
  const std::uint64_t replay_from = versions_->log_number();
  std::uint64_t victim = 0;
  for (const auto& [number, discarded] : versions_->current()->vlogs()) {
    if (number >= replay_from || discarded == 0) continue;
    auto size = fs_->FileSize(VlogFileName(dir_, number));
    if (!size.ok() || *size == 0) continue;
    if (static_cast<double>(discarded) >=
        options_.vlog_gc_discard_ratio * static_cast<double>(*size)) {
      victim = number;
      break;
    }
  }
  if (victim == 0 || gc_running_) return false;
  // The copies go through the writer queue, whose writers may wait for this thread (a flush):
  // they run on a thread of their own.
  gc_running_ = true;
  if (gc_thread_.joinable()) gc_thread_.join();  // the last one has finished
  gc_thread_ = std::thread([this, victim] {
    SequenceNumber last = 0;
    // A failed write poisoned the database already; anything else leaves the log as it is
    // (its values still readable), to be tried again.
    const Status s = RewriteLiveValues(victim, &last);
    MutexLock l(&mu_);
    gc_running_ = false;
    if (s.ok()) {
      gc_pending_log_ = victim;
      gc_pending_seq_ = last;
    }
    MaybeScheduleWork();
  });
  return false;
}

Status DBImpl::AddCopy(const GcValue& v, WriteBatch* batch, std::string* scratch) {
  std::uint64_t expires = 0;
  std::string_view ptr = v.stored;
  if (v.type == ValueType::kExpiringPointer) (void)SplitExpiringValue(v.stored, &expires, &ptr);
  LARDER_RETURN_IF_ERROR(vlog_reader_->Resolve(ptr, scratch));
  if (expires != 0) {
    batch->PutWithExpiry(v.key, *scratch, expires);
  } else {
    batch->Put(v.key, *scratch);
  }
  return Status::Ok();
}

Status DBImpl::RewriteLiveValues(std::uint64_t number, SequenceNumber* last) {
  const std::string path = VlogFileName(dir_, number);
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs_->Open(path, {.read_only = true}));
  LARDER_ASSIGN_OR_RETURN(std::uint64_t size, file->Size());
  std::shared_ptr<const ReadState> state = GetReadState();
  if (state == nullptr) return Status::InvalidArgument("closed");
  const std::uint64_t now = NowMillis();

  std::vector<GcValue> chunk;
  std::size_t chunk_bytes = 0;
  auto flush_chunk = [&]() -> Status {
    if (chunk.empty()) return Status::Ok();
    WriteBatch batch;
    std::string value;
    for (const GcValue& v : chunk) LARDER_RETURN_IF_ERROR(AddCopy(v, &batch, &value));
    StillPointsThere check(&chunk);
    Status s = WriteInternal({.sync = false}, &batch, &check, /*gate=*/false);
    if (s.IsConflict()) {
      // Some key moved meanwhile: rewrite the others one by one, each checked alone.
      for (const GcValue& v : chunk) {
        std::vector<GcValue> one{v};
        WriteBatch b;
        LARDER_RETURN_IF_ERROR(AddCopy(v, &b, &value));
        StillPointsThere c(&one);
        Status s1 = WriteInternal({.sync = false}, &b, &c, /*gate=*/false);
        if (!s1.ok() && !s1.IsConflict()) return s1;
      }
    } else if (!s.ok()) {
      return s;
    }
    chunk.clear();
    chunk_bytes = 0;
    return Status::Ok();
  };

  LogReplayer replayer(file.get(), number, size);
  std::string_view payload;
  while (replayer.NextBatch(&payload)) {
    WriteBatchReader batch(payload);
    WriteBatchEntry e;
    while (batch.Next(&e)) {
      if (!IsPointerType(e.type)) continue;
      std::uint64_t expires = 0;
      std::string_view ptr = e.value;
      if (e.type == ValueType::kExpiringPointer) {
        if (!SplitExpiringValue(e.value, &expires, &ptr) || IsExpired(expires, now)) continue;
      }
      VlogPointer p;
      if (!p.Decode(ptr) || p.file_number != number) continue;
      // Live when it is still the key's newest version and no newer tombstone covers it.
      Found f;
      LARDER_RETURN_IF_ERROR(FindNewest(*state, LookupKey(e.key, kMaxSequenceNumber), false, &f));
      if (!f.ok || f.type != e.type || f.value != e.value) continue;
      LARDER_ASSIGN_OR_RETURN(SequenceNumber covering,
                              CoveringTombstone(*state, e.key, kMaxSequenceNumber));
      if (covering > f.seq) continue;
      chunk.push_back({std::string(e.key), e.type, std::string(e.value)});
      chunk_bytes += e.key.size() + p.length;
      if (chunk_bytes >= options_.max_write_group_bytes / 2) LARDER_RETURN_IF_ERROR(flush_chunk());
    }
  }
  if (replayer.end() == LogReader::End::kIOError) return replayer.status();
  LARDER_RETURN_IF_ERROR(flush_chunk());
  // Every copy is in the current log or an older one (synced when it was switched out).
  LARDER_RETURN_IF_ERROR(SyncWrites());
  *last = LastSequence();
  return Status::Ok();
}

}  // namespace larder::lsm
