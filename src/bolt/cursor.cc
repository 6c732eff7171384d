#include <fmt/format.h>

#include "bolt/cursor_impl.h"
#include "bolt/tx_impl.h"
#include "larder/bolt/cursor.h"

namespace larder::bolt {
namespace internal {

namespace {
Pgid RootOf(const BucketImpl* b) { return b->header.root; }
}  // namespace

Status CursorImpl::Push(Pgid pgid) {
  if (depth_ >= kMaxTreeDepth) {
    return Status::Corruption(
        fmt::format("page {}: tree deeper than {} levels (a cycle?)", pgid, kMaxTreeDepth));
  }
  // A writer's descent usually ends by reading the leaf into a node (Node::Read) and later
  // copying it out (Node::Write): ask for the whole page at once, so that the header, the binary
  // search's probes and the parse wait for one memory round trip instead of one each.
  const std::size_t prefetch = bucket_->tx->writable ? bucket_->tx->page_size : 0;
  LARDER_ASSIGN_OR_RETURN(PageNode pn, bucket_->PageNodeOf(pgid, prefetch));
  stack_[depth_++] = ElemRef{pn, 0};
  return Status::Ok();
}

namespace {
// The child page id at `ref.index` of a branch position.
Status ChildPgid(const ElemRef& ref, Pgid* out) {
  if (!ref.pn.ChildAt(ref.index, out)) return ref.pn.OutOfBounds(ref.index);
  return Status::Ok();
}
}  // namespace

Status CursorImpl::DescendFirst() {
  while (!top().pn.is_leaf()) {
    if (top().pn.count() == 0) return top().pn.EmptyBranch();
    Pgid child = 0;
    LARDER_RETURN_IF_ERROR(ChildPgid(top(), &child));
    LARDER_RETURN_IF_ERROR(Push(child));
  }
  return Status::Ok();
}

Status CursorImpl::DescendLast() {
  while (!top().pn.is_leaf()) {
    if (top().pn.count() == 0) return top().pn.EmptyBranch();
    Pgid child = 0;
    LARDER_RETURN_IF_ERROR(ChildPgid(top(), &child));
    LARDER_RETURN_IF_ERROR(Push(child));
    std::size_t n = top().pn.count();
    top().index = n > 0 ? n - 1 : 0;
  }
  return Status::Ok();
}

Status CursorImpl::Search(std::string_view key, Pgid pgid, bool* exact) {
  LARDER_RETURN_IF_ERROR(Push(pgid));
  for (;;) {
    ElemRef& ref = top();
    SearchHit hit;
    if (!ref.pn.Search(key, &hit)) return ref.pn.OutOfBounds(hit.index);
    ref.index = hit.index;
    if (ref.pn.is_leaf()) {
      if (exact != nullptr) *exact = hit.exact;
      return Status::Ok();
    }
    const std::size_t n = ref.pn.count();
    if (n == 0) return ref.pn.EmptyBranch();
    ref.index = ChildIndex(hit, n);
    Pgid child = 0;
    LARDER_RETURN_IF_ERROR(ChildPgid(ref, &child));
    LARDER_RETURN_IF_ERROR(Push(child));
  }
}

bool CursorImpl::LoadEntry() {
  ElemRef& ref = top();
  if (ref.index >= ref.pn.count()) return false;
  LeafElement e;
  if (!ref.pn.LeafAt(ref.index, &e)) return Fail(ref.pn.OutOfBounds(ref.index));
  entry_ = Entry{e.key, e.value, e.flags};
  return true;
}

bool CursorImpl::Fail(Status s) {
  status_ = std::move(s);
  depth_ = 0;
  valid_ = false;
  return false;
}

bool CursorImpl::Finish(bool positioned) {
  valid_ = positioned && status_.ok();
  mutations_seen_ = bucket_->mutations;
  return valid_;
}

bool CursorImpl::StepForward() {
  for (;;) {
    std::size_t i = depth_;
    while (i > 0) {
      ElemRef& e = stack_[i - 1];
      if (e.index + 1 < e.pn.count()) {
        ++e.index;
        break;
      }
      --i;
    }
    if (i == 0) return false;
    depth_ = i;
    if (Status s = DescendFirst(); !s.ok()) return Fail(std::move(s));
    if (top().pn.count() == 0) continue;
    return LoadEntry();
  }
}

bool CursorImpl::StepBackward() {
  for (;;) {
    std::size_t i = depth_;
    while (i > 0) {
      ElemRef& e = stack_[i - 1];
      if (e.index > 0 && e.index <= e.pn.count()) {
        --e.index;
        break;
      }
      --i;
    }
    if (i == 0) return false;
    depth_ = i;
    if (Status s = DescendLast(); !s.ok()) return Fail(std::move(s));
    if (top().pn.count() == 0) continue;
    return LoadEntry();
  }
}

bool CursorImpl::First() {
  status_ = Status::Ok();
  depth_ = 0;
  if (Status s = Push(RootOf(bucket_)); !s.ok()) return Fail(std::move(s));
  if (Status s = DescendFirst(); !s.ok()) return Fail(std::move(s));
  bool ok = top().pn.count() == 0 ? StepForward() : LoadEntry();
  return Finish(ok);
}

bool CursorImpl::Last() {
  status_ = Status::Ok();
  depth_ = 0;
  if (Status s = Push(RootOf(bucket_)); !s.ok()) return Fail(std::move(s));
  std::size_t n = top().pn.count();
  top().index = n > 0 ? n - 1 : 0;
  if (Status s = DescendLast(); !s.ok()) return Fail(std::move(s));
  bool ok = top().pn.count() == 0 ? StepBackward() : LoadEntry();
  return Finish(ok);
}

bool CursorImpl::Seek(std::string_view key) {
  status_ = Status::Ok();
  depth_ = 0;
  if (Status s = Search(key, RootOf(bucket_)); !s.ok()) return Fail(std::move(s));
  bool ok = top().index >= top().pn.count() ? StepForward() : LoadEntry();
  return Finish(ok);
}

bool CursorImpl::Reposition(bool* same) {
  std::string_view key = entry_.key;  // stable for the transaction
  *same = Seek(key) && entry_.key == key;
  return valid_;
}

bool CursorImpl::NextSlow() {
  if (!valid_) return false;
  if (bucket_->mutations != mutations_seen_) {
    bool same = false;
    if (!Reposition(&same) || !same) return valid_;
  }
  return Finish(StepForward());
}

bool CursorImpl::Prev() {
  if (!valid_) return false;
  if (bucket_->mutations != mutations_seen_) {
    bool same = false;
    if (!Reposition(&same)) {
      if (!status_.ok()) return false;
      return Last();  // every key left is before the one we were on
    }
  }
  return Finish(StepBackward());
}

Status CursorImpl::SeekRaw(std::string_view key, bool* found, Entry* at) {
  depth_ = 0;
  status_ = Status::Ok();
  bool exact = false;
  LARDER_RETURN_IF_ERROR(Search(key, RootOf(bucket_), &exact));
  *found = false;
  if (LoadEntry()) {
    *at = entry_;
    *found = exact;  // the search compared the key (a node's search array, maybe without it)
  }
  return status_;
}

Result<Node*> CursorImpl::LeafNode(std::size_t* index) {
  if (depth_ == 0) return Status::Corruption("cursor has no position");
  // A node materialized from the leaf's page holds its elements in the page's order, so the
  // position is the same either way.
  if (index != nullptr) *index = top().index;
  if (top().pn.node != nullptr && top().pn.node->is_leaf) return top().pn.node;
  Node* n = stack_[0].pn.node;
  if (n == nullptr) {
    LARDER_ASSIGN_OR_RETURN(n, bucket_->NodeOf(RootOf(bucket_), nullptr));
  }
  for (std::size_t i = 0; i + 1 < depth_; ++i) {
    LARDER_ASSIGN_OR_RETURN(n, n->ChildAt(stack_[i].index));
  }
  if (!n->is_leaf) {
    return Status::Corruption(fmt::format("page {}: expected a leaf page", n->pgid));
  }
  return n;
}

Status CursorImpl::Delete() {
  if (!valid_) return Status::InvalidArgument("cursor is not on an entry");
  if (entry_.is_bucket()) return Status::Incompatible("cursor is on a bucket; use DeleteBucket");
  return bucket_->Delete(entry_.key);
}

}  // namespace internal

Cursor::Cursor(std::unique_ptr<internal::CursorImpl> impl) : impl_(std::move(impl)) {}
Cursor::~Cursor() = default;
Cursor::Cursor(Cursor&&) noexcept = default;
Cursor& Cursor::operator=(Cursor&&) noexcept = default;
void Cursor::First() { impl_->First(); }
void Cursor::Last() { impl_->Last(); }
void Cursor::Seek(std::string_view key) { impl_->Seek(key); }
void Cursor::Next() { impl_->Next(); }
void Cursor::Prev() { impl_->Prev(); }
bool Cursor::Valid() const { return impl_->valid(); }
std::string_view Cursor::key() const { return impl_->entry().key; }
std::string_view Cursor::value() const {
  return impl_->entry().is_bucket() ? std::string_view() : impl_->entry().value;
}
bool Cursor::IsBucket() const { return impl_->entry().is_bucket(); }
Status Cursor::Delete() { return impl_->Delete(); }
const Status& Cursor::status() const { return impl_->status(); }

}  // namespace larder::bolt
