// The DB's transactions:
//  - kv::Transaction (kv.h): one at a time; while it is open every other write waits (the
//    gate), so it reads the latest state plus its own writes, which it keeps in a private
//    MemTable (for Get and iterators) and a WriteBatch (applied at Commit as one write).
//  - OptimisticTransaction (db.h): many at once; reads see a snapshot taken at Begin plus the
//    transaction's writes; Commit fails with Conflict when a key it read or wrote has a version
//    newer than the snapshot, checked by the write leader with every earlier write applied and
//    no other write in between (DBImpl::WriteCheck).
#include <map>
#include <optional>
#include <set>

#include "lsm/db_impl.h"
#include "lsm/memtable.h"
#include "lsm/range_tombstones.h"
#include "lsm/table.h"
#include "lsm/table_cache.h"

namespace larder::lsm {

// --- The kv.h transaction gate -------------------------------------------------------------

void DBImpl::OpenTransactionGate() {
  MutexLock l(&mu_);
  while (tx_open_) tx_cv_.Wait(mu_);
  tx_open_ = true;
}

void DBImpl::CloseTransactionGate() {
  MutexLock l(&mu_);
  tx_open_ = false;
  tx_cv_.SignalAll();
}

Result<SequenceNumber> DBImpl::LatestSequenceOf(std::string_view key) {
  std::shared_ptr<const ReadState> state = GetReadState();
  if (state == nullptr) return Status::InvalidArgument("the LSM database " + dir_ + " is closed");
  const LookupKey lk(key, kMaxSequenceNumber);
  Found f;
  LARDER_RETURN_IF_ERROR(FindNewest(*state, lk, options_.verify_checksums, &f));
  LARDER_ASSIGN_OR_RETURN(SequenceNumber covering,
                          CoveringTombstone(*state, key, kMaxSequenceNumber));
  return std::max(f.ok ? f.seq : 0, covering);
}

namespace {

constexpr SequenceNumber kTxSequenceBase = SequenceNumber{1} << 54;

// kv::Transaction.
class TransactionImpl final : public kv::Transaction {
 public:
  explicit TransactionImpl(DBImpl* db) : db_(db), mem_(std::make_shared<MemTable>()) {}
  ~TransactionImpl() override { (void)Rollback(); }

  Status Get(std::string_view key, std::string* value) override {
    LARDER_RETURN_IF_ERROR(Usable());
    ValueType type;
    std::string_view v;
    if (mem_->Get(key, kMaxSequenceNumber, &type, &v, nullptr)) {
      if (type == ValueType::kDeletion) return Status::NotFound();
      value->assign(v);
      return Status::Ok();
    }
    return db_->Get(key, value);
  }

  Result<std::unique_ptr<kv::Iterator>> NewIterator(const kv::IteratorOptions& options) override {
    LARDER_RETURN_IF_ERROR(Usable());
    std::shared_ptr<const ReadState> base = db_->GetReadState();
    if (base == nullptr) return Status::InvalidArgument("the LSM database is closed");
    // The transaction's writes, as the newest memtable over the store's state (the gate keeps
    // the store's state still while the transaction is open).
    auto state = std::make_shared<ReadState>();
    state->mem = mem_;
    state->imm.push_back(base->mem);
    state->imm.insert(state->imm.end(), base->imm.begin(), base->imm.end());
    state->version = base->version;
    state->frozen_tombstones = base->frozen_tombstones || base->mem->num_range_deletions() > 0;
    IteratorOptions io;
    static_cast<kv::IteratorOptions&>(io) = options;
    return db_->NewIteratorAt(std::move(state), kMaxSequenceNumber - 1, ReadOptions{}, io, false,
                              mem_);
  }

  Status Put(std::string_view key, std::string_view value) override {
    LARDER_RETURN_IF_ERROR(Usable());
    mem_->Add(next_seq_++, ValueType::kValue, key, value);
    return Status::Ok();
  }

  Status Delete(std::string_view key) override {
    LARDER_RETURN_IF_ERROR(Usable());
    mem_->Add(next_seq_++, ValueType::kDeletion, key, {});
    return Status::Ok();
  }

