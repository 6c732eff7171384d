// The public Tx: argument checks, then TxImpl and the root bucket.
#include "larder/bolt/tx.h"

#include "bolt/cursor_impl.h"
#include "bolt/db_impl.h"
#include "bolt/reader_table.h"
#include "bolt/tx_impl.h"

namespace larder::bolt {

Tx::Tx(std::unique_ptr<internal::TxImpl> impl) : impl_(std::move(impl)) {}
Tx::~Tx() { internal::EndTx(std::move(impl_)); }

namespace internal {
void EndTx(std::unique_ptr<TxImpl> tx) {
  tx->Rollback();
  if (!tx->writable) RecycleReader(std::move(tx));
}
}  // namespace internal

std::uint64_t Tx::id() const { return impl_->meta.txid; }
bool Tx::writable() const { return impl_->writable; }
std::uint64_t Tx::Size() const { return impl_->meta.pgid * std::uint64_t{impl_->page_size}; }
std::uint32_t Tx::page_size() const { return impl_->page_size; }

Result<Bucket> Tx::GetBucket(std::string_view name) const {
  if (!impl_->open) return Status::TxClosed();
  return Bucket(&impl_->root).GetBucket(name);
}
Result<Bucket> Tx::CreateBucket(std::string_view name) {
  if (!impl_->open) return Status::TxClosed();
  return Bucket(&impl_->root).CreateBucket(name);
}
Result<Bucket> Tx::CreateBucketIfNotExists(std::string_view name) {
  if (!impl_->open) return Status::TxClosed();
  return Bucket(&impl_->root).CreateBucketIfNotExists(name);
}
Status Tx::DeleteBucket(std::string_view name) {
  if (!impl_->open) return Status::TxClosed();
  return Bucket(&impl_->root).DeleteBucket(name);
}

Result<Bucket> Tx::GetBucketPath(const std::vector<std::string>& path) const {
  if (!impl_->open) return Status::TxClosed();
  if (path.empty()) return Status::InvalidArgument("bucket required");
  Bucket b(&impl_->root);
  for (const std::string& name : path) {
    LARDER_ASSIGN_OR_RETURN(b, b.GetBucket(name));
  }
  return b;
}

Status Tx::ForEachBucket(const std::function<Status(std::string_view, Bucket)>& fn) const {
  if (!impl_->open) return Status::TxClosed();
  internal::CursorImpl c(&impl_->root);
  for (bool ok = c.First(); ok; ok = c.Next()) {
    if (!c.entry().is_bucket()) continue;
    LARDER_ASSIGN_OR_RETURN(internal::BucketImpl * b, impl_->root.Child(c.entry().key));
    LARDER_RETURN_IF_ERROR(fn(c.entry().key, Bucket(b)));
  }
  return c.status();
}

Cursor Tx::NewCursor() const { return Bucket(&impl_->root).NewCursor(); }

Status Tx::Commit() { return impl_->Commit(); }

Status Tx::Rollback() {
  if (!impl_->open) return Status::TxClosed();
  impl_->Rollback();
  return Status::Ok();
}

void Tx::OnCommit(std::function<void()> fn) { impl_->on_commit.push_back(std::move(fn)); }

std::vector<std::string> Tx::Check() const { return internal::CheckTx(*impl_); }
std::vector<std::string> Tx::Check(const CheckProgress& progress) const {
  return internal::CheckTx(*impl_, progress);
}

}  // namespace larder::bolt
