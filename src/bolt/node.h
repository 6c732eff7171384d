// Node: the writer's in-memory, editable form of a branch or leaf page.
//
// A write transaction materializes the pages it changes as nodes (inodes pointing into the
// page, or into the transaction's arena for what it wrote), edits them, and at commit rebalances
// nodes that lost keys (merge with a sibling below the fill threshold), then spills: splits nodes
// larger than a page and writes each to newly allocated pages, freeing the old ones. Thresholds are
// bbolt 1.3.x's.
//
// One departure from bbolt: a leaf that grows past a few pages inside a transaction is cut into
// page-sized pieces at once (SplitEarly), the cuts Spill would make, so that inserting n keys
// into one key range in one transaction costs O(n * page) rather than O(n^2) moves of inodes.
// The pieces go into the parent branch, which is cut the same way once past the same size (so a
// long transaction's descents search branches of a few pages, not one of thousands of keys).
// The new pieces have no page yet: each carries a transient id (kTransientPgidBase and up),
// under which its bucket's node map and its parent's inode find it until Spill gives it a page.
//
// Invariants:
//  - inodes are sorted by key, unique; a branch inode's key is its child's first key.
//  - `parent` links and `children` describe only materialized nodes; `pgid` is 0 for a node that
//    has no page yet (new root of a split, new bucket).
//  - a node removed by a merge is `detached` and never used again.
//  - a transient id names a node of this transaction's node map, never a page: Read refuses a
//    page that names one, and Free has nothing to free for one.
//  - the search array (KeyHeads), when built, describes `inodes` exactly, and key_edits() counts
//    every change to the inodes' keys or positions: every such edit goes through InsertAt, DelAt
//    or Put, which keep both in step, or is followed by KeysRewritten. Only node.cc edits keys;
//    BucketImpl::Put edits values, which neither covers.
// Thread-safety: none; owned by one write transaction.
#ifndef LARDER_BOLT_NODE_H_
#define LARDER_BOLT_NODE_H_

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <memory_resource>
#include <string_view>
#include <vector>

#include "bolt/inode.h"
#include "bolt/key_heads.h"
#include "bolt/page.h"
#include "bolt/page_search.h"
#include "bolt/piece_cuts.h"
#include "larder/result.h"
#include "larder/status.h"

namespace larder::bolt::internal {

class BucketImpl;

// Ids of nodes made by SplitEarly before they have a page (see the class comment).
inline constexpr Pgid kTransientPgidBase = Pgid{1} << 63;
inline bool IsTransientPgid(Pgid id) { return id >= kTransientPgidBase; }

class Node {
 public:
  // `mem` (the transaction's arena) holds the node's vectors; it must outlive the node.
  Node(BucketImpl* bucket, bool is_leaf, Node* parent, std::pmr::memory_resource* mem)
      : bucket(bucket), is_leaf(is_leaf), parent(parent), children(mem), inodes(mem), heads_(mem) {}

  BucketImpl* bucket;
  bool is_leaf;
  bool unbalanced = false;
  bool spilled = false;
  bool detached = false;
  // Made by Split at commit as the new parent of a root that split: its first split child
  // spills it. (Not an inline root that SplitEarly turned into a branch: its id is also 0.)
  bool made_by_split = false;
  // True while every key added since the node was read (or made) went after all its keys, and
  // none was deleted: an append-only load. Split then packs pages full (as LMDB does) instead
  // of leaving them at the fill percent, which appends would never refill; it does the same for
  // any other run of inserts at one point (insert_run_; piece_cuts.h).
  bool appended_only = true;
  std::string_view key;  // first key when read; how the parent knows this node
  Pgid pgid = 0;
  std::uint32_t overflow = 0;  // of the page run the node was read from (freed at spill)
  Node* parent;
  std::pmr::vector<Node*> children;
  std::pmr::vector<Inode> inodes;

  Node* Root() {
    Node* n = this;
    while (n->parent != nullptr) n = n->parent;
    return n;
  }
  std::size_t MinKeys() const { return is_leaf ? 1 : 2; }
  // Serialized size in bytes, page header included.
  std::size_t Size() const;

  // Loads the node from a page run. The inodes point into `page`, which must stay valid and
  // unchanged for the transaction's life (a page of its snapshot, or of its arena).
  Status Read(PageView page);
  // Serializes into `buf` (zeroed, Size() bytes at least): flags, count, elements. The caller
  // sets the page id and overflow.
  void Write(std::uint8_t* buf) const;

