// The bolt adapter behind kv::Store (include/larder/bolt/kv.h): one bucket of a bolt DB.
//
// Reads work on TxImpl directly (src/bolt/access.h) rather than through the public Tx, so that
// a Get allocates nothing: a recycled read transaction (reader_table.h) with its bucket already
// open, the reader's map descent, and a copy into the caller's string.
#include "larder/bolt/kv.h"

#include <optional>
#include <string>
#include <utility>

#include "bolt/access.h"
#include "bolt/bucket_impl.h"
#include "bolt/cursor_impl.h"
#include "bolt/db_impl.h"
#include "bolt/tx_impl.h"
#include "larder/bolt/bucket.h"
#include "larder/bolt/tx.h"

namespace larder::bolt {
namespace {

using internal::BucketImpl;
using internal::CursorImpl;
using internal::TxImpl;

// Get through a reader's GetView, copying into the caller's string.
template <typename Reader>
Status CopyFromView(Reader& reader, std::string_view key, std::string* value) {
  std::string_view v;
  LARDER_RETURN_IF_ERROR(reader.GetView(key, &v));
  value->assign(v);
  return Status::Ok();
}

// A read transaction and the store's bucket in it (nullptr when the bucket does not exist in
// this snapshot: the store then reads as empty). Ends the transaction when destroyed.
class ReadTx {
 public:
  static Result<ReadTx> Begin(internal::DBImpl& db, std::string_view bucket) {
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<TxImpl> tx, db.BeginTx(false));
    ReadTx r(std::move(tx));
    auto b = r.tx_->root.Child(bucket);
    if (b.ok()) {
      r.bucket_ = *b;
    } else if (!b.status().IsNotFound()) {
      return b.status();
    }
    return r;
  }
  ReadTx(ReadTx&& o) noexcept : tx_(std::move(o.tx_)), bucket_(o.bucket_) {}
  ReadTx& operator=(ReadTx&&) = delete;
  ReadTx(const ReadTx&) = delete;
  ~ReadTx() {
    if (tx_) internal::EndTx(std::move(tx_));
  }

  BucketImpl* bucket() const { return bucket_; }

  Status Get(std::string_view key, std::string* value) const {
    return CopyFromView(*this, key, value);
  }
  // *value views the map: valid until this transaction ends.
  Status GetView(std::string_view key, std::string_view* value) const {
    if (bucket_ == nullptr) return Status::NotFound();
    LARDER_ASSIGN_OR_RETURN(*value, bucket_->Get(key));
    return Status::Ok();
  }

 private:
  explicit ReadTx(std::unique_ptr<TxImpl> tx) : tx_(std::move(tx)) {}
  std::unique_ptr<TxImpl> tx_;
  BucketImpl* bucket_ = nullptr;
};

// A cursor clipped to [lower, upper) that steps over sub-bucket entries. It reads the snapshot
// of `owned` when given (a store-level iterator), else one that outlives it (a Snapshot's).
// Where a seek or skip stops (not each Next) is left with the bucket as a hint for a write of
// that key (CursorImpl::NotePosition; only a write transaction's materialized leaves count).
class BoltIterator final : public kv::Iterator {
 public:
  BoltIterator(std::optional<ReadTx> owned, BucketImpl* bucket, const kv::IteratorOptions& o)
      : owned_(std::move(owned)),
        cursor_(bucket),
        has_bucket_(bucket != nullptr),
        lower_(o.lower_bound.value_or(std::string_view())),
        upper_(o.upper_bound.value_or(std::string_view())),
        has_lower_(o.lower_bound.has_value()),
        has_upper_(o.upper_bound.has_value()) {}

  bool Valid() const override { return valid_; }

  void SeekToFirst() override {
    if (!has_bucket_) return Clear();
    if (has_lower_) {
      cursor_.Seek(lower_);
    } else {
      cursor_.First();
    }
    SettleForward();
    if (valid_) cursor_.NotePosition();
  }

  void SeekToLast() override {
    if (!has_bucket_) return Clear();
    if (has_upper_) {
      SeekAtOrBefore(upper_, /*inclusive=*/false);
    } else {
      cursor_.Last();
    }
    SettleBackward();
    if (valid_) cursor_.NotePosition();
  }

