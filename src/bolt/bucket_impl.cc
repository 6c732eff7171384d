#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "bolt/cursor_impl.h"
#include "bolt/db_impl.h"
#include "bolt/tx_impl.h"
#include "larder/bolt/bucket.h"

namespace larder::bolt {
namespace internal {
namespace {

enum class Lookup { kFound, kNotFound, kBucket, kChecked };

// The start of element i's key on a leaf (kLeaf) or branch page. Only for prefetching: the
// address is not bounds-checked (a prefetch never faults).
template <bool kLeaf>
const std::uint8_t* KeyAddress(const std::uint8_t* page, std::size_t i) {
  const std::uint8_t* e = page + kPageHeaderSize + i * kElementSize;
  return e + LoadU32(kLeaf ? e + 4 : e);
}

// Binary search over a page's elements for the first key >= `key`. Before each probe's own
// compare it prefetches the keys of both probes that can come next, so that the key misses of
// consecutive probes (each key lies on its own cache line, away from its element) overlap
// instead of following one another. Returns the position; *exact says the key there equals
// `key`; false when an element lies outside the page.
template <bool kLeaf>
bool LowerBound(const PageView& page, std::size_t n, std::string_view key, std::size_t* pos,
                bool* exact, std::string_view* value, std::uint32_t* flags) {
  std::size_t lo = 0, hi = n;
  *exact = false;
  while (lo < hi) {
    const std::size_t mid = (lo + hi) / 2;
    if (lo < mid) __builtin_prefetch(KeyAddress<kLeaf>(page.data(), (lo + mid) / 2));
    if (mid + 1 < hi) __builtin_prefetch(KeyAddress<kLeaf>(page.data(), (mid + 1 + hi) / 2));
    int c;
    if constexpr (kLeaf) {
      LeafElement e;
      if (!page.Leaf(mid, &e)) return false;
      c = CompareKeys(e.key, key);
      if (c == 0) {
        *pos = mid;
        *exact = true;
        *value = e.value;
        *flags = e.flags;
        return true;
      }
    } else {
      BranchElement e;
      if (!page.Branch(mid, &e)) return false;
      c = CompareKeys(e.key, key);
    }
    if (c < 0) {
      lo = mid + 1;
    } else {
      *exact = *exact || c == 0;
      hi = mid;
    }
  }
  *pos = lo;
  return true;
}

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
    const std::size_t n = page.count();
    std::size_t pos = 0;
    bool exact = false;
    std::uint32_t flags = 0;
    if (page.is_leaf()) {
      if (!LowerBound<true>(page, n, key, &pos, &exact, value, &flags)) return Lookup::kChecked;
      if (!exact) return Lookup::kNotFound;
      return (flags & kBucketLeafFlag) != 0 ? Lookup::kBucket : Lookup::kFound;
    }
    if (!page.is_branch() || n == 0) return Lookup::kChecked;
    std::string_view unused;
    if (!LowerBound<false>(page, n, key, &pos, &exact, &unused, &flags)) return Lookup::kChecked;
    if (!exact && pos > 0) --pos;
    BranchElement e;
    if (!page.Branch(std::min(pos, n - 1), &e)) return Lookup::kChecked;
    pgid = e.pgid;
  }
  return Lookup::kChecked;
}

}  // namespace

bool BucketImpl::writable() const { return tx->writable; }

Result<PageNode> BucketImpl::PageNodeOf(Pgid pgid, std::size_t prefetch_bytes) {
  if (header.root == 0) {
    if (pgid != 0) {
      return Status::Corruption(fmt::format("inline bucket refers to page {}", pgid));
    }
    return PageNode{inline_page, root_node};
  }
  if (!nodes.empty()) {
    if (auto it = nodes.find(pgid); it != nodes.end()) return PageNode{PageView(), it->second};
  }
  if (prefetch_bytes != 0) tx->Prefetch(pgid, prefetch_bytes);
  LARDER_ASSIGN_OR_RETURN(PageView page, tx->TreePage(pgid));
  return PageNode{page, nullptr};
}

