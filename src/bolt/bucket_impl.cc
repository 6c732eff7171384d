#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cstring>

#include "bolt/cursor_impl.h"
#include "bolt/db_impl.h"
#include "bolt/tx_impl.h"
#include "larder/bolt/bucket.h"

namespace larder::bolt {
namespace internal {
namespace {

enum class Lookup { kFound, kNotFound, kBucket, kChecked };

// Get's descent for a reader, straight from the map: the checks of TxImpl::TreePage (page in
// bounds, header id, type, elements fit) done inline without building a Status. Any failed
// check returns kChecked, and the caller repeats the lookup on the checked path, which reports
// the problem. REQUIRES: the tree is committed (no nodes), `map` holds pages [0, hwm).
Lookup GetFromMap(const std::uint8_t* map, std::uint64_t map_size, Pgid hwm,
                  std::uint32_t page_size, Pgid root, std::string_view key,
                  std::string_view* value) {
  Pgid pgid = root;
  for (std::size_t depth = 0; depth < kMaxTreeDepth; ++depth) {
    const std::uint64_t offset = pgid * std::uint64_t{page_size};
    if (pgid < 2 || pgid >= hwm || offset + page_size > map_size) return Lookup::kChecked;
    const std::uint8_t* p = map + offset;
    // The header and the first elements: a leaf's whole element array at 4 KiB pages.
    for (std::size_t o = 0; o < 512; o += 64) __builtin_prefetch(p + o);
    const PageView head(p, page_size);
    if (head.id() != pgid || pgid + head.overflow() >= hwm) return Lookup::kChecked;
    const PageView page(p, (std::uint64_t{head.overflow()} + 1) * page_size);
    if (!page.ElementsFit()) return Lookup::kChecked;
    SearchHit hit;
    if (page.is_leaf()) {
      LeafElement e;
      if (!LowerBound(LeafKeys(page), key, &hit, &e)) return Lookup::kChecked;
      if (!hit.exact) return Lookup::kNotFound;
      *value = e.value;
      return e.is_bucket() ? Lookup::kBucket : Lookup::kFound;
    }
    const std::size_t n = page.count();
    if (!page.is_branch() || n == 0) return Lookup::kChecked;
    if (!LowerBound(BranchKeys(page), key, &hit)) return Lookup::kChecked;
    BranchElement e;
    if (!page.Branch(ChildIndex(hit, n), &e)) return Lookup::kChecked;
    pgid = e.pgid;
  }
  return Lookup::kChecked;
}

}  // namespace

Status PageNode::OutOfBounds(std::size_t i) const {
  return Status::Corruption(
      fmt::format("page {}: {} element {} out of bounds", id(), is_leaf() ? "leaf" : "branch", i));
}

Status PageNode::EmptyBranch() const {
  return Status::Corruption(fmt::format("page {}: branch page with no elements", id()));
}

bool BucketImpl::writable() const { return tx->writable; }

Result<PageNode> BucketImpl::PageNodeOf(Pgid pgid, std::size_t prefetch_bytes) {
  if (IsTransientPgid(pgid)) {  // a node SplitEarly made: only in the node map
    if (Node* n = nodes.Find(pgid); n != nullptr) return PageNode{PageView(), n};
    return Status::Corruption(fmt::format("no node for transient id {}", pgid));
  }
  if (header.root == 0) {
    if (pgid != 0) {
      return Status::Corruption(fmt::format("inline bucket refers to page {}", pgid));
    }
    return PageNode{inline_page, root_node};
  }
  if (Node* n = nodes.Find(pgid); n != nullptr) return PageNode{PageView(), n};
  if (prefetch_bytes != 0) tx->Prefetch(pgid, prefetch_bytes);
  LARDER_ASSIGN_OR_RETURN(PageView page, tx->TreePage(pgid));
  return PageNode{page, nullptr};
}

Result<Node*> BucketImpl::NodeOf(Pgid pgid, Node* parent) {
  if (Node* n = nodes.Find(pgid); n != nullptr) return n;
  PageView page = inline_page;
  if (header.root != 0) {
    // Read parses the element array and the edit that follows probes keys: ask for it all.
    tx->Prefetch(pgid, tx->page_size);
    LARDER_ASSIGN_OR_RETURN(page, tx->TreePage(pgid));
  } else if (pgid != 0) {
    return Status::Corruption(fmt::format("inline bucket refers to page {}", pgid));
  }
  Node* node = tx->NewNode(this, page.is_leaf(), parent);
  node->pgid = pgid;
  LARDER_RETURN_IF_ERROR(node->Read(page));
  if (parent == nullptr) {
    root_node = node;
  } else {
    parent->children.push_back(node);
  }
  nodes.Set(pgid, node);
  return node;
}

Result<BucketImpl*> BucketImpl::OpenChildFromValue(std::string_view name, std::string_view value) {
  if (value.size() < kBucketHeaderSize) {
    return Status::Corruption(fmt::format("bucket {}: header of {} bytes is too short",
                                          KeyForMessage(name), value.size()));
  }
  // A writer may rewrite the parent's node; keep its own copy of the inline page.
  if (writable()) value = tx->arena.Copy(value);
  BucketImpl* child = tx->NewBucket(DecodeBucketHeader(value));
  child->parent = this;
  // A damaged file can make a bucket contain itself (its root page holds, further down, the
  // entry that names it). Every walk over nested buckets would then recurse without end: in a
  // cycle some bucket's root repeats an enclosing bucket's, so refuse that (found by fuzz_open).
  for (const BucketImpl* b = this; b != nullptr && child->header.root != 0; b = b->parent) {
    if (b->header.root == child->header.root) {
      return Status::Corruption(
          fmt::format("bucket {}: root page {} is also the root of an enclosing bucket (a cycle)",
                      KeyForMessage(name), child->header.root));
    }
  }
  if (child->header.root == 0) {
    if (value.size() < kBucketHeaderSize + kPageHeaderSize) {
      return Status::Corruption(
          fmt::format("inline bucket {}: value too short for a page", KeyForMessage(name)));
    }
    child->inline_page =
        PageView(reinterpret_cast<const std::uint8_t*>(value.data()) + kBucketHeaderSize,
                 value.size() - kBucketHeaderSize);
    std::string what = fmt::format("inline page of bucket {}", KeyForMessage(name));
    if (!child->inline_page.is_leaf()) {
      return Status::Corruption(
          fmt::format("{}: invalid type: {}", what, PageTypeName(child->inline_page.flags())));
    }
    LARDER_RETURN_IF_ERROR(child->inline_page.CheckElements(what));
  }
  buckets.emplace(std::string(name), child);
  return child;
}

Result<BucketImpl*> BucketImpl::Child(std::string_view name) {
  if (auto it = buckets.find(name); it != buckets.end()) return it->second;
  CursorImpl c(this);
  bool found = false;
  Entry e;
  LARDER_RETURN_IF_ERROR(c.SeekRaw(name, &found, &e));
  if (!found) return Status::NotFound("bucket not found");
  if (!e.is_bucket()) return Status::Incompatible("incompatible value: not a bucket");
  return OpenChildFromValue(name, e.value);
}

Result<BucketImpl*> BucketImpl::CreateChild(std::string_view name, bool if_missing) {
  if (!writable()) return Status::ReadOnly("tx not writable");
  if (name.empty()) return Status::InvalidArgument("bucket name required");
  if (name.size() > kMaxKeySize) return Status::InvalidArgument("bucket name too large");
  CursorImpl c(this);
  bool found = false;
  Entry e;
  LARDER_RETURN_IF_ERROR(c.SeekRaw(name, &found, &e));
  if (found) {
    if (!e.is_bucket()) return Status::Incompatible("incompatible value: key exists");
    if (if_missing) return Child(name);
    return Status::AlreadyExists("bucket already exists");
  }
  // A new bucket is inline: a zero header followed by an empty leaf page.
  std::uint8_t* value = tx->arena.Allocate(kBucketHeaderSize + kPageHeaderSize);
  std::memset(value, 0, kBucketHeaderSize + kPageHeaderSize);
  StoreU16(value + kBucketHeaderSize + 8, kLeafPageFlag);
  std::string_view v(reinterpret_cast<const char*>(value), kBucketHeaderSize + kPageHeaderSize);
  std::string_view key = tx->arena.Copy(name);
  LARDER_ASSIGN_OR_RETURN(Node * leaf, c.LeafNode());
  leaf->Put(key, key, v, 0, kBucketLeafFlag);
  ++mutations;
  return OpenChildFromValue(name, v);
}

Status BucketImpl::DeleteChild(std::string_view name) {
  if (!writable()) return Status::ReadOnly("tx not writable");
  LARDER_ASSIGN_OR_RETURN(BucketImpl * child, Child(name));
  // Delete nested buckets first, so that their pages are freed too.
  std::vector<std::string> nested;
  {
    CursorImpl c(child);
    for (bool ok = c.First(); ok; ok = c.Next()) {
      if (c.entry().is_bucket()) nested.emplace_back(c.entry().key);
    }
    LARDER_RETURN_IF_ERROR(c.status());
  }
  for (const std::string& n : nested) LARDER_RETURN_IF_ERROR(child->DeleteChild(n));
  buckets.erase(buckets.find(name));
  child->nodes.Clear();
  child->root_node = nullptr;
  LARDER_RETURN_IF_ERROR(child->FreePages());
  child->deleted = true;

  CursorImpl c(this);
  bool found = false;
  Entry e;
  LARDER_RETURN_IF_ERROR(c.SeekRaw(name, &found, &e));
  if (!found) return Status::Corruption("bucket vanished while being deleted");
  LARDER_ASSIGN_OR_RETURN(Node * leaf, c.LeafNode());
  leaf->Del(e.key);
  ++mutations;
  return Status::Ok();
}

Result<std::string_view> BucketImpl::Get(std::string_view key) {
  // Straight from the map when the tree is the committed one: in a read transaction, and in a
  // write transaction while this bucket has no node (pages get new ids and contents only when
  // Commit spills nodes, so until a node is materialized the root and every page under it are
  // as committed). larderd's long write transaction reads keys the batch has not touched.
  if ((!tx->writable || nodes.empty()) && header.root != 0) {
    std::string_view value;
    const MappedRegion& map = *tx->map;
    switch (GetFromMap(map.data(), map.size(), tx->meta.pgid, tx->page_size, header.root, key,
                       &value)) {
      case Lookup::kFound:
        return value;
      case Lookup::kNotFound:
        return Status::NotFound();
      case Lookup::kBucket:
        return Status::Incompatible("key is a bucket");
      case Lookup::kChecked:
        break;  // the checked descent below finds and reports the problem
    }
  }
  // A descent without a cursor: the hot read path allocates nothing.
  Pgid pgid = header.root;
  for (std::size_t depth = 0; depth < kMaxTreeDepth; ++depth) {
    // The header and the first elements: a leaf's whole element array at 4 KiB pages.
    if (header.root != 0 && nodes.empty()) tx->Prefetch(pgid, 512);
    LARDER_ASSIGN_OR_RETURN(PageNode pn, PageNodeOf(pgid));
    SearchHit hit;
    if (!pn.Search(key, &hit)) return pn.OutOfBounds(hit.index);
    if (pn.is_leaf()) {
      if (!hit.exact) return Status::NotFound();
      LeafElement e;
      if (!pn.LeafAt(hit.index, &e)) return pn.OutOfBounds(hit.index);
      if (e.is_bucket()) return Status::Incompatible("key is a bucket");
      if (pn.node != nullptr) get_hint_.Set(pn.node, hit.index, key);
      return e.value;
    }
    if (pn.count() == 0) return pn.EmptyBranch();
    const std::size_t i = ChildIndex(hit, pn.count());
    if (!pn.ChildAt(i, &pgid)) return pn.OutOfBounds(i);
  }
  return Status::Corruption(fmt::format("bucket tree deeper than {} levels", kMaxTreeDepth));
}

Node* BucketImpl::HintedLeaf(std::string_view key, SearchHit* at, bool* by_insert_hint) {
  *by_insert_hint = false;
  // Still where it was left: no key edited since (so not cut, and still a leaf).
  auto unmoved = [](const LeafHint& h) {
    return h.leaf != nullptr && !h.leaf->detached && h.leaf->key_edits() == h.key_edits;
  };
  for (const LeafHint* exact : {&get_hint_, &cursor_hint_, &overwrite_hint_}) {
    if (exact->remembered_key() == key && unmoved(*exact)) {
      *at = SearchHit{exact->index, true};
      return exact->leaf;
    }
  }
  LeafHint& h = put_hint_;
  if (h.leaf == nullptr) return nullptr;
  if (put_hint_miss_run_ >= kPutHintMissRun && ++put_hint_calls_ % kPutHintProbe != 0) {
    return nullptr;
  }
  if (!unmoved(h)) {
    h.leaf = nullptr;  // stale for good: key_edits only grows
    return nullptr;
  }
  auto serve = [&](SearchHit hit) {
    *at = hit;
    *by_insert_hint = true;
    h.misses = 0;
    put_hint_miss_run_ = 0;
    return h.leaf;
  };
  using BoundKind = LeafHint::Bound::Kind;
  // The key, or the gap on either side of it: two keys of the leaf bound a gap that is the
  // leaf's, and so do its first key and the lower end of its range, its last key and the upper.
  const auto& in = h.leaf->inodes;
  const std::size_t i = h.index;
  const int c = CompareKeys(key, h.remembered_key());
  if (c == 0) return serve(SearchHit{i, true});
  if (c > 0 && i + 1 < in.size()) {
    const int next = CompareKeys(key, in[i + 1].key());
    if (next <= 0) return serve(SearchHit{i + 1, next == 0});
  } else if (c > 0) {  // past the leaf's last key
    if (h.hi.kind == BoundKind::kNone ||
        (h.hi.kind == BoundKind::kKey && CompareKeys(key, h.hi.key()) < 0)) {
      return serve(SearchHit{i + 1, false});
    }
  } else if (i != 0) {
    const int prev = CompareKeys(key, in[i - 1].key());
    if (prev >= 0) return serve(prev == 0 ? SearchHit{i - 1, true} : SearchHit{i, false});
  } else {  // below the leaf's first key
    if (h.lo.kind == BoundKind::kNone ||
        (h.lo.kind == BoundKind::kKey && CompareKeys(key, h.lo.key()) >= 0)) {
      return serve(SearchHit{0, false});
    }
  }
  if (++h.misses == 2) h.leaf = nullptr;
  ++put_hint_miss_run_;
  return nullptr;
}

Result<Node*> BucketImpl::LeafNodeFor(std::string_view key, SearchHit* at, LeafPath* path) {
  Node* n = root_node;
  if (n == nullptr) {
    LARDER_ASSIGN_OR_RETURN(n, NodeOf(header.root, nullptr));
  }
  *path = LeafPath{};
  for (std::size_t depth = 0; depth < kMaxTreeDepth; ++depth) {
    const PageNode pn{PageView(), n};
    SearchHit hit;
    (void)pn.Search(key, &hit);  // a node's search never fails
    if (n->is_leaf) {
      *at = hit;
      return n;
    }
    if (n->inodes.empty()) return pn.EmptyBranch();
    const std::size_t i = ChildIndex(hit, n->inodes.size());
    if (i != 0) {  // (through a first child, the range's lower end is the parent's)
      path->leftmost = false;
      path->lo = n->inodes[i].key();
    }
    if (i + 1 != n->inodes.size()) {
      path->rightmost = false;
      path->hi = n->inodes[i + 1].key();
    }
    LARDER_ASSIGN_OR_RETURN(n, NodeOf(n->inodes[i].pgid(), n));
  }
  return Status::Corruption(fmt::format("bucket tree deeper than {} levels", kMaxTreeDepth));
}

Status BucketImpl::Put(std::string_view key, std::string_view value) {
  if (append_leaf != nullptr && !append_leaf->detached && !append_leaf->inodes.empty() &&
      CompareKeys(key, append_leaf->inodes.back().key()) > 0) {
    std::string_view k = tx->arena.Copy(key);
    append_leaf->InsertAt(append_leaf->inodes.size(), k, tx->arena.Copy(value));
    ++mutations;
    return Status::Ok();
  }
  SearchHit at;
  LeafPath path;
  bool by_insert_hint = false;
  Node* leaf = HintedLeaf(key, &at, &by_insert_hint);
  if (leaf != nullptr) {
#ifndef NDEBUG
    // The descent agrees (and materializes nothing: the hinted leaf's path is materialized).
    SearchHit descent_at;
    LeafPath descent_path;
    auto descent = LeafNodeFor(key, &descent_at, &descent_path);
    assert(descent.ok() && *descent == leaf && descent_at.index == at.index &&
           descent_at.exact == at.exact);
    assert(!by_insert_hint || !put_hint_.rightmost() || descent_path.rightmost);
#endif
  } else {
    // A Put always edits the leaf, so descend through nodes (materializing the path) rather
    // than searching the pages with a cursor and then materializing the same path again.
    LARDER_ASSIGN_OR_RETURN(leaf, LeafNodeFor(key, &at, &path));
  }
  auto& in = leaf->inodes;
  const std::size_t i = at.index;
  if (at.exact) {  // the search settled it (a node's search array reads no key to do so)
    if (in[i].flags() & kBucketLeafFlag) {
      return Status::Incompatible("incompatible value: key is a bucket");
    }
    in[i].set_value(tx->arena.Copy(value), 0);
    append_leaf = nullptr;
    overwrite_hint_.Set(leaf, i, key);
  } else {
    leaf->InsertAt(i, tx->arena.Copy(key), tx->arena.Copy(value));
    // (An exact hint never inserts: the leaf came from the insert hint or from a descent.)
    bool rightmost = path.rightmost;
    if (by_insert_hint) {
      rightmost = put_hint_.rightmost();
      put_hint_.SetKeepingRange(leaf, i, key);
    } else {
      put_hint_.Set(leaf, i, key, path);
    }
    // Later keys past this one belong to this leaf too while it is the tree's last.
    append_leaf = rightmost && i + 1 == in.size() ? leaf : nullptr;
    if (append_leaf == nullptr && leaf->WantsEarlySplit()) {
      leaf->SplitEarly();
    }
  }
  ++mutations;
  return Status::Ok();
}

Status BucketImpl::Delete(std::string_view key) {
  Status s = Take(key, nullptr);
  return s.IsNotFound() ? Status::Ok() : s;
}

Status BucketImpl::Take(std::string_view key, std::string* value) {
  SearchHit at;
  bool by_insert_hint = false;
  if (Node* leaf = HintedLeaf(key, &at, &by_insert_hint)) {
#ifndef NDEBUG
    CursorImpl check(this);
    bool check_found = false;
    Entry check_entry;
    assert(check.SeekRaw(key, &check_found, &check_entry).ok() && check_found == at.exact);
#endif
    // The hint's gap is the leaf's: a key that is not there is nowhere.
    if (!at.exact) return Status::NotFound();
    const Inode& in = leaf->inodes[at.index];
    if (in.flags() & kBucketLeafFlag) {
      return Status::Incompatible("incompatible value: key is a bucket");
    }
    if (value != nullptr) value->assign(in.value());
    DeleteAt(leaf, at.index, by_insert_hint);
    return Status::Ok();
  }
  CursorImpl c(this);
  bool found = false;
  Entry e;
  LARDER_RETURN_IF_ERROR(c.SeekRaw(key, &found, &e));
  if (!found) return Status::NotFound();
  if (e.is_bucket()) return Status::Incompatible("incompatible value: key is a bucket");
  // Copied before the leaf changes (the view may point into its node).
  if (value != nullptr) value->assign(e.value);
  std::size_t index = 0;
  LARDER_ASSIGN_OR_RETURN(Node * leaf, c.LeafNode(&index));
  // The entry SeekRaw found, at its position: not a second search. The inode views the very
  // bytes the cursor found (the node is the one it searched, or was read from the page it
  // searched), so where the key lies settles it without reading the key (which a node's search
  // array may not have read); the bytes are compared only if it lies elsewhere.
  if (index >= leaf->inodes.size() ||
      (leaf->inodes[index].key().data() != e.key.data() && leaf->inodes[index].key() != key)) {
    return Status::Corruption(fmt::format("page {}: the cursor lost its entry", leaf->pgid));
  }
  DeleteAt(leaf, index, /*same_leaf=*/false);
  return Status::Ok();
}

void BucketImpl::DeleteAt(Node* leaf, std::size_t index, bool same_leaf) {
  leaf->DelAt(index);
  ++mutations;
  // Pops take the next key at either end of the gap the delete left: remember the key now at
  // `index` (or the one before it, at the leaf's end), so the insert hint finds either.
  if (leaf->inodes.empty()) return;
  const std::size_t i = std::min(index, leaf->inodes.size() - 1);
  if (same_leaf) {
    put_hint_.SetKeepingRange(leaf, i, leaf->inodes[i].key());
  } else {
    put_hint_.Set(leaf, i, leaf->inodes[i].key());
  }
}

void BucketImpl::Rebalance() {
  // Rebalance errors surface again at spill, which walks the same nodes.
  // Only nodes that lost keys can need a merge (an insert-only transaction has none).
  std::vector<Node*> list;
  nodes.ForEach([&list](Pgid, Node* n) {
    if (n->unbalanced) list.push_back(n);
  });
  std::sort(list.begin(), list.end(), [](Node* a, Node* b) { return a->pgid < b->pgid; });
  for (Node* n : list) {
    if (!n->detached) n->Rebalance().ok();
  }
  for (auto& [name, child] : buckets) child->Rebalance();
}

bool BucketImpl::Inlineable() const {
  const Node* n = root_node;
  if (n == nullptr || !n->is_leaf) return false;
  std::size_t size = kPageHeaderSize;
  for (const Inode& in : n->inodes) {
    size += kElementSize + in.key().size() + in.value().size();
    if (in.flags() & kBucketLeafFlag) return false;
    if (size > tx->page_size / 4) return false;
  }
  return true;
}

Status BucketImpl::FreePages() {
  if (header.root == 0) return Status::Ok();
  // Walk nodes where materialized (their pages may already be merged away), pages elsewhere.
  std::function<Status(Pgid, std::size_t)> walk = [&](Pgid pgid, std::size_t depth) -> Status {
    if (depth >= kMaxTreeDepth) return Status::Corruption("bucket tree too deep (a cycle?)");
    LARDER_ASSIGN_OR_RETURN(PageNode pn, PageNodeOf(pgid));
    if (pn.node != nullptr) {
      Node* n = pn.node;
      if (!n->is_leaf) {
        for (const Inode& in : n->inodes) LARDER_RETURN_IF_ERROR(walk(in.pgid(), depth + 1));
      }
      return n->Free();
    }
    if (pn.page.is_branch()) {
      for (std::size_t i = 0; i < pn.page.count(); ++i) {
        BranchElement e;
        if (!pn.page.Branch(i, &e)) {
          return Status::Corruption(fmt::format("page {}: branch element out of bounds", pgid));
        }
        LARDER_RETURN_IF_ERROR(walk(e.pgid, depth + 1));
      }
    }
    return tx->db->freelist().Free(tx->meta.txid, pgid, pn.page.overflow());
  };
  LARDER_RETURN_IF_ERROR(walk(header.root, 0));
  header.root = 0;
  return Status::Ok();
}

Status BucketImpl::Spill() {
  for (auto& [name, child] : buckets) {
    std::string_view value;
    if (child->Inlineable()) {
      LARDER_RETURN_IF_ERROR(child->FreePages());
      Node* root = child->root_node;
      std::size_t size = kBucketHeaderSize + root->Size();
      std::uint8_t* buf = tx->arena.Allocate(size);
      std::memset(buf, 0, size);
      EncodeBucketHeader(buf, BucketHeader{0, child->header.sequence});
      root->Write(buf + kBucketHeaderSize);
      value = {reinterpret_cast<const char*>(buf), size};
    } else {
      LARDER_RETURN_IF_ERROR(child->Spill());
      std::uint8_t* buf = tx->arena.Allocate(kBucketHeaderSize);
      EncodeBucketHeader(buf, child->header);
      value = {reinterpret_cast<const char*>(buf), kBucketHeaderSize};
    }
    if (child->root_node == nullptr) continue;  // untouched: the parent's copy is current
    CursorImpl c(this);
    bool found = false;
    Entry e;
    LARDER_RETURN_IF_ERROR(c.SeekRaw(name, &found, &e));
    if (!found || !e.is_bucket()) {
      return Status::Corruption(fmt::format("misplaced bucket header: {}", KeyForMessage(name)));
    }
    LARDER_ASSIGN_OR_RETURN(Node * leaf, c.LeafNode());
    leaf->Put(e.key, e.key, value, 0, kBucketLeafFlag);
  }
  if (root_node == nullptr) return Status::Ok();
  LARDER_RETURN_IF_ERROR(root_node->Spill());
  root_node = root_node->Root();
  if (root_node->pgid >= tx->meta.pgid) {
    return Status::Corruption(
        fmt::format("pgid ({}) above high water mark ({})", root_node->pgid, tx->meta.pgid));
  }
  header.root = root_node->pgid;
  return Status::Ok();
}

Status BucketImpl::ForEachPageFrom(Pgid pgid, int depth,
                                   const std::function<Status(PageView, int)>& fn) {
  if (depth >= static_cast<int>(kMaxTreeDepth)) {
    return Status::Corruption(fmt::format("page {}: tree too deep (a cycle?)", pgid));
  }
  LARDER_ASSIGN_OR_RETURN(PageView page, tx->TreePage(pgid));
  LARDER_RETURN_IF_ERROR(fn(page, depth));
  if (page.is_branch()) {
    for (std::size_t i = 0; i < page.count(); ++i) {
      BranchElement e;
      if (!page.Branch(i, &e)) {
        return Status::Corruption(fmt::format("page {}: branch element {} out of bounds", pgid, i));
      }
      LARDER_RETURN_IF_ERROR(ForEachPageFrom(e.pgid, depth + 1, fn));
    }
  }
  return Status::Ok();
}

Status BucketImpl::ForEachPage(const std::function<Status(PageView, int)>& fn) {
  if (header.root == 0) return fn(inline_page, 0);
  return ForEachPageFrom(header.root, 0, fn);
}

}  // namespace internal
}  // namespace larder::bolt