  void Seek(std::string_view target) override {
    if (!has_bucket_) return Clear();
    cursor_.Seek(has_lower_ && target < lower_ ? std::string_view(lower_) : target);
    SettleForward();
    if (valid_) cursor_.NotePosition();
  }

  void SeekForPrev(std::string_view target) override {
    if (!has_bucket_) return Clear();
    if (has_upper_ && target >= upper_) {
      SeekAtOrBefore(upper_, /*inclusive=*/false);
    } else {
      SeekAtOrBefore(target, /*inclusive=*/true);
    }
    SettleBackward();
    if (valid_) cursor_.NotePosition();
  }

  void Next() override {
    cursor_.Next();
    SettleForward();
  }
  void Prev() override {
    cursor_.Prev();
    SettleBackward();
  }
  // Keys only grow on the way, so the upper bound is checked once, at the end.
  void Skip(std::uint64_t n) override {
    if (!valid_) return;
    while (n > 0 && cursor_.Next()) {
      if (!cursor_.entry().is_bucket()) --n;
    }
    SettleForward();
    if (valid_) cursor_.NotePosition();
  }

  std::string_view key() const override { return cursor_.entry().key; }
  std::string_view value() const override { return cursor_.entry().value; }
  const Status& status() const override { return cursor_.status(); }

 private:
  void Clear() { valid_ = false; }

  // Positions the cursor on the last entry < target (<= target when inclusive), sub-bucket
  // entries included; not valid when there is none.
  void SeekAtOrBefore(std::string_view target, bool inclusive) {
    if (cursor_.Seek(target)) {
      if (inclusive && cursor_.entry().key == target) return;
      cursor_.Prev();
    } else if (cursor_.status().ok()) {
      cursor_.Last();  // every key is below target
    }
  }
  // Steps over sub-bucket entries forward, then checks the upper bound.
  void SettleForward() {
    while (cursor_.valid() && cursor_.entry().is_bucket()) cursor_.Next();
    valid_ = cursor_.valid() && (!has_upper_ || cursor_.entry().key < upper_);
  }
  void SettleBackward() {
    while (cursor_.valid() && cursor_.entry().is_bucket()) cursor_.Prev();
    valid_ = cursor_.valid() && (!has_lower_ || cursor_.entry().key >= lower_);
  }

  std::optional<ReadTx> owned_;  // declared first: the cursor reads its pages
  CursorImpl cursor_;
  bool has_bucket_;
  std::string lower_, upper_;
  bool has_lower_, has_upper_;
  bool valid_ = false;
};

class BoltSnapshot final : public kv::Snapshot {
 public:
  explicit BoltSnapshot(ReadTx tx) : tx_(std::move(tx)) {}
  Status Get(std::string_view key, std::string* value) override { return tx_.Get(key, value); }
  // No copy: the view points into the map, which the snapshot's read transaction keeps valid
  // (longer than kv.h promises: until the snapshot ends).
  Status GetView(std::string_view key, std::string_view* value) override {
    return tx_.GetView(key, value);
  }
  Result<std::unique_ptr<kv::Iterator>> NewIterator(const kv::IteratorOptions& options) override {
    return std::unique_ptr<kv::Iterator>(
        std::make_unique<BoltIterator>(std::nullopt, tx_.bucket(), options));
  }

 private:
  ReadTx tx_;
};

// Bolt's limits, checked before the write transaction starts so that a bad entry fails alone
// (inside DB::Batch it would take its group's shared commit down with it).
Status CheckEntry(std::string_view key, std::string_view value) {
  if (key.empty()) return Status::InvalidArgument("key required");
  if (key.size() > kMaxKeySize) return Status::InvalidArgument("key too large");
  if (value.size() > kMaxValueSize) return Status::InvalidArgument("value too large");
  return Status::Ok();
}

// The store's transaction: a bolt write transaction with the store's bucket open in it. Puts
// and Deletes go to the bucket's nodes in memory; Commit spills and syncs them (bolt always
// syncs unless the DB was opened with no_sync, whatever WriteOptions::sync says).
class BoltTransaction final : public kv::Transaction {
 public:
  BoltTransaction(std::unique_ptr<Tx> tx, Bucket bucket, BucketImpl* impl)
      : tx_(std::move(tx)), bucket_(bucket), impl_(impl) {}
  ~BoltTransaction() override {
    if (open_) (void)tx_->Rollback();  // OK or TxClosed: nothing to report
  }

