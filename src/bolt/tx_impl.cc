#include "bolt/tx_impl.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "bolt/db_impl.h"

namespace larder::bolt::internal {

TxImpl::TxImpl(DBImpl* db, bool writable, const Meta& meta, std::shared_ptr<const MappedRegion> map)
    : db(db),
      writable(writable),
      meta(meta),
      map(std::move(map)),
      page_size(meta.page_size),
      arena(writable ? db->arena_cache() : nullptr),
      root(this, meta.root, db->options().fill_percent, &arena) {
  if (writable) ++this->meta.txid;
}

TxImpl::~TxImpl() = default;

Result<PageView> TxImpl::Page(Pgid id) const {
  if (!dirty_.empty()) {
    SortDirty();
    auto it = std::lower_bound(dirty_.begin(), dirty_.end(), id,
                               [](const DirtyPage& d, Pgid p) { return d.id < p; });
    if (it != dirty_.end() && it->id == id) return PageView(it->bytes.data(), it->bytes.size());
  }
  if (id >= meta.pgid) {
    return Status::Corruption(
        fmt::format("page {}: out of bounds: high-water mark {}", id, meta.pgid));
  }
  const std::uint64_t offset = id * std::uint64_t{page_size};
  if (offset + page_size > map->size()) {
    return Status::Corruption(fmt::format("page {}: beyond the mapped file", id));
  }
  const std::uint8_t* p = map->data() + offset;
  PageView head(p, page_size);
  if (head.id() != id) {
    return Status::Corruption(
        fmt::format("page {}: header holds page id {} (misplaced page)", id, head.id()));
  }
  std::uint64_t overflow = head.overflow();
  if (id + overflow >= meta.pgid) {
    return Status::Corruption(
        fmt::format("page {}: overflow {} runs past high-water mark {}", id, overflow, meta.pgid));
  }
  return PageView(p, (overflow + 1) * page_size);
}

Result<PageView> TxImpl::TreePage(Pgid id) const {
  LARDER_ASSIGN_OR_RETURN(PageView page, Page(id));
  if (!page.is_leaf() && !page.is_branch()) {
    return Status::Corruption(
        fmt::format("page {}: invalid type: {}", id, PageTypeName(page.flags())));
  }
  if (id < 2) return Status::Corruption(fmt::format("page {}: meta page used as a tree page", id));
  if (!page.ElementsFit()) return page.CheckElements(fmt::format("page {}", id));
  return page;
}

Node* TxImpl::NewNode(BucketImpl* bucket, bool is_leaf, Node* parent) {
  if (!node_pool_) node_pool_ = std::make_unique<std::deque<Node>>();
  return &node_pool_->emplace_back(bucket, is_leaf, parent, &arena);
}

BucketImpl* TxImpl::NewBucket(BucketHeader header) {
  if (!first_bucket_)
    return &first_bucket_.emplace(this, header, db->options().fill_percent, &arena);
  if (!bucket_pool_) bucket_pool_ = std::make_unique<std::deque<BucketImpl>>();
  return &bucket_pool_->emplace_back(this, header, db->options().fill_percent, &arena);
}

Result<std::uint8_t*> TxImpl::Allocate(std::size_t count, Pgid* id) {
  Pgid pgid = db->freelist().Allocate(meta.txid, count);
  if (pgid == 0) {
    pgid = meta.pgid;
    meta.pgid += count;
  }
  const std::size_t bytes = count * std::size_t{page_size};
  std::uint8_t* buf = arena.Allocate(bytes);
  std::memset(buf, 0, kPageHeaderSize);
  StoreU64(buf, pgid);
  if (!dirty_.empty() && dirty_.back().id > pgid) dirty_sorted_ = false;
  dirty_.push_back(DirtyPage{pgid, std::span<std::uint8_t>(buf, bytes)});
  *id = pgid;
  return buf;
}

Status TxImpl::WriteFreelist() {
  Freelist& fl = db->freelist();
  if (meta.freelist != kNoFreelist) {
    LARDER_ASSIGN_OR_RETURN(PageView old, Page(meta.freelist));
    LARDER_RETURN_IF_ERROR(fl.Free(meta.txid, meta.freelist, old.overflow()));
  }
  if (db->options().no_freelist_sync) {
    meta.freelist = kNoFreelist;
    return Status::Ok();
  }
  // Sized before allocating, as bbolt does: it may over-estimate by a page.
  std::size_t count = fl.PageBytes() / page_size + 1;
  Pgid id = 0;
  LARDER_ASSIGN_OR_RETURN(std::uint8_t * buf, Allocate(count, &id));
  if (fl.PageBytes() > count * std::size_t{page_size}) {
    return Status::Corruption("freelist grew past its page allocation");
  }
  fl.WritePage(buf);
  std::memset(buf + fl.PageBytes(), 0, count * std::size_t{page_size} - fl.PageBytes());
  StoreU32(buf + 12, static_cast<std::uint32_t>(count - 1));
  meta.freelist = id;
  return Status::Ok();
}

void TxImpl::SortDirty() const {
  if (dirty_sorted_) return;
  std::sort(dirty_.begin(), dirty_.end(),
            [](const DirtyPage& a, const DirtyPage& b) { return a.id < b.id; });
  dirty_sorted_ = true;
}

Status TxImpl::WritePages() {
  // In page id order; each contiguous run goes out in one vectored write.
  SortDirty();
  std::vector<std::span<const std::uint8_t>> run;
  auto it = dirty_.begin();
  while (it != dirty_.end()) {
    const Pgid start = it->id;
    Pgid next = start;
    run.clear();
    for (; it != dirty_.end() && it->id == next; ++it) {
      run.push_back(it->bytes);
      next += it->bytes.size() / page_size;
    }
    LARDER_RETURN_IF_ERROR(db->WriteAtV(start * std::uint64_t{page_size}, run));
  }
  return Status::Ok();
}

Status TxImpl::Commit() {
  if (!open) return Status::TxClosed();
  if (!writable) return Status::ReadOnly("tx not writable");
  Status s = [&]() -> Status {
    root.Rebalance();
    LARDER_RETURN_IF_ERROR(root.Spill());
    meta.root.root = root.header.root;
    LARDER_RETURN_IF_ERROR(WriteFreelist());
    std::uint64_t max_size = db->options().max_size;
    if (max_size != 0 && meta.pgid * std::uint64_t{page_size} > max_size) {
      return Status::NoSpace(
          fmt::format("commit would grow {} past the maximum size {}", db->path(), max_size));
    }
    LARDER_RETURN_IF_ERROR(db->GrowFor(meta.pgid));
    LARDER_RETURN_IF_ERROR(WritePages());
    if (!db->options().no_sync) LARDER_RETURN_IF_ERROR(db->SyncData("data pages"));
    return Status::Ok();
  }();
  if (s.ok() && db->options().strict_mode) {
    // Dirty pages are still held, so the check sees the state about to be committed.
    std::vector<std::string> problems = CheckTx(*this);
    if (!problems.empty()) {
      s = Status::Corruption(fmt::format("strict mode: commit fails the check: {}", problems[0]));
    }
  }
  if (!s.ok()) {
    Rollback();
    return s;
  }
  s = db->WriteMeta(meta);
  if (!s.ok()) {
    Rollback();
    return s;
  }
  dirty_.clear();
  db->freelist().Committed(meta.txid);
  s = db->Publish(meta);
  open = false;
  db->EndWrite(*this, s.ok());
  if (!s.ok()) return s;
  for (auto& fn : on_commit) fn();
  return Status::Ok();
}

void TxImpl::Rollback() {
  if (!open) return;
  open = false;
  if (writable) {
    db->freelist().Rollback(meta.txid);
    db->EndWrite(*this, false);
  } else {
    db->EndRead(*this);
  }
}

}  // namespace larder::bolt::internal
