// KeyHeads: a dense search array beside a node's sorted inodes, so that a long-lived write
// transaction's searches of its nodes read a few contiguous cache lines instead of two scattered
// loads (the inode, then its key) per probe.
//
// The array holds a head for each key, of its suffix: the bytes after the keys' common prefix.
// A head is the suffix's first 7 bytes, big-endian and zero-padded (KeyHead, base/coding.h), and
// below them one byte: the suffix's length, or 8 for any length above 7. Heads never contradict
// the keys' order (equal 7 bytes: a shorter suffix of at most 7 is a prefix of the longer one, so
// sorts first; two suffixes longer than 7 tie), and equal heads whose length byte is below 8 are
// equal keys. So Search binary-searches the heads and reads no key at all for a suffix of up to 7
// bytes; longer ones it compares only within the run of equal heads (one key, usually; the whole
// node in the worst case, which is then an ordinary binary search of that run).
//
// Invariants, while valid():
//  - heads_.size() is the number of items, and heads_[i] == Head(key_i);
//  - every item's key starts with prefix_, so heads_ is nondecreasing.
// Whoever edits the items keeps it so: Insert or Replace after writing a key (either may drop the
// array, when the key lacks the prefix), Erase after removing one, Clear after any other change.
//
// The prefix is a copy (short ones in the object itself), so that checking it costs no miss on
// a key elsewhere in memory.
// Thread-safety: none; owned by its node (one write transaction).
#ifndef LARDER_BOLT_KEY_HEADS_H_
#define LARDER_BOLT_KEY_HEADS_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/coding.h"
#include "bolt/page_search.h"

namespace larder::bolt::internal {

class KeyHeads {
 public:
  // `mem` holds the array; it must outlive this object.
  explicit KeyHeads(std::pmr::memory_resource* mem) : heads_(mem), prefix_(mem) {}

  bool valid() const { return valid_; }
  // Drops the array (its memory is kept for the next Build).
  void Clear() {
    valid_ = false;
    heads_.clear();
  }

  // Builds the array over `items` (anything with a `key()`, sorted and unique; not empty).
  template <typename T>
  void Build(std::span<const T> items) {
    const std::string_view first = items.front().key(), last = items.back().key();
    const std::size_t common = CommonPrefixLength(first, last);
    prefix_.assign(first.substr(0, common));
    heads_.resize(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) heads_[i] = Head(items[i].key());
    valid_ = true;
  }

  // A key was inserted at `index` (the items now hold it there).
  void Insert(std::size_t index, std::string_view key) {
    if (!valid_) return;
    if (!HasPrefix(key)) return Clear();
    heads_.insert(heads_.begin() + static_cast<std::ptrdiff_t>(index), Head(key));
  }
  // The key at `index` was replaced by `key`.
  void Replace(std::size_t index, std::string_view key) {
    if (!valid_) return;
    if (!HasPrefix(key)) return Clear();
    heads_[index] = Head(key);
  }
  // The item at `index` was removed.
  void Erase(std::size_t index) {
    if (valid_) heads_.erase(heads_.begin() + static_cast<std::ptrdiff_t>(index));
  }

  // LowerBound (page_search.h) of `items` for `key`, through the array. REQUIRES: valid(), and
  // `items` are those the array describes.
  template <typename T>
  SearchHit Search(std::span<const T> items, std::string_view key) const {
    const std::size_t n = heads_.size();
    const std::uint64_t* heads = heads_.data();
    // The binary search below reads a few of these lines one after another. Loading at once the
    // lines its first three rounds can probe (every line of a node of up to 64 keys) costs
    // about one miss instead; the rounds after those stay within a few lines.
    for (std::size_t i = 0; i < 8; ++i) __builtin_prefetch(heads + n * i / 8);
    const std::size_t skip = prefix_.size();
    // Before every key: below the prefix, or a proper prefix of it. After every key: above it.
    const int c = key.substr(0, std::min(skip, key.size())).compare(prefix_);
    if (c < 0) return SearchHit{0, false};
    if (c > 0) return SearchHit{n, false};
    const std::uint64_t h = Head(key);
    const std::size_t lo = static_cast<std::size_t>(std::lower_bound(heads, heads + n, h) - heads);
    // Keys before lo have smaller heads, so sort before the key; from lo on, a larger head sorts
    // after it. Only the run of equal heads can hold the key.
    if (lo == n || heads[lo] != h) return SearchHit{lo, false};
    if ((h & 0xff) < 8) return SearchHit{lo, true};  // the head is the whole suffix
    if (lo + 1 == n || heads[lo + 1] != h) {         // a run of one: the usual case
      const int k = CompareKeys(items[lo].key(), key);
      return SearchHit{k < 0 ? lo + 1 : lo, k == 0};
    }
    const std::size_t hi =
        static_cast<std::size_t>(std::upper_bound(heads + lo + 1, heads + n, h) - heads);
    SearchHit hit;
    (void)LowerBound(SortedKeys<T>(items.subspan(lo, hi - lo)), key, &hit);  // items never fail
    hit.index += lo;
    return hit;
  }

 private:
  bool HasPrefix(std::string_view key) const { return key.starts_with(prefix_); }
  // REQUIRES: HasPrefix(key).
  std::uint64_t Head(std::string_view key) const {
    const std::string_view suffix = key.substr(prefix_.size());
    return (KeyHead(suffix) & ~std::uint64_t{0xff}) | std::min<std::size_t>(suffix.size(), 8);
  }

  std::pmr::vector<std::uint64_t> heads_;
  std::pmr::string prefix_;
  bool valid_ = false;
};

}  // namespace larder::bolt::internal

#endif  // LARDER_BOLT_KEY_HEADS_H_