  Status Get(std::string_view key, std::string* value) override {
    return CopyFromView(*this, key, value);
  }
  // No copy: the view points into the map or the transaction's nodes, both kept until it ends
  // (longer than kv.h promises).
  Status GetView(std::string_view key, std::string_view* value) override {
    LARDER_RETURN_IF_ERROR(Usable());
    LARDER_ASSIGN_OR_RETURN(*value, bucket_.Get(key));
    return Status::Ok();
  }
  Result<std::unique_ptr<kv::Iterator>> NewIterator(const kv::IteratorOptions& options) override {
    LARDER_RETURN_IF_ERROR(Usable());
    return std::unique_ptr<kv::Iterator>(
        std::make_unique<BoltIterator>(std::nullopt, impl_, options));
  }

  Status Put(std::string_view key, std::string_view value) override {
    LARDER_RETURN_IF_ERROR(Usable());
    LARDER_RETURN_IF_ERROR(CheckEntry(key, value));
    return Track(bucket_.Put(key, value));
  }
  Status Delete(std::string_view key) override {
    LARDER_RETURN_IF_ERROR(Usable());
    LARDER_RETURN_IF_ERROR(CheckEntry(key, {}));
    return Track(bucket_.Delete(key));
  }
  // One descent: the seek that finds the entry deletes it.
  Status Take(std::string_view key, std::string* value) override {
    LARDER_RETURN_IF_ERROR(Usable());
    LARDER_RETURN_IF_ERROR(CheckEntry(key, {}));
    Status s = impl_->Take(key, value);
    return s.IsNotFound() ? s : Track(std::move(s));
  }
  Status Write(const kv::WriteBatch& batch) override {
    LARDER_RETURN_IF_ERROR(Usable());
    for (const kv::WriteBatch::Entry& e : batch) {
      LARDER_RETURN_IF_ERROR(CheckEntry(e.key, e.value));
    }
    for (const kv::WriteBatch::Entry& e : batch) {
      LARDER_RETURN_IF_ERROR(Track(e.op == kv::WriteBatch::Op::kPut ? bucket_.Put(e.key, e.value)
                                                                    : bucket_.Delete(e.key)));
    }
    return Status::Ok();
  }

  Status Commit(const kv::WriteOptions& /*options: bolt always syncs*/) override {
    LARDER_RETURN_IF_ERROR(Usable());
    open_ = false;
    if (!broken_.ok()) {
      (void)tx_->Rollback();  // OK or TxClosed: nothing to report
      return broken_;
    }
    return tx_->Commit();
  }
  Status Rollback() override {
    if (!open_) return Status::Ok();
    open_ = false;
    return tx_->Rollback();
  }

 private:
  Status Usable() const {
    if (!open_) return Status::TxClosed();
    return broken_;
  }
  // A write that failed for a reason other than its arguments breaks the transaction.
  Status Track(Status s) {
    if (!s.ok() && s.code() != Code::kInvalidArgument && s.code() != Code::kIncompatible) {
      broken_ = s;
    }
    return s;
  }

  std::unique_ptr<Tx> tx_;
  Bucket bucket_;
  BucketImpl* impl_;
  bool open_ = true;
  Status broken_;
};

class BoltStore final : public kv::Store {
 public:
  BoltStore(std::unique_ptr<DB> owned, DB* db, std::string bucket)
      : owned_(std::move(owned)), db_(db), bucket_(std::move(bucket)) {}

  Status Get(std::string_view key, std::string* value) override {
    LARDER_ASSIGN_OR_RETURN(ReadTx tx, ReadTx::Begin(internal::Access::Impl(*db_), bucket_));
    return tx.Get(key, value);
  }

  Result<std::unique_ptr<kv::Iterator>> NewIterator(const kv::IteratorOptions& options) override {
    LARDER_ASSIGN_OR_RETURN(ReadTx tx, ReadTx::Begin(internal::Access::Impl(*db_), bucket_));
    BucketImpl* bucket = tx.bucket();
    return std::unique_ptr<kv::Iterator>(
        std::make_unique<BoltIterator>(std::move(tx), bucket, options));
  }

