// DBImpl's background work: flushes of frozen memtables to level-0 tables, leveled
// compactions, manual Flush and CompactRange, and deleting files nobody needs. One background
// thread does all of it, flushes first (db_impl.h has the lock rule).
#include <algorithm>

#include "lsm/compaction_picker.h"
#include "lsm/db_impl.h"
#include "lsm/db_internal.h"
#include "lsm/filename.h"
#include "lsm/log_writer.h"
#include "lsm/memtable.h"
#include "lsm/table_cache.h"
#include "lsm/table_output.h"
#include "lsm/value_log_reader.h"
#include "lsm/version_set.h"

namespace larder::lsm {

void DBImpl::MaybeScheduleWork() {
  bg_work_ = true;
  bg_cv_.SignalAll();
}

void DBImpl::BackgroundThread() {
  MutexLock l(&mu_);
  while (!bg_stop_) {
    if (bg_work_) {
      bg_work_ = false;
      // Work until there is none left; each step may create more (a flush adds a level-0
      // table that may need a compaction).
      while (!bg_stop_ && BackgroundStep()) {
      }
      bg_cv_.SignalAll();  // writers waiting for room, Flush and CompactRange callers
      continue;
    }
    bg_cv_.Wait(mu_);
  }
}

bool DBImpl::BackgroundStep() {
  if (!bg_error_.ok()) return false;
  Status s;
  if (!imm_.empty()) {
    s = FlushOldest();
  } else if (!manual_.empty()) {
    Manual* m = manual_.front();
    auto picked = picker_->PickManual(versions_->current(), m->level, m->begin, m->end);
    if (!picked.ok()) {
      if (picked.status().code() != Code::kBusy) {
        m->status = picked.status();
        m->done = true;
        manual_.pop_front();
      }
      return false;  // busy: retried when the running compaction ends
    }
    if (picked->has_value()) {
      s = RunCompaction(&**picked);
      (*picked)->ReleaseInputs();
    }
    m->status = s;
    m->done = true;
    manual_.pop_front();
  } else {
    std::optional<Compaction> c =
        picker_->Pick(versions_->current(), versions_->compact_pointers());
    if (!c.has_value()) return MaybeCollectValueLog();
    s = RunCompaction(&*c);
    c->ReleaseInputs();
  }
  if (!s.ok()) {
    // The files written may be anything now: stop background work, refuse writes until the
    // database is reopened (reads go on).
    bg_error_ = s;
    Poison(s);
  }
  bg_cv_.SignalAll();
  return s.ok();
}

std::vector<SequenceNumber> DBImpl::SnapshotList() {
  return std::vector<SequenceNumber>(snapshots_.begin(), snapshots_.end());
}

Status DBImpl::FlushOldest() {
  const Frozen frozen = imm_.front();  // stays in imm_ (and readable) until the edit is in
  const std::uint64_t number = versions_->NewFileNumber();
  pending_outputs_.insert(number);
  FileMetaData meta;
  Status s;
  {
    mu_.Unlock();
    s = WriteLevel0Table(*frozen.mem, number, &meta);
    // The table's name must be durable before the MANIFEST lists it.
    if (s.ok() && meta.number != 0) s = fs_->SyncDir(dir_);
    mu_.Lock();
  }
  pending_outputs_.erase(number);
  LARDER_RETURN_IF_ERROR(s);

  VersionEdit edit;
  if (meta.number != 0) edit.AddFile(0, meta);
  // Replay starts at the first log of the next memtable (frozen or mutable).
  const std::uint64_t next_log = imm_.size() > 1 ? imm_[1].first_log : mem_first_log_;
  edit.SetLogNumber(next_log);
  edit.SetLogOffset(0);
  edit.SetLastSequence(LastSequence());
  const auto& live_vlogs = versions_->current()->vlogs();
  for (std::uint64_t log : logs_with_values_) {
    if (log < next_log && live_vlogs.count(log) == 0) edit.AddVlog(log);
  }
  LARDER_RETURN_IF_ERROR(versions_->LogAndApply(&edit));
  imm_.pop_front();
  RebuildReadStateLocked();
  ++stats_.flushes;
  stats_.disk_bytes_written += meta.file_size;
  DeleteObsoleteFiles();
  return Status::Ok();
}

Status DBImpl::WriteLevel0Table(const MemTable& mem, std::uint64_t number, FileMetaData* meta) {
  TableOutput out(fs_, dir_, TableOutputOptions(options_, 0));
  LARDER_RETURN_IF_ERROR(out.Open(number));
  std::unique_ptr<InternalIterator> it = mem.NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next()) out.Add(it->key(), it->value());
  if (auto ranges = mem.NewRangeTombstoneIterator(); ranges != nullptr) {
    for (ranges->SeekToFirst(); ranges->Valid(); ranges->Next()) {
      out.Add(ranges->key(), ranges->value());
    }
  }
  if (out.empty()) {
    out.Abandon();
    *meta = FileMetaData{};
    return Status::Ok();
  }
  return out.Finish(meta);
}

