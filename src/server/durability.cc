#include "server/durability.h"

#include <malloc.h>  // malloc_trim (glibc)

#include <algorithm>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "base/coding.h"
#include "base/logging.h"
#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "larder/clock.h"
#include "server/wal.h"

namespace larder::server {
namespace {

// A checkpoint that commits at least this much logged data returns freed heap to the OS (what
// the engine does not keep for its next transaction: see ReleaseIdleMemory).
constexpr std::uint64_t kTrimAfterLogBytes = 4 << 20;

// The engine's memory kept for its next transaction is released once nothing has been written
// for the checkpoint interval since the last checkpoint ended, within these bounds.
constexpr std::uint64_t kMinIdleNanos = std::uint64_t{1000} * 1000 * 1000;
constexpr std::uint64_t kMaxIdleNanos = std::uint64_t{10} * 1000 * 1000 * 1000;

// Checkpoints by time start at least this many times their last commit's duration apart (start
// to start): their commits, which pause every client, take about a tenth of the time at most.
// Never further apart than kMaxCheckpointSpacingNanos (or the interval set, if longer): one
// slow commit (a stalled fsync, the recovery's) must not push the next far away, nor commits
// that grow with the spacing push each other out until the log's size limit.
constexpr std::uint64_t kCheckpointSpacing = 10;
constexpr std::uint64_t kMaxCheckpointSpacingNanos = std::uint64_t{10} * 1000 * 1000 * 1000;

// The engine transaction the keyspace sees: every successful write is also recorded into the
// batch's log record. Commit and Rollback belong to the checkpoint, not to the keyspace.
class LoggingTransaction final : public kv::Transaction {
 public:
  LoggingTransaction(std::unique_ptr<kv::Transaction> inner, kv::WriteBatch* record)
      : inner_(std::move(inner)), record_(record) {}

  kv::Transaction& inner() { return *inner_; }

  Status Get(std::string_view key, std::string* value) override { return inner_->Get(key, value); }
  Status GetView(std::string_view key, std::string_view* value) override {
    return inner_->GetView(key, value);
  }
  Result<std::unique_ptr<kv::Iterator>> NewIterator(const kv::IteratorOptions& options) override {
    return inner_->NewIterator(options);
  }
  Status Put(std::string_view key, std::string_view value) override {
    LARDER_RETURN_IF_ERROR(inner_->Put(key, value));
    record_->Put(key, value);
    return Status::Ok();
  }
  Status Delete(std::string_view key) override {
    LARDER_RETURN_IF_ERROR(inner_->Delete(key));
    record_->Delete(key);
    return Status::Ok();
  }
  Status Take(std::string_view key, std::string* value) override {
    LARDER_RETURN_IF_ERROR(inner_->Take(key, value));  // NotFound: nothing written or logged
    record_->Delete(key);
    return Status::Ok();
  }
  Status Write(const kv::WriteBatch& batch) override {
    LARDER_RETURN_IF_ERROR(inner_->Write(batch));
    for (const kv::WriteBatch::Entry& e : batch) {
      if (e.op == kv::WriteBatch::Op::kPut) {
        record_->Put(e.key, e.value);
      } else {
        record_->Delete(e.key);
      }
    }
    return Status::Ok();
  }
  Status Commit(const kv::WriteOptions&) override {
    return Status::InvalidArgument("the keyspace's transaction is committed by checkpoints");
  }
  Status Rollback() override {
    return Status::InvalidArgument("the keyspace's transaction is committed by checkpoints");
  }

 private:
  std::unique_ptr<kv::Transaction> inner_;
  kv::WriteBatch* record_;
};

class DurabilityImpl final : public Durability {
 public:
  DurabilityImpl(kv::Store* store, const DurabilityOptions& options)
      : store_(store),
        options_(options),
        fs_(options.fs != nullptr ? options.fs : DefaultFileSystem()),
        clock_(options.clock != nullptr ? options.clock : SystemClock()) {}

