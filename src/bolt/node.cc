#include "bolt/node.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "bolt/bucket_impl.h"
#include "bolt/db_impl.h"
#include "bolt/tx_impl.h"

namespace larder::bolt::internal {

std::size_t Node::Size() const {
  std::size_t size = kPageHeaderSize;
  for (const Inode& in : inodes) size += kElementSize + in.key().size() + in.value_size();
  return size;
}

Status Node::Read(PageView page) {
  // Inodes point into the page itself: a page this transaction can see is never rewritten
  // while it lives (it is freed as pending at the earliest), and the transaction holds its map.
  is_leaf = page.is_leaf();
  overflow = page.overflow();
  const std::size_t count = page.count();
  // Room for a few inserts, so that the first Put does not reallocate the vector.
  inodes.clear();
  KeysRewritten();
  insert_run_.Reset();
  inodes.reserve(count + 8);
  for (std::size_t i = 0; i < count; ++i) {
    if (is_leaf) {
      LeafElement e;
      if (!page.Leaf(i, &e)) {
        return Status::Corruption(fmt::format("page {}: leaf element {} out of bounds", pgid, i));
      }
      inodes.push_back(Inode::Leaf(e.key, e.value, e.flags));
    } else {
      BranchElement e;
      if (!page.Branch(i, &e)) {
        return Status::Corruption(fmt::format("page {}: branch element {} out of bounds", pgid, i));
      }
      if (IsTransientPgid(e.pgid)) {
        return Status::Corruption(fmt::format(
            "page {}: branch element {} names page {}, beyond any file", pgid, i, e.pgid));
      }
      inodes.push_back(Inode::Branch(e.key, e.pgid));
    }
  }
  key = inodes.empty() ? std::string_view() : inodes[0].key();
  return Status::Ok();
}

void Node::Write(std::uint8_t* buf) const {
  StoreU16(buf + 8, is_leaf ? kLeafPageFlag : kBranchPageFlag);
  StoreU16(buf + 10, static_cast<std::uint16_t>(inodes.size()));
  std::size_t data = kPageHeaderSize + inodes.size() * kElementSize;
  // Keys and values go out in runs: those read from one page lie back to back in it (key,
  // value, next key...), so a node with a few edits copies a handful of runs, not 2 per inode.
  const char* run = nullptr;
  std::size_t run_len = 0;
  auto copy = [&](std::string_view bytes) {
    if (bytes.empty()) return;
    if (run != nullptr && run + run_len == bytes.data()) {
      run_len += bytes.size();
      return;
    }
    if (run_len != 0) std::memcpy(buf + data - run_len, run, run_len);
    run = bytes.data();
    run_len = bytes.size();
  };
  for (std::size_t i = 0; i < inodes.size(); ++i) {
    const Inode& in = inodes[i];
    std::size_t elem = kPageHeaderSize + i * kElementSize;
    auto pos = static_cast<std::uint32_t>(data - elem);
    std::uint8_t* e = buf + elem;
    const std::string_view inode_key = in.key();
    if (is_leaf) {
      StoreU32(e, in.flags());
      StoreU32(e + 4, pos);
      StoreU32(e + 8, static_cast<std::uint32_t>(inode_key.size()));
      StoreU32(e + 12, static_cast<std::uint32_t>(in.value_size()));
    } else {
      StoreU32(e, pos);
      StoreU32(e + 4, static_cast<std::uint32_t>(inode_key.size()));
      StoreU64(e + 8, in.pgid());
    }
    copy(inode_key);
    data += inode_key.size();
    if (is_leaf) {
      copy(in.value());
      data += in.value_size();
    }
  }
  if (run_len != 0) std::memcpy(buf + data - run_len, run, run_len);
}

void Node::Put(std::string_view old_key, std::string_view new_key, std::string_view value,
               Pgid child, std::uint32_t flags) {
  const Inode made = is_leaf ? Inode::Leaf(new_key, value, flags) : Inode::Branch(new_key, child);
  if (inodes.empty() || CompareKeys(inodes.back().key(), old_key) < 0) {  // append
    inodes.push_back(made);
    KeyInserted(inodes.size() - 1, new_key);
    put_hint_ = inodes.size();
    return;
  }
  // Spill updates a parent's entries in key order: try the one after the last Put first.
  auto it = inodes.begin() + static_cast<std::ptrdiff_t>(put_hint_);
  if (put_hint_ >= inodes.size() || it->key() != old_key) {
    it = inodes.begin() + static_cast<std::ptrdiff_t>(LowerBound(old_key));
  }
  const bool insert = it == inodes.end() || it->key() != old_key;
  if (insert) {
    if (it != inodes.end()) appended_only = false;
    it = inodes.insert(it, made);
  } else {
    *it = made;
  }
  const auto index = static_cast<std::size_t>(it - inodes.begin());
  if (insert) {
    KeyInserted(index, new_key);
  } else {
    KeyReplaced(index, new_key);
  }
  put_hint_ = index + 1;
}

void Node::Del(std::string_view k) {
  const std::size_t i = LowerBound(k);
  if (i < inodes.size() && inodes[i].key() == k) DelAt(i);
}

Result<Node*> Node::ChildAt(std::size_t index) {
  if (is_leaf || index >= inodes.size()) {
    return Status::Corruption(fmt::format("page {}: no child at index {}", pgid, index));
  }
  return bucket->NodeOf(inodes[index].pgid(), this);
}

std::size_t Node::ChildIndex(const Node* child) const { return LowerBound(child->key); }

void Node::RemoveChild(const Node* child) {
  auto it = std::find(children.begin(), children.end(), child);
  if (it != children.end()) children.erase(it);
}

Status Node::Free() {
  if (pgid == 0 || IsTransientPgid(pgid)) {  // no page (yet)
    pgid = 0;
    return Status::Ok();
  }
  // The run's length as read (Read checked it against the file); no page lookup, which after
  // the first spills would search this writer's dirty pages.
  TxImpl* tx = bucket->tx;
  LARDER_RETURN_IF_ERROR(tx->db->freelist().Free(tx->meta.txid, pgid, overflow));
  pgid = 0;
  return Status::Ok();
}

Status Node::MergeInto(Node* target, Node* source) {
  // Moves source's inodes (and materialized children) to the end of target, then drops source.
  if (!source->is_leaf) {
    for (const Inode& in : source->inodes) {
      Node* child = bucket->nodes.Find(in.pgid());
      if (child == nullptr) continue;
      if (child->parent != nullptr) child->parent->RemoveChild(child);
      child->parent = target;
      target->children.push_back(child);
    }
  }
  target->inodes.insert(target->inodes.end(), source->inodes.begin(), source->inodes.end());
  target->KeysRewritten();
  parent->Del(source->key);
  parent->RemoveChild(source);
  bucket->nodes.Erase(source->pgid);
  source->detached = true;
  return source->Free();
}

Status Node::Rebalance() {
  if (!unbalanced || detached) return Status::Ok();
  unbalanced = false;
  const std::size_t threshold = bucket->tx->page_size / 4;
  if (Size() > threshold && inodes.size() > MinKeys()) return Status::Ok();

  if (parent == nullptr) {
    // A root branch with one child collapses into that child.
    if (!is_leaf && inodes.size() == 1) {
      LARDER_ASSIGN_OR_RETURN(Node * child, bucket->NodeOf(inodes[0].pgid(), this));
      is_leaf = child->is_leaf;
      inodes = child->inodes;
      KeysRewritten();
      children = child->children;
      if (!is_leaf) {
        for (const Inode& in : inodes) {
          if (Node* grandchild = bucket->nodes.Find(in.pgid()); grandchild != nullptr) {
            grandchild->parent = this;
          }
        }
      }
      child->parent = nullptr;
      bucket->nodes.Erase(child->pgid);
      child->detached = true;
      LARDER_RETURN_IF_ERROR(child->Free());
    }
    return Status::Ok();
  }

  // An empty node is removed.
  if (inodes.empty()) {
    parent->Del(key);
    parent->RemoveChild(this);
    bucket->nodes.Erase(pgid);
    detached = true;
    LARDER_RETURN_IF_ERROR(Free());
    return parent->Rebalance();
  }

  // Otherwise merge with a sibling: the next one for a first child, else the previous one.
  std::size_t index = parent->ChildIndex(this);
  bool use_next = index == 0;
  std::size_t sibling = use_next ? index + 1 : index - 1;
  if (sibling >= parent->inodes.size()) return Status::Ok();  // an only child: nothing to merge
  LARDER_ASSIGN_OR_RETURN(Node * target, parent->ChildAt(sibling));
  if (target->is_leaf != is_leaf) {
    return Status::Corruption(
        fmt::format("page {}: sibling page {} is at another tree level", pgid, target->pgid));
  }
  if (use_next) {
    LARDER_RETURN_IF_ERROR(MergeInto(this, target));
  } else {
    LARDER_RETURN_IF_ERROR(MergeInto(target, this));
  }
  return parent->Rebalance();
}

std::vector<Node*> Node::Split(std::size_t page_size) {
  // One pass over the inodes: choose every cut first, then move each piece once (repeated
  // two-way splits would copy the remainder every time: O(n^2)).
  const std::size_t n = inodes.size();
  std::vector<std::size_t> element_bytes(n);
  for (std::size_t i = 0; i < n; ++i) {
    element_bytes[i] = kElementSize + inodes[i].key().size() + inodes[i].value_size();
  }
  const double fill = std::clamp(bucket->fill_percent, kMinFillPercent, kMaxFillPercent);
  PieceCutRequest request{
      .page_size = page_size,
      .fill_bytes = static_cast<std::size_t>(static_cast<double>(page_size) * fill),
      .run = appended_only ? InsertRun::Kind::kAscending : insert_run_.kind()};
  const std::vector<std::size_t> cuts = PieceCuts(element_bytes, request);
  std::vector<Node*> out{this};
  if (cuts.empty()) return out;
  TxImpl* tx = bucket->tx;
  if (parent == nullptr) {
    parent = tx->NewNode(bucket, /*is_leaf=*/false, nullptr);
    parent->made_by_split = true;
    parent->children.push_back(this);
  }
  for (std::size_t c = 0; c < cuts.size(); ++c) {
    std::size_t to = c + 1 < cuts.size() ? cuts[c + 1] : n;
    Node* next = tx->NewNode(bucket, is_leaf, parent);
    parent->children.push_back(next);
    next->inodes.assign(inodes.begin() + static_cast<std::ptrdiff_t>(cuts[c]),
                        inodes.begin() + static_cast<std::ptrdiff_t>(to));
    out.push_back(next);
  }
  inodes.resize(cuts[0]);
  const InsertRun run = insert_run_;
  KeysRewritten();
  // This first piece follows its inserts afresh, as the new pieces do; but a descending run goes
  // on here, at the same index, if the piece still holds it.
  insert_run_.Reset();
  if (run.kind() == InsertRun::Kind::kDescending && run.last() < cuts[0]) insert_run_ = run;
  return out;
}

namespace {
// A leaf is cut early once it holds this many inodes and this many pages' worth of bytes: the
// memmove of an insert into it is then bounded by a few pages, and each piece still fills pages
// the way Spill's cuts do. A branch is cut past the same size and count.
constexpr std::size_t kEarlySplitMinInodes = 32;
constexpr std::size_t kEarlySplitPages = 2;
constexpr std::size_t kEarlySplitCheckInterval = 16;
}  // namespace

bool Node::WantsEarlySplit() {
  if (!is_leaf || inodes.size() < kEarlySplitMinInodes) return false;
  if (++inserts_since_size_check_ < kEarlySplitCheckInterval) return false;
  inserts_since_size_check_ = 0;
  return Size() > kEarlySplitPages * bucket->tx->page_size;
}

void Node::SplitEarly() {
  if (parent == nullptr) {
    // The root hands its inodes (and materialized children) to a new node and becomes a branch
    // over it; it keeps its id (the bucket's root) and its page, which Spill frees as for any
    // rewritten node.
    Node* heir = bucket->tx->NewNode(bucket, is_leaf, this);
    heir->pgid = bucket->next_transient_pgid++;
    heir->inodes = std::move(inodes);
    heir->key = heir->inodes.front().key();
    heir->appended_only = appended_only;
    heir->insert_run_ = insert_run_;
    heir->children = std::move(children);
    for (Node* child : heir->children) child->parent = heir;
    bucket->nodes.Set(heir->pgid, heir);
    is_leaf = false;
    inodes.clear();
    children.clear();
    KeysRewritten();
    inodes.push_back(Inode::Branch(heir->key, heir->pgid));
    children.push_back(heir);
    heir->SplitEarly();
    return;
  }
  // A branch's first key is its first child's separator, which that child's keys may lie
  // below (a first child holds keys under its separator): only lower the separator for it.
  if (is_leaf ? key != inodes.front().key() : CompareKeys(inodes.front().key(), key) < 0) {
    // A first child holds keys below the one its parent knows it by (they route to it): cut
    // now, its second piece would sort before it in the parent. Known by its first key instead.
    parent->Put(key, inodes.front().key(), {}, pgid, 0);
    key = inodes.front().key();
  }
  const bool ascending =
      is_leaf && (appended_only || insert_run_.kind() == InsertRun::Kind::kAscending);
  const std::size_t run_at = insert_run_.last(), inodes_before = inodes.size();
  std::vector<Node*> pieces = Split(bucket->tx->page_size);
  if (ascending) {
    // The run goes on in the piece that holds its last insert, a new piece (its cuts pack the
    // pieces before it full) with no room to spare: growing it an insert at a time would take
    // a new arena block and a copy at every doubling. Room for as many inodes as this leaf had
    // when it was cut, which is about when that piece will be cut in turn.
    std::size_t at = appended_only ? inodes_before - 1 : run_at;
    for (Node* piece : pieces) {
      if (at < piece->inodes.size()) {
        piece->inodes.reserve(inodes_before + kEarlySplitCheckInterval);
        break;
      }
      at -= piece->inodes.size();
    }
  }
  for (std::size_t i = 1; i < pieces.size(); ++i) {
    Node* piece = pieces[i];
    piece->pgid = bucket->next_transient_pgid++;
    piece->key = piece->inodes.front().key();
    piece->appended_only = appended_only;
    bucket->nodes.Set(piece->pgid, piece);
    parent->Put(piece->key, piece->key, {}, piece->pgid, 0);
    if (!is_leaf) {
      // The materialized children of the inodes that moved belong to the piece now.
      for (const Inode& in : piece->inodes) {
        if (Node* child = bucket->nodes.Find(in.pgid()); child != nullptr) {
          child->parent = piece;
          piece->children.push_back(child);
        }
      }
    }
  }
  if (!is_leaf)
    std::erase_if(children, [this](const Node* child) { return child->parent != this; });
  // Each cut adds inodes to the parent: a long transaction's cuts grow a branch as its inserts
  // grow a leaf, and every descent searches it. Past the same size and count, it is cut the
  // same way. The count matters: a branch of a few huge keys cannot be cut into smaller pieces,
  // and a root over 2 pages that could not be cut would otherwise hand itself to a new heir
  // again and again. At 32 inodes or more, Split always makes two pieces at least.
  if (parent->inodes.size() >= kEarlySplitMinInodes &&
      parent->Size() > kEarlySplitPages * bucket->tx->page_size) {
    parent->SplitEarly();
  }
}

Status Node::WriteToNewPages() {
  TxImpl* tx = bucket->tx;
  LARDER_RETURN_IF_ERROR(Free());
  const std::size_t size = Size();
  const std::size_t count = (size + tx->page_size - 1) / tx->page_size;
  Pgid id = 0;
  LARDER_ASSIGN_OR_RETURN(std::uint8_t * buf, tx->Allocate(count, &id));
  pgid = id;
  overflow = static_cast<std::uint32_t>(count - 1);
  Write(buf);
  std::memset(buf + size, 0, count * tx->page_size - size);
  StoreU32(buf + 12, overflow);
  spilled = true;
  if (parent != nullptr) {
    if (inodes.empty()) {
      return Status::Corruption(fmt::format("page {}: empty non-root node at commit", id));
    }
    std::string_view k = key.empty() ? inodes[0].key() : key;
    parent->Put(k, inodes[0].key(), {}, pgid, 0);
    key = inodes[0].key();
  }
  return Status::Ok();
}

void Node::SortChildrenByFirstKey() {
  if (children.size() < 2) return;
  // Each child's first key is looked up once, not at every comparison (through the child's
  // inodes: two pointers a side, cache misses on a branch of hundreds of children).
  std::vector<std::pair<std::string_view, Node*>> keyed;
  keyed.reserve(children.size());
  for (Node* child : children) {
    keyed.emplace_back(child->inodes.empty() ? std::string_view() : child->inodes[0].key(), child);
  }
  std::sort(keyed.begin(), keyed.end(),
            [](const auto& a, const auto& b) { return CompareKeys(a.first, b.first) < 0; });
  for (std::size_t i = 0; i < keyed.size(); ++i) children[i] = keyed[i].second;
}

Status Node::Spill() {
  if (spilled) return Status::Ok();
  TxImpl* tx = bucket->tx;
  SortChildrenByFirstKey();
  // Children may split while spilling, which appends to `children`: index, don't iterate.
  for (std::size_t i = 0; i < children.size(); ++i) {
    LARDER_RETURN_IF_ERROR(children[i]->Spill());
  }
  children.clear();

  if (Size() < tx->page_size) {
    LARDER_RETURN_IF_ERROR(WriteToNewPages());  // fits one page: the common case, no Split
  } else {
    for (Node* node : Split(tx->page_size)) LARDER_RETURN_IF_ERROR(node->WriteToNewPages());
  }
  // A split root made a new parent: spill it too.
  if (parent != nullptr && parent->made_by_split && !parent->spilled) {
    children.clear();
    return parent->Spill();
  }
  return Status::Ok();
}

}  // namespace larder::bolt::internal
