// DBImpl's background work: flushes of frozen memtables to level-0 tables, leveled
// compactions, manual Flush and CompactRange, and deleting files nobody needs. Each of the
// Options::background_threads threads does any of it, flushes first (db_impl.h has the lock
// rule).
#include <algorithm>

#include "lsm/compaction_picker.h"
#include "lsm/db_impl.h"
#include "lsm/db_internal.h"
#include "lsm/filename.h"
#include "lsm/log_writer.h"
#include "lsm/memtable.h"
#include "lsm/memtable_arena.h"
#include "lsm/range_tombstones.h"
#include "lsm/table_cache.h"
#include "lsm/table_outputs.h"
#include "lsm/value_log_reader.h"
#include "lsm/version_set.h"

namespace larder::lsm {

void DBImpl::MaybeScheduleWork() {
  ++bg_work_generation_;
  bg_cv_.SignalAll();
}

void DBImpl::BackgroundThread() {
  MutexLock l(&mu_);
  std::uint64_t seen = 0;
  while (!bg_stop_) {
    if (seen != bg_work_generation_) {
      seen = bg_work_generation_;
      // Work until this thread finds none; each step may create more (a flush adds a level-0
      // table that may need a compaction) and wakes the other threads to look too.
      while (!bg_stop_ && BackgroundStep()) {
      }
      bg_cv_.SignalAll();  // writers waiting for room, Flush and CompactRange callers
      continue;
    }
    bg_cv_.Wait(mu_);
  }
}

void DBImpl::MaybeWantWarmArena() {
  if (arena_warm_wanted_ || arena_cache_->blocks() >= kArenaWarmBlocks ||
      mem_->ApproximateMemoryUsage() < MemTableArena::kBlockSize) {
    return;
  }
  arena_warm_wanted_ = true;
  MaybeScheduleWork();
}

void DBImpl::MaybeWantWarmValues() {
  if (value_warm_wanted_ || !log_has_values_ || vlog_reader_->unwarmed_bytes() < kValueWarmBytes) {
    return;
  }
  value_warm_wanted_ = true;
  MaybeScheduleWork();
}

void DBImpl::WarmArenaCache() {
  for (std::size_t i = arena_cache_->blocks(); i < kArenaWarmBlocks; ++i) {
    std::vector<ArenaBlock> warm;
    warm.push_back(MemTableArena::NewWarmBlock());
    arena_cache_->Give(&warm);  // dropped if the cache is full (a flushed memtable's came back)
  }
}

bool DBImpl::BackgroundStep() {
  if (!bg_error_.ok()) return false;
  Status s;
  if (arena_warm_wanted_) {
    // First: a few milliseconds at most, and the writer may be about to need the block.
    arena_warm_wanted_ = false;
    mu_.Unlock();
    WarmArenaCache();
    mu_.Lock();
    ++stats_.arena_warmings;
    return true;
  }
  if (value_warm_wanted_ && !value_warm_running_) {
    // Next: a page-table walk over a megabyte or so, ahead of the reads of fresh values.
    value_warm_wanted_ = false;
    value_warm_running_ = true;
    mu_.Unlock();
    const std::uint64_t warmed = vlog_reader_->WarmOpenLog();
    mu_.Lock();
    value_warm_running_ = false;
    stats_.vlog_warmed_bytes += warmed;
    return true;
  }
  if (!imm_.empty() && !flush_running_) {
    // Flushes go one at a time, oldest first: their edits move the replay point forward.
    flush_running_ = true;
    s = FlushOldest();
    flush_running_ = false;
  } else if (!manual_.empty() && !manual_.front()->running) {
    Manual* m = manual_.front();
    auto picked = picker_->PickManual(versions_->current(), m->level, m->begin, m->end, m->in_place,
                                      m->older_than);
    if (!picked.ok()) {
      if (picked.status().code() != Code::kBusy) {
        m->status = picked.status();
        m->done = true;
        manual_.pop_front();
      }
      return false;  // busy: retried when the running compaction ends
    }
    m->running = true;
    if (picked->has_value()) {
      s = RunCompaction(&**picked);
      (*picked)->ReleaseInputs();
    }
    // Still queued: CompactRange does not take a running request out.
    manual_.erase(std::find(manual_.begin(), manual_.end(), m));
    m->status = s;
    m->running = false;
    m->done = true;
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
  // What this step finished may let another thread's work go ahead (a busy manual compaction,
  // a level that needs one): every thread takes a look.
  ++bg_work_generation_;
  bg_cv_.SignalAll();
  return s.ok();
}

Status DBImpl::ApplyEdit(VersionEdit* edit) {
  while (manifest_writer_busy_) manifest_cv_.Wait(mu_);
  manifest_writer_busy_ = true;
  Status s = versions_->LogAndApply(edit, &mu_);
  manifest_writer_busy_ = false;
  manifest_cv_.SignalAll();
  return s;
}

std::vector<SequenceNumber> DBImpl::SnapshotList() {
  return std::vector<SequenceNumber>(snapshots_.begin(), snapshots_.end());
}

Status DBImpl::FlushOldest() {
  const Frozen frozen = imm_.front();  // stays in imm_ (and readable) until the edit is in
  std::vector<std::uint64_t> reserved;
  TableOutputs outputs(fs_, dir_, TableOutputOptions(options_, 0),
                       {.cut_prefix_length = options_.table_cut_prefix_length,
                        .tables_below = KeyRangesOf(versions_->current()->files(1)),
                        .gap_cut_size = FlushGapCutSize(options_)},
                       OutputNumbers(&reserved));
  Status s;
  {
    mu_.Unlock();
    s = WriteLevel0Tables(*frozen.mem, &outputs);
    if (s.ok()) s = outputs.SyncNames();
    mu_.Lock();
  }
  if (!s.ok()) {
    ReleaseOutputNumbers(reserved);
    outputs.RemoveAll();
    return s;
  }

  VersionEdit edit;
  for (FileMetaData f : outputs.files()) {
    // Every table of the flush carries the memtable's sequence range: level 0 counts the
    // tables of one flush once (Version::Level0Runs).
    f.smallest_seq = std::min(f.smallest_seq, frozen.mem->smallest_sequence());
    f.largest_seq = std::max(f.largest_seq, frozen.mem->largest_sequence());
    edit.AddFile(0, std::move(f));
  }
  // Replay starts at the first log of the next memtable (frozen or mutable).
  const std::uint64_t next_log = imm_.size() > 1 ? imm_[1].first_log : mem_first_log_;
  edit.SetLogNumber(next_log);
  edit.SetLogOffset(0);
  edit.SetLastSequence(LastSequence());
  const auto& live_vlogs = versions_->current()->vlogs();
  for (std::uint64_t log : logs_with_values_) {
    if (log < next_log && live_vlogs.count(log) == 0) edit.AddVlog(log);
  }
  s = ApplyEdit(&edit);
  ReleaseOutputNumbers(reserved);  // listed by the Version now, or to be deleted
  LARDER_RETURN_IF_ERROR(s);
  imm_.pop_front();
  RebuildReadStateLocked();
  ++stats_.flushes;
  stats_.disk_bytes_written += outputs.bytes();
  DeleteObsoleteFiles();
  return Status::Ok();
}

Status DBImpl::WriteLevel0Tables(const MemTable& mem, TableOutputs* outputs) {
  std::vector<RangeTombstone> tombstones;
  if (auto ranges = mem.NewRangeTombstoneIterator(); ranges != nullptr) {
    LARDER_RETURN_IF_ERROR(CollectRangeTombstones(ranges.get(), &tombstones));
  }
  outputs->SetTombstones(&tombstones);
  std::unique_ptr<InternalIterator> it = mem.NewIterator();
  std::string_view previous_user_key;  // points into the memtable, which outlives the loop
  bool first = true;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view user_key = ExtractUserKey(it->key());
    const bool new_user_key = first || user_key != previous_user_key;
    first = false;
    previous_user_key = user_key;
    LARDER_RETURN_IF_ERROR(outputs->Add(it->key(), it->value(), new_user_key));
  }
  return outputs->Finish();
}

std::function<std::uint64_t()> DBImpl::OutputNumbers(std::vector<std::uint64_t>* reserved) {
  return [this, reserved] {
    MutexLock l(&mu_);
    const std::uint64_t n = versions_->NewFileNumber();
    pending_outputs_.insert(n);
    reserved->push_back(n);
    return n;
  };
}

void DBImpl::ReleaseOutputNumbers(const std::vector<std::uint64_t>& reserved) {
  for (std::uint64_t n : reserved) pending_outputs_.erase(n);
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
  // Tables numbered from here on are written by this call (or by concurrent work, which the
  // final rewrite may skip).
  const std::uint64_t first_new = versions_->next_file_number();
  // Compact every level down to the deepest one holding data in the range...
  const std::optional<std::string> lo(begin), hi(end);
  const int deepest = DeepestLevelWith(begin, end);
  for (int level = 0; level < std::max(deepest, 1); ++level) {
    LARDER_RETURN_IF_ERROR(RunManual(level, lo, hi, /*in_place=*/false, /*older_than=*/0));
  }
  // ...then rewrite that level's tables this call did not write, dropping what has expired or
  // was kept for a snapshot that has ended since: the range holds no garbage afterwards.
  const int bottom = DeepestLevelWith(begin, end);
  if (bottom == 0) return Status::Ok();
  return RunManual(bottom, lo, hi, /*in_place=*/true, first_new);
}

int DBImpl::DeepestLevelWith(std::optional<std::string_view> begin,
                             std::optional<std::string_view> end) const {
  std::shared_ptr<const Version> v = versions_->current();
  for (int level = v->num_levels() - 1; level > 0; --level) {
    if (v->OverlapsRange(level, begin, end)) return level;
  }
  return 0;
}

Status DBImpl::RunManual(int level, const std::optional<std::string>& begin,
                         const std::optional<std::string>& end, bool in_place,
                         std::uint64_t older_than) {
  Manual m;
  m.level = level;
  m.begin = begin;
  m.end = end;
  m.in_place = in_place;
  m.older_than = older_than;
  MutexLock l(&mu_);
  manual_.push_back(&m);
  MaybeScheduleWork();
  // A running request is finished by its thread even after an error or Close.
  while (!m.done && (m.running || (bg_error_.ok() && !closed_))) bg_cv_.Wait(mu_);
  if (!m.done) {
    // Stopped by an error or Close: take it out of the queue before it goes out of scope.
    manual_.erase(std::find(manual_.begin(), manual_.end(), &m));
    return bg_error_.ok() ? Status::InvalidArgument("closed") : bg_error_;
  }
  return m.status;
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