  // Inserts or replaces the inode found under `old_key` with (new_key, value, pgid, flags).
  void Put(std::string_view old_key, std::string_view new_key, std::string_view value, Pgid child,
           std::uint32_t flags);
  // The first inode whose key is >= `key` (page_search.h's LowerBound). A node searched more
  // than a few times (a long write transaction's hot nodes) builds its search array and is
  // searched through it from then on; Debug builds check each such search against the plain one.
  SearchHit Search(std::string_view key) const {
    if (!heads_.valid()) {
      if (++plain_searches_ < kPlainSearchesBeforeArray || inodes.size() < kMinInodesForArray) {
        return PlainSearch(key);
      }
      heads_.Build(std::span<const Inode>(inodes));
    }
    const SearchHit hit = heads_.Search(std::span<const Inode>(inodes), key);
#ifndef NDEBUG
    const SearchHit plain = PlainSearch(key);
    assert(hit.index == plain.index && hit.exact == plain.exact);
#endif
    return hit;
  }
  // The index of the first inode whose key is >= `key` (inodes.size() if none).
  std::size_t LowerBound(std::string_view key) const { return Search(key).index; }
  // Counts the changes to the inodes' keys or their positions (values do not count): an index
  // that a search of this node returned still names the same key while this has not moved.
  std::uint64_t key_edits() const { return key_edits_; }
  // Inserts a leaf entry (key, value) at `index`, where it keeps the inodes sorted.
  void InsertAt(std::size_t index, std::string_view key, std::string_view value) {
    if (index != inodes.size()) appended_only = false;
    inodes.insert(inodes.begin() + static_cast<std::ptrdiff_t>(index), Inode::Leaf(key, value, 0));
    KeyInserted(index, key);
  }
  // Removes the inode with `key`, if any.
  void Del(std::string_view key);
  // Removes inodes[index] (REQUIRES index < inodes.size()).
  void DelAt(std::size_t index) {
    inodes.erase(inodes.begin() + static_cast<std::ptrdiff_t>(index));
    KeyErased(index);
    unbalanced = true;
    appended_only = false;
  }

  // True when this leaf has grown to several pages in this transaction, so that each further
  // insert would move many inodes; checked every kEarlySplitCheckInterval inserts (it walks the
  // inodes). BucketImpl::Put then calls SplitEarly.
  bool WantsEarlySplit();
  // Cuts this leaf into page-sized pieces now (see the class comment). A root leaf becomes a
  // branch over the pieces, keeping its page id, so the bucket's root does not change.
  void SplitEarly();

  Result<Node*> ChildAt(std::size_t index);
  std::size_t ChildIndex(const Node* child) const;
  void RemoveChild(const Node* child);

  // Commit-time steps; see the class comment.
  Status Rebalance();
  Status Spill();
  // Frees this node's page (as pending) if it has one.
  Status Free();

 private:
  // A node builds its search array on this many-th search, if it has this many inodes: one read
  // and searched once or twice (a short transaction's path) does not pay a pass over its keys.
  static constexpr std::uint32_t kPlainSearchesBeforeArray = 4;
  static constexpr std::size_t kMinInodesForArray = 16;

  SearchHit PlainSearch(std::string_view key) const {
    SearchHit hit;
    (void)internal::LowerBound(SortedKeys<Inode>(inodes), key, &hit);  // inodes never fail
    return hit;
  }
  // Keep the search array in step with an edit of `inodes`, and count it (key_edits).
  void KeyInserted(std::size_t index, std::string_view key) {
    ++key_edits_;
    heads_.Insert(index, key);
    insert_run_.Inserted(index);
  }
  void KeyErased(std::size_t index) {
    ++key_edits_;
    heads_.Erase(index);
    insert_run_.Broken();
  }
  void KeyReplaced(std::size_t index, std::string_view key) {
    ++key_edits_;
    heads_.Replace(index, key);
  }
  // After any other edit of `inodes`: the array does not follow, and is rebuilt once the node
  // has been searched a few more times.
  void KeysRewritten() {
    ++key_edits_;
    heads_.Clear();
    plain_searches_ = 0;
    insert_run_.Broken();
  }
  // Frees the node's old pages, writes it to newly allocated ones and updates the parent.
  Status WriteToNewPages();
  // Puts `children` in the order of their first keys (Spill allocates their pages in it).
  void SortChildrenByFirstKey();
  std::size_t put_hint_ = 0;  // where the next Put probably lands (after the last one)
  std::size_t inserts_since_size_check_ = 0;  // for WantsEarlySplit
  // The search array and the plain searches since it was last dropped: a cache that const
  // searches fill, so mutable (the node has one owner; see Thread-safety).
  mutable KeyHeads heads_;
  mutable std::uint32_t plain_searches_ = 0;
  std::uint64_t key_edits_ = 0;
  // The inserts since the node was read or made, for Split's packing (piece_cuts.h).
  InsertRun insert_run_;

  // Cuts the node into pieces that fit a page (bbolt's thresholds); the first piece is this.
  std::vector<Node*> Split(std::size_t page_size);
  Status MergeInto(Node* target, Node* source);
};

}  // namespace larder::bolt::internal

#endif  // LARDER_BOLT_NODE_H_
