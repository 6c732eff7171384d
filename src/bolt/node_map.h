// NodeMap: a write transaction's map from page id to the node materialized for it
// (BucketImpl::nodes). Every descent of a writer looks up one node per tree level, so the map is
// on the hot path of Get and Put: this is an open-addressing table (linear probing, a power-of-
// two array of {pgid, node} slots, at most half full) where a lookup usually reads one slot, in
// place of std::unordered_map's bucket array, list node and modulo.
//
// Invariants:
//   - A slot is empty when its node is nullptr; a stored node is never nullptr. Page id 0 is a
//     valid key (an inline bucket's root node).
//   - Every stored pgid sits at its home slot (hash of the pgid) or after it, with no empty slot
//     between the home and the pgid's slot (probing stops at the first empty slot). Erase keeps
//     this by shifting later entries of the run back (no tombstones).
//   - count_ * 2 <= slots_.size() after every Set (the array doubles before it would not).
//
// Memory comes from the transaction's arena (`mem`), released with the transaction.
// Thread-safety: none; one writer transaction uses it.
#ifndef LARDER_BOLT_NODE_MAP_H_
#define LARDER_BOLT_NODE_MAP_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <vector>

#include "bolt/page.h"

namespace larder::bolt::internal {

class Node;

class NodeMap {
 public:
  explicit NodeMap(std::pmr::memory_resource* mem) : slots_(mem) {}

  // The node stored for `pgid`, or nullptr.
  Node* Find(Pgid pgid) const {
    if (count_ == 0) return nullptr;
    for (std::size_t i = Home(pgid);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.node == nullptr) return nullptr;
      if (s.pgid == pgid) return s.node;
    }
  }

  // Stores `node` for `pgid`, replacing what was there. REQUIRES: node != nullptr.
  void Set(Pgid pgid, Node* node) {
    if ((count_ + 1) * 2 > slots_.size()) Grow();
    std::size_t i = Home(pgid);
    while (slots_[i].node != nullptr && slots_[i].pgid != pgid) i = (i + 1) & mask_;
    if (slots_[i].node == nullptr) ++count_;
    slots_[i] = Slot{pgid, node};
  }

  // Removes `pgid`'s entry; false when there was none.
  bool Erase(Pgid pgid) {
    if (count_ == 0) return false;
    std::size_t hole = Home(pgid);
    while (slots_[hole].pgid != pgid || slots_[hole].node == nullptr) {
      if (slots_[hole].node == nullptr) return false;
      hole = (hole + 1) & mask_;
    }
    // Backward shift: an entry later in the run moves into the hole unless its home lies
    // cyclically in (hole, j], where the hole would cut it off from its home.
    for (std::size_t j = (hole + 1) & mask_; slots_[j].node != nullptr; j = (j + 1) & mask_) {
      const std::size_t home = Home(slots_[j].pgid);
      if (((j - home) & mask_) < ((j - hole) & mask_)) continue;
      slots_[hole] = slots_[j];
      hole = j;
    }
    slots_[hole] = Slot{};
    --count_;
    return true;
  }

  void Clear() {
    slots_.clear();
    mask_ = 0;
    shift_ = 63;
    count_ = 0;
  }
  bool empty() const { return count_ == 0; }
  std::size_t size() const { return count_; }

  // Calls fn(pgid, node) for every entry, in no particular order. fn must not change the map.
  template <class Fn>
  void ForEach(Fn&& fn) const {
    for (const Slot& s : slots_) {
      if (s.node != nullptr) fn(s.pgid, s.node);
    }
  }

 private:
  struct Slot {
    Pgid pgid = 0;
    Node* node = nullptr;
  };
  static constexpr std::size_t kMinSlots = 16;

  std::size_t Home(Pgid pgid) const {
    // Fibonacci hashing: page ids are small and dense, transient ids start at 2^63.
    // The product's top bits index the array.
    return static_cast<std::size_t>((pgid * 0x9E3779B97F4A7C15ULL) >> shift_);
  }

  void Grow() {
    std::pmr::vector<Slot> old(slots_.get_allocator());
    old.swap(slots_);
    const std::size_t size = old.empty() ? kMinSlots : old.size() * 2;
    slots_.assign(size, Slot{});
    mask_ = size - 1;
    shift_ = 64 - std::countr_zero(size);
    count_ = 0;
    for (const Slot& s : old) {
      if (s.node != nullptr) Set(s.pgid, s.node);
    }
  }

  std::pmr::vector<Slot> slots_;
  std::size_t mask_ = 0;
  int shift_ = 63;  // 64 - log2(slots_.size()); unused while empty
  std::size_t count_ = 0;
};

}  // namespace larder::bolt::internal

#endif  // LARDER_BOLT_NODE_MAP_H_