  ~DurabilityImpl() override { WaitForBackgroundSave(); }

  Status Recover();

  kv::Transaction& tx() override { return *tx_; }
  Result<std::uint64_t> EndBatch() override;
  Status WaitDurable(std::uint64_t ticket) override {
    return ticket == 0 ? Status::Ok() : wal_->WaitDurable(ticket);
  }
  Status MaybeCheckpoint() override;
  Status Checkpoint() override;
  Status BackgroundSave() override;
  void WaitForBackgroundSave() override;
  void SetAppendFsync(AppendFsync mode) override { wal_->SetMode(mode); }
  DurabilityStats stats() const override;
  Status Close() override;

 private:
  Status CheckpointNow();
  // Once the server is idle: frees the memory the engine keeps for its next transactions and
  // hands the freed heap back to the OS, so that RSS follows what the server holds.
  void ReleaseIdleMemory();
  void CopyForBackup();

  kv::Store* const store_;
  const DurabilityOptions options_;
  FileSystem* const fs_;
  Clock* const clock_;

  // Used with the execution lock held (see durability.h).
  std::unique_ptr<WriteAheadLog> wal_;
  kv::WriteBatch record_;  // the current batch's writes
  std::unique_ptr<LoggingTransaction> tx_;
  std::uint64_t last_checkpoint_nanos_ = 0;  // when the last checkpoint began
  std::uint64_t last_commit_nanos_ = 0;      // how long its commit took
  bool idle_memory_released_ = false;        // since the last checkpoint
  Status broken_;  // a failed commit or begin: the engine transaction is gone
  bool closed_ = false;
  std::thread bgsave_;

