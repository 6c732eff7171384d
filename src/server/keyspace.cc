// KeyspaceImpl: the engine, the databases over it, and the batches, flushes and checkpoints
// around them (the lock rule is in keyspace.h). Durability (durability.h) owns the engine
// transaction, the write-ahead log and the checkpoints; this file is its one user:
//   - every kv write goes to Durability's transaction (KeyspaceState::Put/Delete), which records
//     it for the log; EndBatch writes the changed counters, then Durability::EndBatch appends
//     the batch's record and gives the ticket;
//   - a checkpoint replaces the transaction: after every Durability call that may checkpoint,
//     the state is handed the new one (UseTx).
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "larder/clock.h"
#include "server/database.h"
#include "server/durability.h"
#include "server/engine.h"
#include "server/keyspace.h"
#include "server/keyspace_state.h"
#include "server/reclaim.h"

namespace larder::server {

std::string_view TypeName(ValueType type) {
  switch (type) {
    case ValueType::kString:
      return "string";
    case ValueType::kHash:
      return "hash";
    case ValueType::kList:
      return "list";
    case ValueType::kSet:
      return "set";
    case ValueType::kZSet:
      return "zset";
    case ValueType::kStream:
      return "stream";
  }
  return "none";
}

// The raw record calls' defaults, for Database implementations without them (test fakes).
Result<KeyInfo> Database::NewCollection(ValueType) {
  return Status::NotSupported("raw collection records");
}
Result<std::optional<std::string>> Database::GetRecord(std::uint64_t, std::string_view) {
  return Status::NotSupported("raw collection records");
}
Status Database::PutRecord(std::uint64_t, std::string_view, std::string_view) {
  return Status::NotSupported("raw collection records");
}
Status Database::DeleteRecord(std::uint64_t, std::string_view) {
  return Status::NotSupported("raw collection records");
}
Result<std::optional<std::string>> Database::TakeRecord(std::uint64_t version,
                                                        std::string_view record) {
  LARDER_ASSIGN_OR_RETURN(std::optional<std::string> value, GetRecord(version, record));
  if (value) LARDER_RETURN_IF_ERROR(DeleteRecord(version, record));
  return value;
}
Result<std::unique_ptr<Cursor>> Database::Records(std::uint64_t, std::string_view, bool) {
  return Status::NotSupported("raw collection records");
}
Status Database::WriteCollection(std::string_view, const KeyInfo&, bool) {
  return Status::NotSupported("raw collection records");
}

Result<std::optional<std::string>> Keyspace::GetSystemRecord(std::string_view) {
  return Status::NotSupported("service records");
}
Status Keyspace::PutSystemRecord(std::string_view, std::string_view) {
  return Status::NotSupported("service records");
}
Status Keyspace::DeleteSystemRecord(std::string_view) {
  return Status::NotSupported("service records");
}
Result<std::vector<std::pair<std::string, std::string>>> Keyspace::ScanSystemRecords(
    std::string_view) {
  return Status::NotSupported("service records");
}

namespace {

constexpr std::string_view kLockFile = "LOCK";

class KeyspaceImpl final : public Keyspace {
 public:
  KeyspaceImpl(const KeyspaceOptions& options, FileSystem* fs, Clock* clock)
      : options_(options),
        fs_(fs),
        clock_(clock),
        state_(clock, options.databases, options.rank_cache_bytes) {}
  ~KeyspaceImpl() override { (void)Close(); }  // errors were reported by an explicit Close

