// BucketImpl: a bucket as one transaction sees it: its header (root page, sequence), the nodes
// it has materialized for writing, and the child buckets it has opened.
//
// Thread-safety: none; owned by one transaction.
#ifndef LARDER_BOLT_BUCKET_IMPL_H_
#define LARDER_BOLT_BUCKET_IMPL_H_

#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory_resource>
#include <string>
#include <string_view>

#include "bolt/node.h"
#include "bolt/node_map.h"
#include "bolt/page.h"
#include "bolt/page_search.h"
#include "larder/bolt/stats.h"
#include "larder/result.h"

namespace larder::bolt::internal {

class TxImpl;

// A position in the tree: a materialized node if there is one, else the page (whose element
// array fits: TxImpl::TreePage and the inline page's checks make sure of it).
struct PageNode {
  PageView page;
  Node* node = nullptr;
  bool is_leaf() const { return node != nullptr ? node->is_leaf : page.is_leaf(); }
  std::size_t count() const { return node != nullptr ? node->inodes.size() : page.count(); }
  Pgid id() const { return node != nullptr ? node->pgid : page.id(); }

  // The first element whose key is >= key (page_search.h). False when a page element lies
  // outside the page; OutOfBounds(hit->index) then says so.
  bool Search(std::string_view key, SearchHit* hit) const {
    if (node != nullptr) {
      *hit = node->Search(key);
      return true;
    }
    return SearchPage(page, key, hit);
  }
  // Leaf element i, or the child page of branch element i; false when it lies outside the
  // page. REQUIRES: i < count().
  bool LeafAt(std::size_t i, LeafElement* out) const {
    if (node == nullptr) return page.Leaf(i, out);
    const Inode& in = node->inodes[i];
    *out = LeafElement{in.flags(), in.key(), in.value()};
    return true;
  }
  bool ChildAt(std::size_t i, Pgid* out) const {
    if (node != nullptr) {
      *out = node->inodes[i].pgid();
      return true;
    }
    BranchElement e;
    // A transient id would name a node of the writer's map, not a page: damage.
    if (!page.Branch(i, &e) || IsTransientPgid(e.pgid)) return false;
    *out = e.pgid;
    return true;
  }
  // Corruption: element i lies outside the page.
  Status OutOfBounds(std::size_t i) const;
  // Corruption: a branch without elements.
  Status EmptyBranch() const;
};

class BucketImpl {
 public:
  // `mem` (the transaction's arena) holds the node map; it must outlive the bucket.
  BucketImpl(TxImpl* tx, BucketHeader header, double fill_percent, std::pmr::memory_resource* mem)
      : tx(tx), header(header), nodes(mem), fill_percent(fill_percent) {}

  TxImpl* tx;
  BucketHeader header;
  BucketImpl* parent = nullptr;  // the enclosing bucket (nullptr: the root bucket)
  PageView inline_page;          // the page image of an inline bucket (header.root == 0)
  Node* root_node = nullptr;
  NodeMap nodes;  // the materialized nodes by page id (or transient id)
  std::map<std::string, BucketImpl*, std::less<>> buckets;  // opened children, by name
  double fill_percent;
  bool deleted = false;
  // The bucket's last leaf, materialized by a Put that appended to it: later Puts of keys past
  // its last key go straight there instead of seeking from the root (sequential loads). Appends
  // never split a node before commit (SplitEarly follows only a Put into the middle, which
  // clears this), so it stays right until then.
  Node* append_leaf = nullptr;
  Pgid next_transient_pgid = kTransientPgidBase;  // the next id SplitEarly gives a new node
  std::uint64_t mutations = 0;  // bumped by every write; cursors re-seek when it changes

