// The one binary search over bolt's sorted element arrays, and the one rule for which child of a
// branch holds a key.
//
// The arrays are the leaf and branch elements of a page read from the file (untrusted: every
// element the search reads is bounds-checked through PageView, and a damaged one stops the
// search) and a writer's in-memory inodes (trusted). Get's map descent, the checked descent of
// Get and cursors (BucketImpl::Get, CursorImpl::Search via PageNode::Search) and the writer's
// node edits (Node::Search: Put, Del, LeafNodeFor) all call LowerBound below (a node's search
// array, key_heads.h, for the run of keys its heads cannot tell apart), and every descent picks
// the child with ChildIndex.
//
// Header-only on purpose: the search is the inner loop of every lookup, and it must inline into
// the descent together with the element accessor.
#ifndef LARDER_BOLT_PAGE_SEARCH_H_
#define LARDER_BOLT_PAGE_SEARCH_H_

#include <cstddef>
#include <span>
#include <string_view>
#include <type_traits>

#include "bolt/page.h"

namespace larder::bolt::internal {

// Where a search ended.
struct SearchHit {
  // Found: the first element whose key is >= the key searched for (the count when none is).
  // Not found because an element lies outside its page: that element.
  std::size_t index = 0;
  bool exact = false;  // the element at `index` has exactly the key
};

// The elements of a leaf (kLeaf) or branch page, for LowerBound. Holds a copy of the view.
template <bool kLeaf>
class PageKeys {
 public:
  using Element = std::conditional_t<kLeaf, LeafElement, BranchElement>;
  explicit PageKeys(const PageView& page) : page_(page) {}

  std::size_t size() const { return page_.count(); }
  // False when element i or its key (and value) lies outside the page.
  // REQUIRES: i < size(), page.ElementsFit().
  bool At(std::size_t i, Element* e) const {
    if constexpr (kLeaf) {
      return page_.Leaf(i, e);
    } else {
      return page_.Branch(i, e);
    }
  }
  // Hints element i's key to the CPU. The address is not bounds-checked: a prefetch never
  // faults. REQUIRES: i < size(), page.ElementsFit() (so the element itself is in the page).
  void Prefetch(std::size_t i) const {
    const std::uint8_t* e = page_.data() + kPageHeaderSize + i * kElementSize;
    __builtin_prefetch(e + LoadU32(kLeaf ? e + 4 : e));
  }

 private:
  PageView page_;
};
using LeafKeys = PageKeys<true>;
using BranchKeys = PageKeys<false>;

// Any sorted array of items with a `key()` accessor (a node's inodes), for LowerBound.
template <typename T>
class SortedKeys {
 public:
  struct Element {
    std::string_view key;
  };
  explicit SortedKeys(std::span<const T> items) : items_(items) {}

  std::size_t size() const { return items_.size(); }
  bool At(std::size_t i, Element* e) const {
    e->key = items_[i].key();
    return true;
  }
  // Hints item i's key to the CPU. Loads the item itself (in bounds: REQUIRES i < size()) to
  // find the key, so the item's miss and then the key's overlap with the probe in progress. A
  // long-lived write transaction holds thousands of nodes, whose items and keys (in its arena or
  // in the pages the nodes were read from) are rarely still in cache.
  void Prefetch(std::size_t i) const { __builtin_prefetch(items_[i].key().data()); }

 private:
  std::span<const T> items_;
};

// Binary search of `keys` for the first element whose key is >= `key`; stops at an element equal
// to `key` (keys are unique: in a damaged page that repeats one, any of them may be found).
// Returns false, with hit->index naming the element, when an element lies outside its page.
// When `found` is given and the key is found, *found is that element (a leaf's value and flags
// without a second read).
//
// Before a probe's own compare it prefetches the keys of both probes that can come next, so
// that the key misses of consecutive probes (each key on its own cache line, away from its
// element) overlap instead of following one another.
//
// Always inlined: GCC otherwise keeps one out-of-line copy per element type, called from every
// descent, and a reader's Get then spends about 5% more instructions (bench/callgrind.sh).
template <typename Keys>
[[gnu::always_inline]] inline bool LowerBound(const Keys& keys, std::string_view key,
                                              SearchHit* hit,
                                              typename Keys::Element* found = nullptr) {
  std::size_t lo = 0, hi = keys.size();
  hit->exact = false;
  while (lo < hi) {
    const std::size_t mid = (lo + hi) / 2;
    if (lo < mid) keys.Prefetch((lo + mid) / 2);
    if (mid + 1 < hi) keys.Prefetch((mid + 1 + hi) / 2);
    typename Keys::Element e;
    if (!keys.At(mid, &e)) {
      hit->index = mid;
      return false;
    }
    const int c = CompareKeys(e.key, key);
    if (c == 0) {
      hit->index = mid;
      hit->exact = true;
      if (found != nullptr) *found = e;
      return true;
    }
    // A branch, not conditional moves: the CPU predicts the next probe and starts loading its
    // element while this compare waits for memory. With cmov (which GCC picks for this loop
    // unless told otherwise) each probe's miss waits for the one before it: random gets took
    // 17% more time with fewer instructions. The empty asm keeps the branch.
    if (c < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
      asm volatile("");
    }
  }
  hit->index = lo;
  return true;
}

// Searches a leaf or a branch page, by its type. REQUIRES: page.ElementsFit().
inline bool SearchPage(const PageView& page, std::string_view key, SearchHit* hit) {
  return page.is_leaf() ? LowerBound(LeafKeys(page), key, hit)
                        : LowerBound(BranchKeys(page), key, hit);
}

// The child of a branch of `count` > 0 elements whose range holds the key that `hit` searched
// for: the last element whose key is <= that key, or the first when the key sorts before all
// (bbolt's rule; a branch element's key is its child's first key).
inline std::size_t ChildIndex(const SearchHit& hit, std::size_t count) {
  const std::size_t i = hit.exact || hit.index == 0 ? hit.index : hit.index - 1;
  return i < count ? i : count - 1;
}

}  // namespace larder::bolt::internal

#endif  // LARDER_BOLT_PAGE_SEARCH_H_