  Status Init() {
    LARDER_RETURN_IF_ERROR(fs_->CreateDirs(options_.dir));
    LARDER_RETURN_IF_ERROR(LockDir());
    LARDER_ASSIGN_OR_RETURN(engine_, OpenEngine(options_.engine, options_.dir, fs_));
    DurabilityOptions d;
    d.dir = options_.dir;
    d.backup_file = engine_->backup_path();
    d.copy_engine = [engine = engine_.get()](const std::string& dest) {
      return engine->CopyTo(dest);
    };
    d.checkpoint_key = std::string(enc::kCheckpointKey);
    d.appendfsync = options_.appendfsync;
    d.checkpoint_interval_ms = options_.checkpoint_interval_ms;
    d.fs = fs_;
    d.clock = clock_;
    LARDER_ASSIGN_OR_RETURN(durability_, Durability::Open(engine_->store(), d));
    UseTx();
    state_.set_now_ms(static_cast<std::int64_t>(clock_->NowUnixMillis()));
    LARDER_RETURN_IF_ERROR(state_.Load());
    LARDER_RETURN_IF_ERROR(AppendLog().status());
    LARDER_RETURN_IF_ERROR(state_.Fail(durability_->Checkpoint()));
    UseTx();
    for (int i = 0; i < options_.databases; ++i) {
      dbs_.push_back(std::make_unique<DatabaseImpl>(&state_, i));
    }
    return Status::Ok();
  }

  int databases() const override { return options_.databases; }
  void AddObserver(KeyspaceObserver* observer) override { state_.AddObserver(observer); }
  void RemoveObserver(KeyspaceObserver* observer) override { state_.RemoveObserver(observer); }

  Status BeginBatch() override {
    LARDER_RETURN_IF_ERROR(Usable());
    in_batch_ = true;
    state_.set_now_ms(static_cast<std::int64_t>(clock_->NowUnixMillis()));
    return Status::Ok();
  }
  Database& db(int index) override { return *dbs_[static_cast<std::size_t>(index)]; }
  Result<Ticket> EndBatch() override {
    in_batch_ = false;
    LARDER_ASSIGN_OR_RETURN(Ticket t, AppendLog());
    return std::max(t, std::exchange(logged_in_batch_, 0));
  }
  Status WaitDurable(Ticket ticket) override {
    if (ticket == 0) return Status::Ok();
    return durability_->WaitDurable(ticket);
  }

  // These also run inside a batch (a FLUSHDB command, or one queued by MULTI): then their
  // writes join it. Outside one they make their own, durable before they return.
  Status FlushDb(int index) override {
    LARDER_RETURN_IF_ERROR(CheckIndex(index));
    return InBatch([&] { return Flush(index); });
  }
  Status FlushAll() override {
    return InBatch([&]() -> Status {
      for (int i = 0; i < options_.databases; ++i) LARDER_RETURN_IF_ERROR(Flush(i));
      return Status::Ok();
    });
  }
  Status SwapDb(int a, int b) override {
    LARDER_RETURN_IF_ERROR(CheckIndex(a));
    LARDER_RETURN_IF_ERROR(CheckIndex(b));
    return InBatch([&] {
      std::swap(state_.db_map()[static_cast<std::size_t>(a)],
                state_.db_map()[static_cast<std::size_t>(b)]);
      state_.MarkDbMapDirty();
      state_.Notify(a, std::nullopt);
      state_.Notify(b, std::nullopt);
      return Status::Ok();
    });
  }

  Status Save() override {
    return Saved(WithCheckpoint([&] { return durability_->Checkpoint(); }));
  }
  Status BackgroundSave() override {
    return Saved(WithCheckpoint([&] { return durability_->BackgroundSave(); }));
  }
  // After SAVE or BGSAVE: a successful one restarts the count of changes since a save.
  Status Saved(Status s) {
    if (s.ok()) state_.changes_since_save = 0;
    return s;
  }

  Result<std::uint64_t> ActiveExpireCycle(std::uint64_t budget) override {
    LARDER_RETURN_IF_ERROR(Usable());
    std::uint64_t done = 0;
    Status s = InBatch(
        [&]() -> Status {
          LARDER_ASSIGN_OR_RETURN(std::uint64_t expired, ExpireStep(state_, budget));
          LARDER_ASSIGN_OR_RETURN(std::uint64_t reclaimed, ReclaimStep(state_, budget - expired));
          done = expired + reclaimed;
          return Status::Ok();
        },
        /*wait=*/false);
    LARDER_RETURN_IF_ERROR(s);
    return done;
  }