  // Read by stats() from any thread.
  mutable Mutex mu_;
  std::uint64_t checkpoint_seq_ GUARDED_BY(mu_) = 0;
  std::uint64_t checkpoints_ GUARDED_BY(mu_) = 0;
  std::uint64_t checkpoint_last_usec_ GUARDED_BY(mu_) = 0;
  std::uint64_t checkpoint_total_usec_ GUARDED_BY(mu_) = 0;
  std::int64_t last_save_unix_ GUARDED_BY(mu_) = 0;
  bool bgsave_running_ GUARDED_BY(mu_) = false;
  Status last_bgsave_status_ GUARDED_BY(mu_);
};

Status DurabilityImpl::Recover() {
  std::uint64_t checkpoint = 0;
  std::string value;
  Status s = store_->Get(options_.checkpoint_key, &value);
  if (s.ok()) {
    if (value.size() != 8) return Status::Corruption("the checkpoint record is not 8 bytes");
    for (char c : value) checkpoint = (checkpoint << 8) | static_cast<std::uint8_t>(c);
  } else if (!s.IsNotFound()) {
    return s;
  }
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<kv::Transaction> inner, store_->BeginTransaction());
  tx_ = std::make_unique<LoggingTransaction>(std::move(inner), &record_);
  kv::Transaction* engine = &tx_->inner();  // replayed writes are not logged again
  LARDER_ASSIGN_OR_RETURN(
      wal_,
      WriteAheadLog::Open(
          fs_, options_.dir,
          {.mode = options_.appendfsync, .sync_interval_ms = options_.sync_interval_ms}, checkpoint,
          [engine](std::uint64_t, const kv::WriteBatch& batch) { return engine->Write(batch); }));
  {
    MutexLock l(&mu_);
    checkpoint_seq_ = checkpoint;
  }
  // The replayed records go into the engine file now, so that recovery is not repeated.
  return CheckpointNow();
}

Result<std::uint64_t> DurabilityImpl::EndBatch() {
  if (closed_) return Status::InvalidArgument("durability closed");
  if (record_.empty()) return wal_->ReadBarrierSeq();
  Result<std::uint64_t> seq = wal_->Append(record_);
  record_.Clear();
  return seq;
}

Status DurabilityImpl::CheckpointNow() {
  LARDER_RETURN_IF_ERROR(broken_);
  // Writes made outside a batch (the expiry cycle, flushes) are logged first.
  if (!record_.empty()) LARDER_RETURN_IF_ERROR(EndBatch().status());
  // Never commit writes the log failed to take: recovery decides what survived.
  LARDER_RETURN_IF_ERROR(wal_->health());
  const std::uint64_t seq = wal_->last_seq();
  const std::int64_t now_unix = static_cast<std::int64_t>(clock_->NowUnixMicros() / 1000000);
  last_checkpoint_nanos_ = clock_->NowNanos();
  {
    MutexLock l(&mu_);
    if (seq == checkpoint_seq_) {  // nothing since the last checkpoint: the file is current
      last_save_unix_ = now_unix;
      return Status::Ok();
    }
  }
  std::string encoded(8, '\0');
  StoreBigEndianU64(reinterpret_cast<std::uint8_t*>(encoded.data()), seq);
  // Not logged: replaying the log onto this commit must not move it.
  const std::uint64_t commit_start_nanos = clock_->NowNanos();
  Status s = tx_->inner().Put(options_.checkpoint_key, encoded);
  if (s.ok()) s = tx_->inner().Commit({.sync = true});
  if (s.ok()) {
    Result<std::unique_ptr<kv::Transaction>> next = store_->BeginTransaction();
    if (next.ok()) {
      tx_ = std::make_unique<LoggingTransaction>(std::move(*next), &record_);
    } else {
      s = next.status();
    }
  }
  if (!s.ok()) {
    // The transaction is gone (committed or not): every write since the last checkpoint is in
    // the log, and a restart recovers them. Until then nothing more is accepted.
    broken_ = s;
    LARDER_LOG_ERROR("checkpoint at sequence {} failed: {}", seq, s.ToString());
    return s;
  }
  {
    MutexLock l(&mu_);
    checkpoint_seq_ = seq;
    ++checkpoints_;
    last_commit_nanos_ = clock_->NowNanos() - commit_start_nanos;
    checkpoint_last_usec_ = last_commit_nanos_ / 1000;
    checkpoint_total_usec_ += checkpoint_last_usec_;
    last_save_unix_ = now_unix;
  }
  // The ended transaction's memory is kept by the engine for the next one while writes go on
  // (a commit that rewrote most of the tree would otherwise fault hundreds of MiB in again);
  // ReleaseIdleMemory returns it once they stop. Other freed heap goes back now.
  idle_memory_released_ = false;
  const bool large = wal_->log_bytes() >= kTrimAfterLogBytes;
  Status rotated = wal_->Rotate(seq);
  if (large) ::malloc_trim(0);
  return rotated;
}

void DurabilityImpl::ReleaseIdleMemory() {
  store_->ReleaseCachedMemory();
  ::malloc_trim(0);
  idle_memory_released_ = true;
}

Status DurabilityImpl::Checkpoint() {
  if (closed_) return Status::InvalidArgument("durability closed");
  {
    MutexLock l(&mu_);
    if (bgsave_running_) return Status::Busy("Background save already in progress");
  }
  return CheckpointNow();
}

Status DurabilityImpl::MaybeCheckpoint() {
  if (closed_) return Status::Ok();
  const std::uint64_t bytes = wal_->log_bytes();
  bool bgsave, idle;
  {
    MutexLock l(&mu_);
    bgsave = bgsave_running_;
    idle = wal_->last_seq() == checkpoint_seq_ && record_.empty();
  }
  const std::uint64_t interval_nanos = options_.checkpoint_interval_ms * 1000000;
  const std::uint64_t now_nanos = clock_->NowNanos();
  if (idle) {
    // Nothing written since the last checkpoint: nothing to commit. Nothing for an interval
    // since it ended (no client writes during a commit), the memory kept for the next
    // transaction goes back.
    const std::uint64_t idle_nanos = now_nanos - (last_checkpoint_nanos_ + last_commit_nanos_);
    if (!idle_memory_released_ &&
        idle_nanos >= std::clamp(interval_nanos, kMinIdleNanos, kMaxIdleNanos)) {
      ReleaseIdleMemory();
    }
    return Status::Ok();
  }
  // A long commit (a large set of keys written at random dirties most of the tree's leaves, and
  // every one is rewritten) spaces the next one out, so that commits hold the execution lock
  // for about 1 / kCheckpointSpacing of the time at most. The log keeps everything durable
  // meanwhile, and its size limit still forces one.
  const std::uint64_t spacing_nanos =
      std::max(interval_nanos,
               std::min(kCheckpointSpacing * last_commit_nanos_, kMaxCheckpointSpacingNanos));
  const bool by_time = now_nanos - last_checkpoint_nanos_ >= spacing_nanos;
  const bool by_size = bytes >= options_.checkpoint_log_bytes;
  // While BGSAVE copies the file, commits would make its lock-free copy retry: defer them, the
  // log holding everything meanwhile, unless the log grows too large.
  if (bgsave ? bytes < 4 * options_.checkpoint_log_bytes : !(by_time || by_size)) {
    return Status::Ok();
  }
  return CheckpointNow();
}

Status DurabilityImpl::BackgroundSave() {
  if (closed_) return Status::InvalidArgument("durability closed");
  LARDER_RETURN_IF_ERROR(Checkpoint());    // Busy while one runs
  if (bgsave_.joinable()) bgsave_.join();  // the previous one, finished
  {
    MutexLock l(&mu_);
    bgsave_running_ = true;
  }
  bgsave_ = std::thread([this] { CopyForBackup(); });
  return Status::Ok();
}

void DurabilityImpl::CopyForBackup() {
  const std::string tmp = options_.backup_file + ".tmp";
  Status s = fs_->Remove(tmp);  // a leftover of a crash during an earlier copy
  if (s.IsNotFound()) s = Status::Ok();
  if (s.ok()) s = options_.copy_engine(tmp);
  if (s.ok()) s = InstallFile(fs_, tmp, options_.backup_file);
  if (s.ok()) {
    LARDER_LOG_INFO("background save: {} written", options_.backup_file);
  } else {
    LARDER_LOG_ERROR("background save to {} failed: {}", options_.backup_file, s.ToString());
  }
  MutexLock l(&mu_);
  last_bgsave_status_ = std::move(s);
  bgsave_running_ = false;
}

void DurabilityImpl::WaitForBackgroundSave() {
  if (bgsave_.joinable()) bgsave_.join();
}

DurabilityStats DurabilityImpl::stats() const {
  const WalStats w = wal_->stats();
  MutexLock l(&mu_);
  DurabilityStats s;
  s.commits = w.appends;
  s.fsyncs = w.syncs;
  s.log_bytes = w.log_bytes;
  s.replayed = w.replayed;
  s.last_seq = w.last_seq;
  s.checkpoints = checkpoints_;
  s.checkpoint_last_usec = checkpoint_last_usec_;
  s.checkpoint_total_usec = checkpoint_total_usec_;
  s.checkpoint_seq = checkpoint_seq_;
  s.last_save_unix = last_save_unix_;
  s.bgsave_in_progress = bgsave_running_;
  s.last_bgsave_status = last_bgsave_status_;
  return s;
}

Status DurabilityImpl::Close() {
  if (closed_) return Status::Ok();
  WaitForBackgroundSave();
  Status s = CheckpointNow();
  closed_ = true;
  tx_.reset();  // the empty transaction begun by the checkpoint
  return s;
}

}  // namespace

Result<std::unique_ptr<Durability>> Durability::Open(kv::Store* store,
                                                     const DurabilityOptions& options) {
  if (options.checkpoint_key.empty()) {
    return Status::InvalidArgument("durability: no checkpoint key");
  }
  auto d = std::make_unique<DurabilityImpl>(store, options);
  LARDER_RETURN_IF_ERROR(d->Recover());
  return std::unique_ptr<Durability>(std::move(d));
}

}  // namespace larder::server