Result<Node*> BucketImpl::NodeOf(Pgid pgid, Node* parent) {
  if (auto it = nodes.find(pgid); it != nodes.end()) return it->second;
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
  nodes[pgid] = node;
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
  child->nodes.clear();
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
  if (!tx->writable && header.root != 0) {
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
    const std::size_t n = pn.count();
    if (pn.node != nullptr) {
      const auto& in = pn.node->inodes;
      auto it = in.begin() + static_cast<std::ptrdiff_t>(pn.node->LowerBound(key));
      if (pn.node->is_leaf) {
        if (it == in.end() || it->key != key) return Status::NotFound();
        if (it->flags & kBucketLeafFlag) return Status::Incompatible("key is a bucket");
        return it->value;
      }
      if (n == 0) return Status::Corruption(fmt::format("page {}: empty branch", pn.node->pgid));
      std::size_t i = static_cast<std::size_t>(it - in.begin());
      if ((it == in.end() || it->key != key) && i > 0) --i;
      pgid = in[std::min(i, n - 1)].pgid;
      continue;
    }
    const PageView& page = pn.page;
    std::size_t lo = 0, hi = n;
    if (page.is_leaf()) {
      while (lo < hi) {
        std::size_t mid = (lo + hi) / 2;
        LeafElement e;
        if (!page.Leaf(mid, &e)) {
          return Status::Corruption(
              fmt::format("page {}: leaf element {} out of bounds", page.id(), mid));
        }
        int c = CompareKeys(e.key, key);
        if (c == 0) {
          if (e.is_bucket()) return Status::Incompatible("key is a bucket");
          return e.value;
        }
        if (c < 0)
          lo = mid + 1;
        else
          hi = mid;
      }
      return Status::NotFound();
    }
    if (n == 0) return Status::Corruption(fmt::format("page {}: empty branch", page.id()));
    bool exact = false;
    while (lo < hi) {
      std::size_t mid = (lo + hi) / 2;
      BranchElement e;
      if (!page.Branch(mid, &e)) {
        return Status::Corruption(
            fmt::format("page {}: branch element {} out of bounds", page.id(), mid));
      }
      int c = CompareKeys(e.key, key);
      if (c < 0) {
        lo = mid + 1;
      } else {
        exact = exact || c == 0;
        hi = mid;
      }
    }
    if (!exact && lo > 0) --lo;
    BranchElement e;
    if (!page.Branch(std::min(lo, n - 1), &e)) {
      return Status::Corruption(fmt::format("page {}: branch element out of bounds", page.id()));
    }
    pgid = e.pgid;
  }
  return Status::Corruption(fmt::format("bucket tree deeper than {} levels", kMaxTreeDepth));
}

Result<Node*> BucketImpl::LeafNodeFor(std::string_view key, std::size_t* index, bool* rightmost) {
  Node* n = root_node;
  if (n == nullptr) {
    LARDER_ASSIGN_OR_RETURN(n, NodeOf(header.root, nullptr));
  }
  *rightmost = true;
  for (std::size_t depth = 0; depth < kMaxTreeDepth; ++depth) {
    const auto& in = n->inodes;
    std::size_t i = n->LowerBound(key);
    auto it = in.begin() + static_cast<std::ptrdiff_t>(i);
    if (n->is_leaf) {
      *index = i;
      return n;
    }
    if (in.empty()) return Status::Corruption(fmt::format("page {}: empty branch", n->pgid));
    // The child whose range holds `key`: the last one whose first key is <= key.
    if ((it == in.end() || it->key != key) && i > 0) --i;
    if (i + 1 != in.size()) *rightmost = false;
    LARDER_ASSIGN_OR_RETURN(n, NodeOf(in[i].pgid, n));
  }
  return Status::Corruption(fmt::format("bucket tree deeper than {} levels", kMaxTreeDepth));
}

Status BucketImpl::Put(std::string_view key, std::string_view value) {
  if (append_leaf != nullptr && !append_leaf->detached && !append_leaf->inodes.empty() &&
      CompareKeys(key, append_leaf->inodes.back().key) > 0) {
    std::string_view k = tx->arena.Copy(key);
    append_leaf->InsertAt(append_leaf->inodes.size(), k, tx->arena.Copy(value));
    ++mutations;
    return Status::Ok();
  }
  // A Put always edits the leaf, so descend through nodes (materializing the path) rather than
  // searching the pages with a cursor and then materializing the same path again.
  std::size_t i = 0;
  bool rightmost = false;
  LARDER_ASSIGN_OR_RETURN(Node * leaf, LeafNodeFor(key, &i, &rightmost));
  auto& in = leaf->inodes;
  if (i < in.size() && in[i].key == key) {
    if (in[i].flags & kBucketLeafFlag) {
      return Status::Incompatible("incompatible value: key is a bucket");
    }
    in[i].value = tx->arena.Copy(value);
    in[i].flags = 0;
    append_leaf = nullptr;
  } else {
    leaf->InsertAt(i, tx->arena.Copy(key), tx->arena.Copy(value));
    // Later keys past this one belong to this leaf too while it is the tree's last.
    append_leaf = rightmost && i + 1 == in.size() ? leaf : nullptr;
  }
  ++mutations;
  return Status::Ok();
}

Status BucketImpl::Delete(std::string_view key) {
  CursorImpl c(this);
  bool found = false;
  Entry e;
  LARDER_RETURN_IF_ERROR(c.SeekRaw(key, &found, &e));
  if (!found) return Status::Ok();
  if (e.is_bucket()) return Status::Incompatible("incompatible value: key is a bucket");
  LARDER_ASSIGN_OR_RETURN(Node * leaf, c.LeafNode());
  leaf->Del(key);
  ++mutations;
  return Status::Ok();
}

void BucketImpl::Rebalance() {
  // Rebalance errors surface again at spill, which walks the same nodes.
  // Only nodes that lost keys can need a merge (an insert-only transaction has none).
  std::vector<Node*> list;
  for (auto& [id, n] : nodes) {
    if (n->unbalanced) list.push_back(n);
  }
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
    size += kElementSize + in.key.size() + in.value.size();
    if (in.flags & kBucketLeafFlag) return false;
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
        for (const Inode& in : n->inodes) LARDER_RETURN_IF_ERROR(walk(in.pgid, depth + 1));
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