  // Writes the newest write of each key the transaction touched, in key order, as one batch:
  // a key rewritten many times (larderd's list and set metadata, once per command between
  // checkpoints) costs the log and the memtable one entry, not one per rewrite.
  Status Commit(const kv::WriteOptions& options) override {
    LARDER_RETURN_IF_ERROR(Usable());
    WriteBatch batch;
    std::unique_ptr<InternalIterator> it = mem_->NewIterator();
    std::string last;
    bool have_last = false;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ParsedInternalKey k;
      if (!ParseInternalKey(it->key(), &k)) return Status::Corruption("transaction entry");
      if (have_last && k.user_key == std::string_view(last)) continue;  // an older write
      last.assign(k.user_key);
      have_last = true;
      if (k.type == ValueType::kDeletion) {
        batch.Delete(k.user_key);
      } else {
        batch.Put(k.user_key, it->value());
      }
    }
    Status s;
    if (!batch.empty()) s = db_->WriteInternal(options, &batch, nullptr, /*gate=*/false);
    End();
    return s;
  }

  Status Rollback() override {
    End();
    return Status::Ok();
  }

 private:
  Status Usable() const { return open_ ? Status::Ok() : Status::TxClosed(); }
  void End() {
    if (!open_) return;
    open_ = false;
    db_->CloseTransactionGate();
  }

  DBImpl* db_;
  std::shared_ptr<MemTable> mem_;  // every write, newest last; Commit keeps the newest per key
  SequenceNumber next_seq_ = kTxSequenceBase;
  bool open_ = true;
};

// OptimisticTransaction.
class OptimisticImpl final : public OptimisticTransaction, private DBImpl::WriteCheck {
 public:
  OptimisticImpl(DBImpl* db, SequenceNumber snapshot) : db_(db), snapshot_(snapshot) {}
  ~OptimisticImpl() override { Rollback(); }

  Status Get(std::string_view key, std::string* value) override {
    if (!open_) return Status::TxClosed();
    touched_.emplace(key);
    auto it = writes_.find(key);
    if (it != writes_.end()) {
      if (!it->second.has_value()) return Status::NotFound();
      *value = *it->second;
      return Status::Ok();
    }
    std::shared_ptr<const ReadState> state = db_->GetReadState();
    if (state == nullptr) return Status::InvalidArgument("the LSM database is closed");
    return db_->GetAt(*state, snapshot_, ReadOptions{}, key, value);
  }

  Status Put(std::string_view key, std::string_view value) override {
    if (!open_) return Status::TxClosed();
    touched_.emplace(key);
    writes_[std::string(key)] = std::string(value);
    batch_.Put(key, value);
    return Status::Ok();
  }

  Status Delete(std::string_view key) override {
    if (!open_) return Status::TxClosed();
    touched_.emplace(key);
    writes_[std::string(key)] = std::nullopt;
    batch_.Delete(key);
    return Status::Ok();
  }

  Status Commit(const kv::WriteOptions& options) override {
    if (!open_) return Status::TxClosed();
    Status s;
    if (!batch_.empty()) s = db_->WriteInternal(options, &batch_, this);
    Rollback();
    return s;
  }

  void Rollback() override {
    if (!open_) return;
    open_ = false;
    db_->ReleaseSnapshot(snapshot_);
  }

 private:
  // Called by the write leader: nothing else is written meanwhile.
  Status Validate(DBImpl* db) override {
    for (const std::string& key : touched_) {
      LARDER_ASSIGN_OR_RETURN(SequenceNumber latest, db->LatestSequenceOf(key));
      if (latest > snapshot_) {
        return Status::Conflict(
            "optimistic transaction: key written by another writer since "
            "the transaction began");
      }
    }
    return Status::Ok();
  }

  DBImpl* db_;
  SequenceNumber snapshot_;
  std::set<std::string, std::less<>> touched_;
  std::map<std::string, std::optional<std::string>, std::less<>> writes_;
  WriteBatch batch_;
  bool open_ = true;
};

}  // namespace

Result<std::unique_ptr<kv::Transaction>> DBImpl::BeginTransaction() {
  {
    MutexLock l(&mu_);
    LARDER_RETURN_IF_ERROR(CheckWritable());
  }
  OpenTransactionGate();
  return std::unique_ptr<kv::Transaction>(new TransactionImpl(this));
}

Result<std::unique_ptr<OptimisticTransaction>> DBImpl::BeginOptimistic() {
  {
    MutexLock l(&mu_);
    LARDER_RETURN_IF_ERROR(CheckWritable());
  }
  return std::unique_ptr<OptimisticTransaction>(new OptimisticImpl(this, AcquireSnapshot()));
}

}  // namespace larder::lsm
