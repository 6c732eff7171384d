// DBImpl's write path: the writer queue and group commit, value separation, the memtable
// switch and write slowdowns. The lock rule is in db_impl.h.
#include <algorithm>
#include <chrono>

#include "lsm/db_impl.h"
#include "lsm/db_internal.h"
#include "lsm/log_writer.h"
#include "lsm/memtable.h"
#include "lsm/value_log_reader.h"
#include "lsm/version_set.h"
#include "lsm/write_batch_internal.h"

namespace larder::lsm {

// One caller of WriteInternal, queued in writers_. Every field but cv is guarded by mu_.
struct DBImpl::Writer {
  const WriteBatch* batch = nullptr;  // nullptr: make room only (a forced memtable switch),
                                      // or sync only (sync_only), or FlushWrites
  bool sync = false;
  bool buffer = false;     // WriteOptions::buffer (never with sync)
  bool sync_only = false;  // SyncWrites: sync the log, write nothing
  WriteCheck* check = nullptr;
  bool done = false;
  Status status;
  CondVar cv;
};

namespace {

// The batch of a single-entry Put or Delete, reused by each thread (no allocation per write).
WriteBatch& ThreadBatch() {
  thread_local WriteBatch batch;
  batch.Clear();
  return batch;
}

}  // namespace

Status DBImpl::Put(const kv::WriteOptions& options, std::string_view key, std::string_view value) {
  WriteBatch& b = ThreadBatch();
  b.Put(key, value);
  return WriteInternal(options, &b, nullptr);
}

Status DBImpl::Delete(const kv::WriteOptions& options, std::string_view key) {
  WriteBatch& b = ThreadBatch();
  b.Delete(key);
  return WriteInternal(options, &b, nullptr);
}

Status DBImpl::Write(const kv::WriteOptions& options, const kv::WriteBatch& batch) {
  if (batch.empty()) return Status::Ok();
  const WriteBatch b(batch);
  return WriteInternal(options, &b, nullptr);
}

Status DBImpl::Write(const kv::WriteOptions& options, const WriteBatch& batch) {
  if (batch.empty()) return Status::Ok();
  return WriteInternal(options, &batch, nullptr);
}

Status DBImpl::SyncWrites() {
  Writer w;
  w.sync_only = true;
  MutexLock l(&mu_);
  writers_.push_back(&w);
  while (!w.done && &w != writers_.front()) w.cv.Wait(mu_);
  if (w.done) return w.status;
  // The leader, alone: every write acknowledged before this call is in log_ or in an older log
  // (synced when it was switched out), so syncing log_ covers them all. The role is needed only
  // to write out log_'s buffer and read its size; the fsync runs after the next writers have
  // been let go, with log_ pinned (log_sync_pins_) so that no switch or Close destroys it. When
  // a sync already running covers log_'s every byte (nothing was appended since its flush),
  // this call waits for that sync instead of starting another: group commit of SyncWrites.
  Status s = CheckWritable();
  LogWriter* log = nullptr;
  std::uint64_t flushed = 0;
  bool join = false;
  const std::uint64_t needed = s.ok() ? log_->size() : 0;
  if (s.ok() && !log_->fully_synced() && log_sync_pins_ > 0 && needed <= log_sync_target_) {
    join = true;
  } else if (s.ok() && !log_->fully_synced()) {
    mu_.Unlock();  // the queue's front is the token for log_ (db_impl.h)
    s = log_->Flush();
    mu_.Lock();
    if (s.ok()) {
      log = log_.get();
      flushed = log->size();
      ++log_sync_pins_;
      log_sync_target_ = std::max(log_sync_target_, flushed);
    } else {
      Poison(s);
    }
  }
  writers_.pop_front();
  WakeNextWriter();
  if (join) {
    ++stats_.sync_writes_joined;
    // Until the running sync covers `needed`, fails (poisoned), or log_ is switched out (the
    // switch syncs the old log whole, or poisons).
    const std::uint64_t number = log_number_;
    while (poisoned_.ok() && log_number_ == number && log_->synced_size() < needed) {
      log_sync_cv_.Wait(mu_);
    }
    return poisoned_;
  }
  if (log == nullptr) return s;
  ++stats_.sync_writes_syncs;
  mu_.Unlock();
  s = log->file()->Sync();
  if (s.ok()) log->NoteSynced(flushed);  // the next batch's sync mark names it
  mu_.Lock();
  if (!s.ok()) Poison(s);  // the file's state after a failed fsync is unknown
  if (--log_sync_pins_ == 0) log_sync_target_ = 0;
  log_sync_cv_.SignalAll();  // the calls that joined this sync, a switch or Close waiting
  return s;
}

Status DBImpl::FlushWrites() {
  Writer w;
  MutexLock l(&mu_);
  writers_.push_back(&w);
  while (!w.done && &w != writers_.front()) w.cv.Wait(mu_);
  if (w.done) return w.status;
  // The leader, alone: buffered writes are in log_'s buffer only (a switch or Close flushes an
  // old log whole), and the role is the token for log_. Poisoned: Poisoned even with nothing
  // buffered, as a failed flush may have dropped someone's buffered writes. Else nothing
  // buffered (a read-only or closed database has no log_): OK.
  Status s = poisoned_;
  if (s.ok() && log_ != nullptr && log_->buffered() > 0) {
    s = CheckWritable();
    if (s.ok()) {
      mu_.Unlock();
      s = log_->Flush();
      mu_.Lock();
      if (!s.ok()) Poison(s);  // part of a record may be in the file: no later write may follow
    }
  }
  writers_.pop_front();
  WakeNextWriter();
  return s;
}

Status DBImpl::CheckWritable() {
  if (options_.read_only)
    return Status::ReadOnly("the LSM database " + dir_ + " is open read-only");
  if (closed_) return Status::InvalidArgument("the LSM database " + dir_ + " is closed");
  if (!poisoned_.ok()) return poisoned_;
  return Status::Ok();
}

void DBImpl::Poison(const Status& cause) {
  if (poisoned_.ok()) {
    poisoned_ = Status::Poisoned(
        "the LSM database " + dir_ +
        " refuses writes until reopened after a failed write or sync: " + cause.ToString());
  }
}

Status DBImpl::WriteInternal(const kv::WriteOptions& options, const WriteBatch* batch,
                             WriteCheck* check, bool gate) {
  Writer w;
  w.batch = batch;
  w.sync = options.sync;
  w.buffer = options.buffer && !options.sync;
  w.check = check;

  MutexLock l(&mu_);
  // Writes wait while the kv.h transaction is open (all but its own commit).
  while (gate && tx_open_) tx_cv_.Wait(mu_);
  writers_.push_back(&w);
  while (!w.done && &w != writers_.front()) w.cv.Wait(mu_);
  if (w.done) return w.status;

  // The leader.
  Status s = CheckWritable();
  if (s.ok()) s = MakeRoomForWrite(batch == nullptr);
  Writer* last = &w;
  if (s.ok() && check != nullptr) {
    // The front of the queue keeps every other write out while the check reads.
    mu_.Unlock();
    s = check->Validate(this);
    mu_.Lock();
  }
  if (s.ok() && batch != nullptr) {
    const WriteBatch* group = nullptr;
    bool buffer = false;
    last = BuildGroup(&group, &buffer);
    const SequenceNumber first = LastSequence() + 1;
    const std::uint32_t count = WriteBatchInternal::Count(*group);
    std::shared_ptr<MemTable> mem = mem_;
    const std::uint64_t user_bytes = group->ByteSize();
    {
      // The queue's front is the token for log_ and mem (db_impl.h): release mu_ for the I/O.
      mu_.Unlock();
      s = AppendAndInsert(group, first, w.sync, buffer, mem.get());
      mu_.Lock();
    }
    if (s.ok()) {
      last_sequence_.store(first + count - 1, std::memory_order_release);
      stats_.user_bytes_written += user_bytes;
      ChargeSlowdown(user_bytes);
      MaybeWantWarmArena();
      MaybeWantWarmValues();
    } else {
      // The log may hold part of the group: later records would be unreachable by recovery
      // (it stops at the first bad one), so no later write may be acknowledged.
      Poison(s);
    }
  }

  while (true) {
    Writer* ready = writers_.front();
    writers_.pop_front();
    if (ready != &w) {
      ready->status = s;
      ready->done = true;
      ready->cv.Signal();
    }
    if (ready == last) break;
  }
  WakeNextWriter();
  return s;
}

void DBImpl::WakeNextWriter() {
  if (!writers_.empty()) {
    writers_.front()->cv.Signal();
  } else if (closed_) {
    bg_cv_.SignalAll();  // Close waits for the queue to drain
  }
}

DBImpl::Writer* DBImpl::BuildGroup(const WriteBatch** merged, bool* buffer) {
  Writer* first = writers_.front();
  *buffer = first->buffer;
  // The group is always copied into group_batch_: the callers' batches are const, and the
  // record needs the group's first sequence in its header.
  WriteBatchInternal::Reset(&group_batch_, 0);
  WriteBatchInternal::Append(&group_batch_, *first->batch);
  *merged = &group_batch_;
  std::size_t size = first->batch->ByteSize();
  // A small first batch does not wait on a large group (its latency matters).
  std::size_t max_size = options_.max_write_group_bytes;
  if (size <= (std::size_t{128} << 10)) max_size = std::min(max_size, size + (128 << 10));
  Writer* last = first;
  if (first->check != nullptr) {
    *buffer = false;  // a checked write goes alone, and is written out
    return last;
  }
  auto it = writers_.begin();
  for (++it; it != writers_.end(); ++it) {
    Writer* w = *it;
    if (w->sync && !first->sync) break;  // a non-sync leader never carries a sync write
    if (w->batch == nullptr || w->check != nullptr || w->sync_only) break;
    size += w->batch->ByteSize();
    if (size > max_size) break;
    WriteBatchInternal::Append(&group_batch_, *w->batch);
    *buffer = *buffer && w->buffer;
    last = w;
  }
  return last;
}

Status DBImpl::AppendAndInsert(const WriteBatch* group, SequenceNumber first, bool sync,
                               bool buffer, MemTable* mem) {
  WriteBatchInternal::SetSequence(&group_batch_, first);
  // Large values first, as kValue records of their own; the batch record then points to them.
  const WriteBatch* stored = nullptr;
  const std::uint64_t log_size = log_->size();
  LARDER_RETURN_IF_ERROR(AddBatchRecord(log_.get(), log_file_number_, *group,
                                        options_.value_threshold, &pointer_batch_, &stored));
  if (stored != group) log_has_values_ = true;
  mem_bytes_ += log_->size() - log_size;
  log_bytes_written_.fetch_add(log_->size() - log_size, std::memory_order_relaxed);
  // One write() for the whole group; none for a buffered group (FlushWrites), unless it put
  // values in the log: readers may map those, and no further than what is in the file (the
  // log is preallocated).
  if (!buffer || stored != group) LARDER_RETURN_IF_ERROR(log_->Flush());
  if (stored != group) vlog_reader_->NoteOpenLog(log_file_number_, log_->size());
  if (sync) LARDER_RETURN_IF_ERROR(log_->Sync());
  SequenceNumber seq = first;
  return WriteBatchInternal::ForEach(*stored, [&](const WriteBatchEntry& e) {
    mem->Add(seq++, e.type, e.key, e.value);
    return Status::Ok();
  });
}

Status DBImpl::MakeRoomForWrite(bool force) {
  bool allow_delay = !force;
  while (true) {
    if (!bg_error_.ok()) return bg_error_;
    if (closed_) return Status::InvalidArgument("the LSM database " + dir_ + " is closed");
    const int l0 = l0_runs_;
    if (allow_delay && l0 >= options_.level0_slowdown_trigger) {
      // Pay the debt of the groups written since level 0 reached the trigger, beyond the
      // burst allowance (write_pacer.h); the group's own bytes are charged once written.
      allow_delay = false;
      const std::chrono::nanoseconds pause = pacer_.DelayAt(clock_->NowNanos());
      if (pause.count() > 0) {
        mu_.Unlock();
        clock_->SleepFor(pause);
        mu_.Lock();
        stats_.stall_micros += static_cast<std::uint64_t>(pause.count() / 1000);
      }
    } else if (mem_->empty() || (!force && mem_bytes_ < options_.write_buffer_size)) {
      // (An empty memtable is never switched: a forced switch has nothing to flush.)
      return Status::Ok();
    } else if (static_cast<int>(imm_.size()) >= options_.max_immutable_memtables ||
               l0 >= options_.level0_stop_trigger) {
      const auto start = std::chrono::steady_clock::now();
      MaybeScheduleWork();
      bg_cv_.Wait(mu_);
      stats_.stall_micros +=
          static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                         std::chrono::steady_clock::now() - start)
                                         .count());
    } else {
      LARDER_RETURN_IF_ERROR(SwitchMemtable());
      force = false;
    }
  }
}