// --- Manual work ---------------------------------------------------------------------------

Status DBImpl::Flush() {
  if (options_.read_only) return Status::Ok();
  // The switch goes through the writer queue: only its front may touch mem_ and log_.
  LARDER_RETURN_IF_ERROR(WriteInternal({.sync = false}, nullptr, nullptr, /*gate=*/false));
  MutexLock l(&mu_);
  MaybeScheduleWork();
  while (!imm_.empty() && bg_error_.ok() && !closed_) bg_cv_.Wait(mu_);
  return bg_error_;
}

Status DBImpl::CompactRange(std::optional<std::string_view> begin,
                            std::optional<std::string_view> end) {
  if (options_.read_only) return Status::ReadOnly("the LSM database " + dir_ + " is read-only");
  LARDER_RETURN_IF_ERROR(Flush());
  // Compact every level down to the deepest one holding data in the range.
  int deepest = 0;
  {
    std::shared_ptr<const Version> v = versions_->current();
    for (int level = 1; level < v->num_levels(); ++level) {
      if (v->OverlapsRange(level, begin, end)) deepest = level;
    }
  }
  for (int level = 0; level < std::max(deepest, 1); ++level) {
    Manual m;
    m.level = level;
    if (begin) m.begin = std::string(*begin);
    if (end) m.end = std::string(*end);
    MutexLock l(&mu_);
    manual_.push_back(&m);
    MaybeScheduleWork();
    while (!m.done && bg_error_.ok() && !closed_) bg_cv_.Wait(mu_);
    if (!m.done) {
      // Stopped by an error or Close: take it out of the queue before it goes out of scope.
      manual_.erase(std::find(manual_.begin(), manual_.end(), &m));
      return bg_error_.ok() ? Status::InvalidArgument("closed") : bg_error_;
    }
    LARDER_RETURN_IF_ERROR(m.status);
  }
  return Status::Ok();
}

// --- Obsolete files ------------------------------------------------------------------------

void DBImpl::DeleteObsoleteFiles() {
  if (options_.read_only || !bg_error_.ok() || file_pins_ > 0) return;
  std::set<std::uint64_t> live = versions_->LiveFiles();
  live.insert(pending_outputs_.begin(), pending_outputs_.end());
  // Value logs still needed for replay: from the MANIFEST's log number on.
  const std::uint64_t replay_from = versions_->log_number();
  auto names = fs_->ListDir(dir_);
  if (!names.ok()) return;
  for (const std::string& name : *names) {
    std::uint64_t number;
    FileType type;
    if (!ParseFileName(name, &number, &type)) continue;
    bool keep = true;
    switch (type) {
      case FileType::kVlog:
        keep = number >= replay_from || live.count(number) != 0 || number == log_number_ ||
               logs_with_values_.count(number) != 0;
        break;
      case FileType::kTable:
        keep = live.count(number) != 0;
        break;
      case FileType::kTemp:
        keep = pending_outputs_.count(number) != 0;
        break;
      default:
        break;
    }
    if (keep) continue;
    if (type == FileType::kTable) table_cache_->Evict(number);
    if (type == FileType::kVlog) vlog_reader_->Forget(number);
    (void)fs_->Remove(dir_ + "/" + name);  // a failure leaves a file for the next pass
  }
}

}  // namespace larder::lsm
