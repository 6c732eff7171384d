// Compaction into a new database (bbolt compact): every bucket, key and sequence is copied in
// key order with pages packed full, committing every tx_max_size bytes.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "larder/bolt/db.h"

namespace larder::bolt {
namespace {

class Compactor {
 public:
  Compactor(DB& dst, std::uint64_t tx_max_size, const std::function<void(std::uint64_t)>& on_entry)
      : dst_(dst), tx_max_size_(tx_max_size), on_entry_(on_entry) {}

  Status Run(DB& src) {
    LARDER_ASSIGN_OR_RETURN(auto src_tx, src.Begin(false));
    LARDER_ASSIGN_OR_RETURN(tx_, dst_.Begin(true));
    Cursor c = src_tx->NewCursor();
    for (c.First(); c.Valid(); c.Next()) {
      if (!c.IsBucket()) continue;
      std::string name(c.key());
      LARDER_ASSIGN_OR_RETURN(Bucket b, src_tx->GetBucket(name));
      LARDER_RETURN_IF_ERROR(CopyBucket(b, {name}));
    }
    LARDER_RETURN_IF_ERROR(c.status());
    return tx_->Commit();
  }

 private:
  // The destination bucket at `path` in the current transaction, created if missing.
  Result<Bucket> Dest(const std::vector<std::string>& path) {
    LARDER_ASSIGN_OR_RETURN(Bucket b, tx_->CreateBucketIfNotExists(path[0]));
    for (std::size_t i = 1; i < path.size(); ++i) {
      LARDER_ASSIGN_OR_RETURN(b, b.CreateBucketIfNotExists(path[i]));
    }
    b.SetFillPercent(1.0);
    return b;
  }

  Status MaybeCommit(std::size_t add) {
    if (tx_max_size_ != 0 && size_ + add > tx_max_size_) {
      LARDER_RETURN_IF_ERROR(tx_->Commit());
      LARDER_ASSIGN_OR_RETURN(tx_, dst_.Begin(true));
      size_ = 0;
      ++generation_;
    }
    size_ += add;
    return Status::Ok();
  }

  Status CopyBucket(Bucket src, std::vector<std::string> path) {
    std::uint64_t gen = generation_;
    LARDER_ASSIGN_OR_RETURN(Bucket dst, Dest(path));
    LARDER_RETURN_IF_ERROR(dst.SetSequence(src.Sequence()));
    Cursor c = src.NewCursor();
    for (c.First(); c.Valid(); c.Next()) {
      LARDER_RETURN_IF_ERROR(MaybeCommit(c.key().size() + c.value().size()));
      if (on_entry_) on_entry_(++entries_);
      if (gen != generation_) {
        LARDER_ASSIGN_OR_RETURN(dst, Dest(path));
        gen = generation_;
      }
      if (c.IsBucket()) {
        LARDER_ASSIGN_OR_RETURN(Bucket child, src.GetBucket(c.key()));
        path.emplace_back(c.key());
        LARDER_RETURN_IF_ERROR(CopyBucket(child, path));
        path.pop_back();
        if (gen != generation_) {
          LARDER_ASSIGN_OR_RETURN(dst, Dest(path));
          gen = generation_;
        }
        continue;
      }
      LARDER_RETURN_IF_ERROR(dst.Put(c.key(), c.value()));
    }
    return c.status();
  }

  DB& dst_;
  std::uint64_t tx_max_size_;
  std::unique_ptr<Tx> tx_;
  std::uint64_t size_ = 0;
  std::uint64_t generation_ = 0;
  const std::function<void(std::uint64_t)>& on_entry_;
  std::uint64_t entries_ = 0;
};

}  // namespace

Status Compact(DB& dst, DB& src, std::uint64_t tx_max_size) {
  return Compact(dst, src, tx_max_size, {});
}

Status Compact(DB& dst, DB& src, std::uint64_t tx_max_size,
               const std::function<void(std::uint64_t)>& on_entry) {
  return Compactor(dst, tx_max_size, on_entry).Run(src);
}

}  // namespace larder::bolt