  bool writable() const;
  // The page or node for `pgid` (the inline page when the bucket is inline). When it is a
  // page, its first `prefetch_bytes` are hinted to the CPU before the header is read.
  Result<PageNode> PageNodeOf(Pgid pgid, std::size_t prefetch_bytes = 0);
  // Materializes the node for `pgid` under `parent` (nullptr: the root).
  Result<Node*> NodeOf(Pgid pgid, Node* parent);
  // Where a descent ended: the key range [lo, hi) that routes to the leaf, from the separators
  // on the path. leftmost: every branch was followed through its first child (the leaf is the
  // tree's first; no lo); rightmost: through its last (the tree's last; no hi). lo and hi view
  // branch keys: valid until the tree changes.
  struct LeafPath {
    bool leftmost = true;
    bool rightmost = true;
    std::string_view lo;  // when !leftmost
    std::string_view hi;  // when !rightmost
  };
  // Descends to the leaf where `key` belongs, materializing every node on the path. Sets *at
  // to the leaf's search result (the first inode >= key, and whether it is the key).
  Result<Node*> LeafNodeFor(std::string_view key, SearchHit* at, LeafPath* path);

  // Child buckets.
  Result<BucketImpl*> Child(std::string_view name);
  Result<BucketImpl*> CreateChild(std::string_view name, bool if_missing);
  Status DeleteChild(std::string_view name);

  // Key/value operations (validated by the caller-facing Bucket).
  Result<std::string_view> Get(std::string_view key);
  Status Put(std::string_view key, std::string_view value);
  Status Delete(std::string_view key);
  // Delete that hands back the value removed (when `value` is not nullptr); NotFound when the
  // key is absent. One seek: the entry it finds is the one deleted.
  Status Take(std::string_view key, std::string* value);
  // A cursor stopped on `leaf`'s entry at `index` (whose key is `key`): remembered as a Get's
  // is, in a hint of its own (the Get's stays for the key read before), so that a Take or Put
  // of that key next goes straight to the leaf (larderd pops a member an iterator sampled).
  void NoteCursorAt(Node* leaf, std::size_t index, std::string_view key) {
    cursor_hint_.Set(leaf, index, key);
  }

  // Commit steps.
  void Rebalance();
  Status Spill();
  bool Inlineable() const;
  // Frees every page of this bucket's tree (as pending); nested buckets are not visited.
  Status FreePages();

  // Calls fn(page, depth) for each page of the committed tree, bounds-checked.
  Status ForEachPage(const std::function<Status(PageView, int)>& fn);
  Result<BucketStats> Stats();

 private:
  // Where in a materialized leaf the last Get found a key, and where the last Put inserted one
  // (or the last Take removed one), so that a Put or Take goes straight there without a descent
  // from the root: larderd reads a key's meta record, pushes or pops an element next to the
  // last one (a list's end), then rewrites the meta.
  // A hint holds while its leaf's key_edits() has not moved since (no key inserted into,
  // removed from or moved out of the leaf, so it is still a leaf, uncut, and the index still
  // names the same key). Then the Get's, the cursor's and the overwrite's hints serve the same
  // key, and the insert's that key or one in the gap on either side of it: two keys of a leaf
  // bound a gap that is the leaf's (a key absent from it is absent from the tree), and so do
  // its first key and the lower end of its range, and its last key and the upper end, when the
  // hint knows its leaf's range (from the descent that found it: LeafPath).
  // Why a range known once stays right while key_edits() holds: separators change only when a
  // node is cut, and a cut of this leaf moves key_edits(). A cut elsewhere adds separators
  // inside the cut node's range, and may raise the cut leaf's own separator (after deletes
  // raised its first key), which widens its left neighbour's range, never narrows one; only a
  // first child's separator is ever lowered, and a first child's does not route (the keys
  // below it go to it anyway).
  struct LeafHint {
    static constexpr std::size_t kMaxKey = 64;  // longer keys are not remembered
    // One end of the leaf's range: unknown, none (the tree's first or last leaf), or a key.
    struct Bound {
      enum class Kind : std::uint8_t { kUnknown, kNone, kKey };
      Kind kind = Kind::kUnknown;
      std::uint8_t size = 0;
      char bytes[kMaxKey];

