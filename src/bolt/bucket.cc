// The public Bucket handle: argument checks, then BucketImpl.
#include "larder/bolt/bucket.h"

#include "bolt/cursor_impl.h"
#include "bolt/tx_impl.h"

namespace larder::bolt {
namespace {
Status CheckUsable(const internal::BucketImpl* b, bool write) {
  if (b == nullptr) return Status::InvalidArgument("null bucket handle");
  if (!b->tx->open) return Status::TxClosed();
  if (b->deleted) return Status::NotFound("bucket was deleted");
  if (write && !b->tx->writable) return Status::ReadOnly("tx not writable");
  return Status::Ok();
}
Status CheckKey(std::string_view key) {
  if (key.empty()) return Status::InvalidArgument("key required");
  if (key.size() > kMaxKeySize) return Status::InvalidArgument("key too large");
  return Status::Ok();
}
}  // namespace

Result<std::string_view> Bucket::Get(std::string_view key) const {
  LARDER_RETURN_IF_ERROR(CheckUsable(impl_, false));
  return impl_->Get(key);
}

Status Bucket::Put(std::string_view key, std::string_view value) {
  LARDER_RETURN_IF_ERROR(CheckUsable(impl_, true));
  LARDER_RETURN_IF_ERROR(CheckKey(key));
  if (value.size() > kMaxValueSize) return Status::InvalidArgument("value too large");
  return impl_->Put(key, value);
}

Status Bucket::Delete(std::string_view key) {
  LARDER_RETURN_IF_ERROR(CheckUsable(impl_, true));
  return impl_->Delete(key);
}

Result<Bucket> Bucket::GetBucket(std::string_view name) const {
  LARDER_RETURN_IF_ERROR(CheckUsable(impl_, false));
  LARDER_ASSIGN_OR_RETURN(internal::BucketImpl * child, impl_->Child(name));
  return Bucket(child);
}

Result<Bucket> Bucket::CreateBucket(std::string_view name) {
  LARDER_RETURN_IF_ERROR(CheckUsable(impl_, true));
  LARDER_ASSIGN_OR_RETURN(internal::BucketImpl * child, impl_->CreateChild(name, false));
  return Bucket(child);
}

Result<Bucket> Bucket::CreateBucketIfNotExists(std::string_view name) {
  LARDER_RETURN_IF_ERROR(CheckUsable(impl_, true));
  LARDER_ASSIGN_OR_RETURN(internal::BucketImpl * child, impl_->CreateChild(name, true));
  return Bucket(child);
}

Status Bucket::DeleteBucket(std::string_view name) {
  LARDER_RETURN_IF_ERROR(CheckUsable(impl_, true));
  return impl_->DeleteChild(name);
}

std::uint64_t Bucket::Sequence() const { return impl_->header.sequence; }

Status Bucket::SetSequence(std::uint64_t value) {
  LARDER_RETURN_IF_ERROR(CheckUsable(impl_, true));
  // Materialize the root so that the bucket is written at commit.
  if (impl_->root_node == nullptr) {
    auto root = impl_->NodeOf(impl_->header.root, nullptr);
    if (!root.ok()) return root.status();
  }
  impl_->header.sequence = value;
  return Status::Ok();
}

Result<std::uint64_t> Bucket::NextSequence() {
  LARDER_RETURN_IF_ERROR(SetSequence(impl_->header.sequence + 1));
  return impl_->header.sequence;
}

Status Bucket::ForEach(
    const std::function<Status(std::string_view, std::string_view, bool)>& fn) const {
  LARDER_RETURN_IF_ERROR(CheckUsable(impl_, false));
  internal::CursorImpl c(impl_);
  for (bool ok = c.First(); ok; ok = c.Next()) {
    const auto& e = c.entry();
    LARDER_RETURN_IF_ERROR(fn(e.key, e.is_bucket() ? std::string_view() : e.value, e.is_bucket()));
  }
  return c.status();
}

Cursor Bucket::NewCursor() const { return Cursor(std::make_unique<internal::CursorImpl>(impl_)); }

void Bucket::SetFillPercent(double fill_percent) { impl_->fill_percent = fill_percent; }
std::uint64_t Bucket::RootPage() const { return impl_->header.root; }
bool Bucket::Writable() const { return impl_->tx->writable; }

Result<BucketStats> Bucket::Stats() const {
  LARDER_RETURN_IF_ERROR(CheckUsable(impl_, false));
  return impl_->Stats();
}

}  // namespace larder::bolt