  Status MaybeCheckpoint() override {
    return WithCheckpoint([&] { return durability_->MaybeCheckpoint(); });
  }

  Result<std::optional<std::string>> GetSystemRecord(std::string_view name) override {
    std::string_view value;
    Status s = state_.Get(ServiceKey(name), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    LARDER_RETURN_IF_ERROR(s);
    return std::optional<std::string>(std::string(value));
  }
  Status PutSystemRecord(std::string_view name, std::string_view value) override {
    return state_.Put(ServiceKey(name), value);
  }
  Status DeleteSystemRecord(std::string_view name) override {
    return state_.Delete(ServiceKey(name));
  }
  Result<std::vector<std::pair<std::string, std::string>>> ScanSystemRecords(
      std::string_view prefix) override {
    const std::string lower = ServiceKey(prefix);
    LARDER_ASSIGN_OR_RETURN(auto it, state_.Range(lower, enc::PrefixEnd(lower)));
    std::vector<std::pair<std::string, std::string>> out;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      out.emplace_back(std::string(it->key().substr(enc::kServiceRecordPrefix.size())),
                       std::string(it->value()));
    }
    LARDER_RETURN_IF_ERROR(it->status());
    return out;
  }

  void SetAppendFsync(AppendFsync mode) override { durability_->SetAppendFsync(mode); }

  // With the execution lock (expired_keys is the state's).
  KeyspaceStats stats() const override {
    KeyspaceStats st;
    st.expired_keys = state_.expired_keys;
    st.changes_since_save = state_.changes_since_save;
    if (durability_ != nullptr) {
      DurabilityStats d = durability_->stats();
      st.commits = d.commits;
      st.fsyncs = d.fsyncs;
      st.checkpoints = d.checkpoints;
      st.checkpoint_last_usec = d.checkpoint_last_usec;
      st.checkpoint_total_usec = d.checkpoint_total_usec;
      st.log_bytes = d.log_bytes;
      st.last_save_unix = d.last_save_unix;
      st.bgsave_in_progress = d.bgsave_in_progress;
      st.last_bgsave_status = d.last_bgsave_status;
    }
    if (engine_ != nullptr) {
      auto size = engine_->DiskBytes();
      if (size.ok()) st.data_file_bytes = *size;
      st.engine_cached_bytes = engine_->store()->CachedMemoryBytes();
    }
    return st;
  }

  Status Close() override {
    if (closed_) return Status::Ok();
    closed_ = true;
    Status s;
    if (durability_ != nullptr) {
      // After an engine error the log holds what the transaction had: no final checkpoint.
      if (state_.broken().ok()) s = durability_->Close();
      state_.set_tx(nullptr);
      durability_.reset();  // rolls back what is left
    }
    if (engine_ != nullptr) {
      Status c = engine_->Close();
      if (s.ok()) s = c;
      engine_.reset();
    }
    if (lock_ != nullptr) {
      (void)lock_->Unlock();  // closing the file releases it anyway
      lock_.reset();
    }
    return s;
  }

 private:
  static std::string ServiceKey(std::string_view name) {
    std::string key(enc::kServiceRecordPrefix);
    key += name;
    return key;
  }
  std::string Path(std::string_view name) const { return options_.dir + "/" + std::string(name); }

  Status LockDir() {
    OpenOptions o;
    o.create = true;
    LARDER_ASSIGN_OR_RETURN(lock_, fs_->Open(Path(kLockFile), o));
    Status s = lock_->TryLock(LockMode::kExclusive);
    if (!s.ok()) {
      lock_.reset();
      return Status::Busy(fmt::format(
          "data directory {} is in use by another process (is another larderd running on it?): "
          "{}",
          options_.dir, s.ToString()));
    }
    return Status::Ok();
  }