      void Set(bool none, std::string_view k) {
        if (none) {
          kind = Kind::kNone;
        } else if (k.size() > kMaxKey) {
          kind = Kind::kUnknown;
        } else {
          kind = Kind::kKey;
          size = static_cast<std::uint8_t>(k.size());
          std::memcpy(bytes, k.data(), k.size());
        }
      }
      std::string_view key() const { return {bytes, size}; }
    };

    Node* leaf = nullptr;  // nullptr: no hint
    std::size_t index = 0;
    std::uint64_t key_edits = 0;
    std::uint8_t misses = 0;  // Puts and Takes it did not serve since it was set
    // A copy of the key at `index`: checking a hint against it reads no memory of the leaf's,
    // which a stale hint's may have left the cache long since.
    std::size_t key_size = 0;
    char key[kMaxKey];
    Bound lo, hi;  // the leaf's range: lo inclusive, hi exclusive

    // A hint at leaf_node's entry `at` (key k), its range unknown, or as `range` gives it.
    void Set(Node* leaf_node, std::size_t at, std::string_view k) {
      SetKeepingRange(leaf_node, at, k);
      lo.kind = hi.kind = Bound::Kind::kUnknown;
    }
    void Set(Node* leaf_node, std::size_t at, std::string_view k, const LeafPath& range) {
      SetKeepingRange(leaf_node, at, k);
      lo.Set(range.leftmost, range.lo);
      hi.Set(range.rightmost, range.hi);
    }
    // For a hint that served an edit of its own leaf: the leaf, and so its range, is the same.
    void SetKeepingRange(Node* leaf_node, std::size_t at, std::string_view k) {
      if (k.size() > kMaxKey) {
        leaf = nullptr;
        return;
      }
      leaf = leaf_node;
      index = at;
      key_edits = leaf_node->key_edits();
      misses = 0;
      key_size = k.size();
      std::memcpy(key, k.data(), k.size());
    }
    std::string_view remembered_key() const { return {key, key_size}; }
    bool leftmost() const { return lo.kind == Bound::Kind::kNone; }
    bool rightmost() const { return hi.kind == Bound::Kind::kNone; }
  };
  // The hinted leaf where `key` belongs, with its search result for it; nullptr when no hint
  // applies. *by_insert_hint: the insert's hint served it (put_hint_ is on that leaf, with its
  // range). Drops the insert's hint once it is stale or has missed twice in a row (a push and
  // a meta rewrite alternate), so that a stale one costs two misses, not one per Put.
  Node* HintedLeaf(std::string_view key, SearchHit* at, bool* by_insert_hint);

  // Removes leaf->inodes[index] and leaves the insert hint beside the gap (keeping its range
  // when `same_leaf`: the insert's hint served this delete).
  void DeleteAt(Node* leaf, std::size_t index, bool same_leaf);

  Result<BucketImpl*> OpenChildFromValue(std::string_view name, std::string_view value);
  Status ForEachPageFrom(Pgid pgid, int depth, const std::function<Status(PageView, int)>& fn);

  LeafHint get_hint_;
  LeafHint cursor_hint_;     // where a cursor last stopped (NoteCursorAt)
  LeafHint overwrite_hint_;  // where the last Put found its key (larderd's meta rewrites)
  LeafHint put_hint_;        // beside the last insert or delete
  // Checking the insert hint reads its leaf, which random keys (a hint that never serves) find
  // cold: after kPutHintMissRun misses in a row, with no hit between, it is checked on every
  // kPutHintProbe-th call only, until it serves again (a load that turns sequential).
  static constexpr std::uint32_t kPutHintMissRun = 8;
  static constexpr std::uint32_t kPutHintProbe = 16;
  std::uint32_t put_hint_miss_run_ = 0;
  std::uint32_t put_hint_calls_ = 0;
};

}  // namespace larder::bolt::internal

#endif  // LARDER_BOLT_BUCKET_IMPL_H_