  Result<std::unique_ptr<kv::Snapshot>> GetSnapshot() override {
    LARDER_ASSIGN_OR_RETURN(ReadTx tx, ReadTx::Begin(internal::Access::Impl(*db_), bucket_));
    return std::unique_ptr<kv::Snapshot>(std::make_unique<BoltSnapshot>(std::move(tx)));
  }

  Result<std::unique_ptr<kv::Transaction>> BeginTransaction() override {
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Tx> tx, db_->Begin(true));
    LARDER_ASSIGN_OR_RETURN(Bucket b, tx->CreateBucketIfNotExists(bucket_));
    LARDER_ASSIGN_OR_RETURN(BucketImpl * impl, internal::Access::Impl(*tx).root.Child(bucket_));
    return std::unique_ptr<kv::Transaction>(
        std::make_unique<BoltTransaction>(std::move(tx), b, impl));
  }

  Status Write(const kv::WriteOptions& /*options: bolt always syncs*/,
               const kv::WriteBatch& batch) override {
    if (batch.empty()) return Status::Ok();
    for (const kv::WriteBatch::Entry& e : batch) {
      LARDER_RETURN_IF_ERROR(CheckEntry(e.key, e.value));
    }
    return db_->Batch([&](Tx& tx) -> Status {
      LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucketIfNotExists(bucket_));
      for (const kv::WriteBatch::Entry& e : batch) {
        LARDER_RETURN_IF_ERROR(e.op == kv::WriteBatch::Op::kPut ? b.Put(e.key, e.value)
                                                                : b.Delete(e.key));
      }
      return Status::Ok();
    });
  }

  // One entry without a WriteBatch's copy.
  Status Put(const kv::WriteOptions& /*options*/, std::string_view key,
             std::string_view value) override {
    LARDER_RETURN_IF_ERROR(CheckEntry(key, value));
    return db_->Batch([&](Tx& tx) -> Status {
      LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucketIfNotExists(bucket_));
      return b.Put(key, value);
    });
  }
  Status Delete(const kv::WriteOptions& /*options*/, std::string_view key) override {
    LARDER_RETURN_IF_ERROR(CheckEntry(key, {}));
    return db_->Batch([&](Tx& tx) -> Status {
      LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucketIfNotExists(bucket_));
      return b.Delete(key);
    });
  }

  // Every Write above committed with its fsync (or the DB is no_sync, whose guarantee is that
  // of its option): nothing is left to sync.
  Status SyncWrites() override { return Status::Ok(); }

  void ReleaseCachedMemory() override { db_->ReleaseCachedMemory(); }
  std::uint64_t CachedMemoryBytes() const override { return db_->Stats().arena_cache_bytes; }

  Status Close() override {
    if (owned_ == nullptr) return Status::Ok();
    return owned_->Close();
  }

 private:
  std::unique_ptr<DB> owned_;  // null when the caller owns the DB
  DB* db_;
  std::string bucket_;
};

Status CheckBucketName(std::string_view bucket) {
  if (bucket.empty()) return Status::InvalidArgument("kv bucket name required");
  if (bucket.size() > kMaxKeySize) return Status::InvalidArgument("kv bucket name too large");
  return Status::Ok();
}

Result<std::unique_ptr<kv::Store>> MakeStore(std::unique_ptr<DB> owned, DB* db,
                                             std::string_view bucket) {
  if (!db->read_only()) {
    LARDER_RETURN_IF_ERROR(
        db->Update([&](Tx& tx) { return tx.CreateBucketIfNotExists(bucket).status(); }));
  }
  return std::unique_ptr<kv::Store>(
      std::make_unique<BoltStore>(std::move(owned), db, std::string(bucket)));
}

}  // namespace

Result<std::unique_ptr<kv::Store>> OpenKV(const std::string& path, const Options& options,
                                          std::string_view bucket) {
  LARDER_RETURN_IF_ERROR(CheckBucketName(bucket));
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<DB> db, DB::Open(path, options));
  DB* raw = db.get();
  return MakeStore(std::move(db), raw, bucket);
}

Result<std::unique_ptr<kv::Store>> NewKVStore(DB* db, std::string_view bucket) {
  if (db == nullptr) return Status::InvalidArgument("null DB");
  LARDER_RETURN_IF_ERROR(CheckBucketName(bucket));
  return MakeStore(nullptr, db, bucket);
}

}  // namespace larder::bolt