  Status Usable() const {
    if (closed_) return Status::InvalidArgument("keyspace closed");
    return state_.broken();
  }
  Status CheckIndex(int index) const {
    if (index < 0 || index >= options_.databases) {
      return Status::InvalidArgument("DB index is out of range");
    }
    return Status::Ok();
  }

  // Hands the state Durability's current transaction (a checkpoint replaces it).
  void UseTx() { state_.set_tx(&durability_->tx()); }
  // SAVE and BGSAVE run as commands, inside a batch: the counters the batch changed are written
  // and its writes so far logged first, so that the checkpoint commits a consistent state;
  // EndBatch still returns their ticket (a BGSAVE already running commits nothing). A failed
  // checkpoint breaks the keyspace (the log keeps what was acknowledged); Busy does not.
  template <typename Fn>
  Status WithCheckpoint(Fn&& fn) {
    LARDER_RETURN_IF_ERROR(Usable());
    if (in_batch_) {
      LARDER_ASSIGN_OR_RETURN(Ticket t, AppendLog());
      logged_in_batch_ = std::max(logged_in_batch_, t);
    }
    Status s = fn();
    UseTx();
    if (s.ok() || s.code() == Code::kBusy) return s;
    return state_.Fail(std::move(s));
  }

  // Writes the changed counters, then appends the batch's writes to the log as one record.
  Result<Ticket> AppendLog() {
    LARDER_RETURN_IF_ERROR(state_.FlushCounters());
    auto seq = durability_->EndBatch();
    if (!seq.ok()) return state_.Fail(seq.status());
    return *seq;
  }

  // Runs fn in the current batch, or in one of its own (then waiting for its durability when
  // `wait`).
  template <typename Fn>
  Status InBatch(Fn&& fn, bool wait = true) {
    if (in_batch_) return fn();
    LARDER_RETURN_IF_ERROR(BeginBatch());
    Status s = fn();
    LARDER_ASSIGN_OR_RETURN(Ticket t, EndBatch());
    LARDER_RETURN_IF_ERROR(s);
    return wait ? WaitDurable(t) : Status::Ok();
  }

  // The logical database `index` gets a new, empty physical database; the old one is left to
  // ReclaimStep.
  Status Flush(int index) {
    const std::uint32_t old = state_.pdb(index);
    LARDER_RETURN_IF_ERROR(state_.Put(enc::DeadDbKey(old), {}));
    state_.db_map()[static_cast<std::size_t>(index)] = state_.NewPdb();
    state_.MarkDbMapDirty();
    state_.rank_cache().Clear();  // the flushed sets' versions are unreachable now
    state_.Notify(index, std::nullopt);
    return Status::Ok();
  }

  const KeyspaceOptions options_;
  FileSystem* const fs_;
  Clock* const clock_;
  KeyspaceState state_;
  std::unique_ptr<File> lock_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Durability> durability_;  // declared after engine_: destroyed before it
  std::vector<std::unique_ptr<DatabaseImpl>> dbs_;
  bool in_batch_ = false;
  Ticket logged_in_batch_ = 0;  // the batch's writes logged before its end (SAVE, BGSAVE)
  bool closed_ = false;
};

}  // namespace

Result<std::unique_ptr<Keyspace>> Keyspace::Open(const KeyspaceOptions& options) {
  if (options.databases < 1) return Status::InvalidArgument("databases must be at least 1");
  FileSystem* fs = options.fs != nullptr ? options.fs : DefaultFileSystem();
  Clock* clock = options.clock != nullptr ? options.clock : SystemClock();
  auto ks = std::make_unique<KeyspaceImpl>(options, fs, clock);
  Status s = ks->Init();
  if (!s.ok()) {
    (void)ks->Close();  // the error to report is the first one
    return s;
  }
  return std::unique_ptr<Keyspace>(std::move(ks));
}

}  // namespace larder::server