void DBImpl::ChargeSlowdown(std::uint64_t bytes) {
  const int over = l0_runs_ - options_.level0_slowdown_trigger;
  if (over < 0) {
    pacer_.Reset();
    return;
  }
  pacer_.Charge(bytes, 1 + static_cast<std::uint64_t>(over) / 4, clock_->NowNanos());
}

Status DBImpl::SwitchMemtable() {
  // A SyncWrites may be syncing the old log's file without the writer role: it must not close.
  while (log_sync_pins_ > 0) log_sync_cv_.Wait(mu_);
  // The old log is synced before the new one takes writes: a power loss must never keep a
  // newer log's writes and lose an older one's (LevelDB #193).
  Status s = log_->Sync();
  if (!s.ok()) {
    Poison(s);
    return poisoned_;
  }
  const std::uint64_t number = versions_->NewFileNumber();
  const std::uint64_t old_number = log_number_;
  std::unique_ptr<LogWriter> old = std::move(log_);
  s = NewLogFile(number);
  if (!s.ok()) {
    log_ = std::move(old);
    Poison(s);
    return poisoned_;
  }
  // Closing cuts the old log's preallocated tail, durably: a finished log that kept zeros
  // past its records would read as damaged before the records of its successor. A cut that
  // fails leaves that risk, so it poisons the database like a failed sync.
  s = old->Close();
  if (!s.ok()) {
    Poison(s);
    return poisoned_;
  }
  vlog_reader_->NoteOpenLog(number, 0);
  if (log_has_values_) logs_with_values_.insert(old_number);
  imm_.push_back({mem_, mem_first_log_});
  mem_first_log_ = number;
  mem_bytes_ = 0;
  log_has_values_ = false;
  mem_ = std::make_shared<MemTable>(arena_cache_);
  RebuildReadStateLocked();
  MaybeScheduleWork();
  return Status::Ok();
}

}  // namespace larder::lsm
