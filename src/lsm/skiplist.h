// SkipList: the memtable's sorted index of internal-key entries (dbformat.h), kept in an arena.
// One writer at a time, any number of concurrent lock-free readers; entries are never removed.
//
// Layout. Each node is ONE arena allocation: its next pointers for levels height-1 .. 1, then
// the Node header (the level-0 next pointer; the user key's first 8 bytes as a big-endian
// integer, zero-padded, "the prefix"; the user key's and the value's sizes), then the entry
// inline: the internal key (user key ++ 8-byte trailer) and the value. A Node* points at the
// header, so level i's pointer is at (&next0)[-i] and the entry starts right after the header:
// reaching a node's key costs no further pointer chase, and most comparisons (keys that differ
// in their first 8 bytes) read only the header's prefix, on the same cache line as next0.
// The header stores fixed 32-bit sizes instead of varints: 6 bytes more per entry than LevelDB's
// encoding, no decoding on the comparison path. Heights: at most kMaxHeight (12), each level
// kept with probability 1/4.
//
// Invariants (hold at every instant, for every reader):
//  I1. At every level the list starting at head_ is strictly increasing in CompareInternalKeys
//      order, and ends with nullptr; level i's nodes are a subset of level i-1's nodes, except
//      transiently while the writer links a new node bottom-up (a node may be reachable at level
//      0 .. i-1 but not yet at i; never the other way round).
//  I2. A node's entry bytes, header and initial next pointers are written before the node
//      becomes reachable, and afterwards only its next pointers change.
//  I3. A next pointer only changes from s to x where x's own next pointer at that level is s
//      (an insertion between the two): every list a reader walks satisfies I1.
//  I4. Nodes never move and are never freed before the SkipList's arena: a Node* a reader holds
//      stays valid for the SkipList's lifetime.
//
// Memory-ordering rule: the writer fills a new node x (I2) with plain and relaxed stores, then
// publishes it at each level i by storing x into prev->next[i] with memory_order_release.
// Readers load every next pointer with memory_order_acquire, so a reader that obtains x also
// sees everything written to x before its publication (its key, value and next pointers).
// max_height_ is relaxed: a reader that sees the new height before head_'s new upper pointers
// reads nullptr there, which means "end of this level", and moves down.
//
// Thread-safety: Insert requires external synchronization (one writer at a time, and a
// happens-before edge from one writer to the next, e.g. a mutex). Iterators and empty() are
// safe concurrently with one Insert and with each other, without locks. A reader sees every
// entry whose Insert happened before its read began, and maybe some inserted concurrently.
// Lifetime: the MemTableArena must outlive the SkipList; key()/value() views returned by an
// iterator point into the arena and stay valid while the arena lives (not only until the
// iterator moves).
#ifndef LARDER_LSM_SKIPLIST_H_
#define LARDER_LSM_SKIPLIST_H_

#include <atomic>
#include <cassert>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "base/coding.h"
#include "lsm/dbformat.h"
#include "lsm/memtable_arena.h"

namespace larder::lsm {

class SkipList {
 private:
  struct Node;

 public:
  static constexpr int kMaxHeight = 12;

  // Allocates from `arena` (not owned; it must outlive this list). `seed` picks node heights.
  explicit SkipList(MemTableArena* arena, std::uint64_t seed = 0x9e3779b97f4a7c15);
  SkipList(const SkipList&) = delete;
  SkipList& operator=(const SkipList&) = delete;

  // Adds the entry (user_key ++ trailer(seq, type), value). REQUIRES: external
  // synchronization; no entry with the same user key, sequence and type is present; user_key
  // and value shorter than 4 GiB each (the DB bounds both far lower).
  void Insert(std::string_view user_key, SequenceNumber seq, ValueType type,
              std::string_view value);

  bool empty() const { return head_->Next(0) == nullptr; }

  // A cursor over the list. Not positioned after construction. Cheap to create (no
  // allocation). Thread-safety: one thread at a time per iterator; any number of iterators
  // alongside the writer.
  class Iterator {
   public:
    explicit Iterator(const SkipList* list) : list_(list) {}

    bool Valid() const { return node_ != nullptr; }
    // REQUIRES: Valid(). Views valid while the SkipList lives.
    std::string_view key() const { return node_->internal_key(); }
    std::string_view user_key() const { return node_->user_key(); }
    std::uint64_t trailer() const { return node_->trailer(); }
    std::string_view value() const { return node_->value(); }

    void Next() {
      assert(Valid());
      node_ = node_->Next(0);
    }
    void Prev() {
      assert(Valid());
      node_ = list_->FindLessThan(MakeKey(node_));
      if (node_ == list_->head_) node_ = nullptr;
    }
    // The first entry >= target (an internal key; a shorter target is taken as a user key
    // with the largest trailer, i.e. before all of its versions).
    void Seek(std::string_view target) {
      node_ = list_->FindGreaterOrEqual(MakeKey(target), nullptr);
    }
    void Seek(std::string_view user_key, std::uint64_t trailer) {
      node_ = list_->FindGreaterOrEqual(MakeKey(user_key, trailer), nullptr);
    }
    // The last entry <= target.
    void SeekForPrev(std::string_view target) {
      node_ = list_->FindLessOrEqual(MakeKey(target));
      if (node_ == list_->head_) node_ = nullptr;
    }
    void SeekToFirst() { node_ = list_->head_->Next(0); }
    void SeekToLast() {
      node_ = list_->FindLast();
      if (node_ == list_->head_) node_ = nullptr;
    }

   private:
    const SkipList* list_;
    const Node* node_ = nullptr;
  };

 private:
  struct Node {
    std::atomic<Node*> next0;  // level 0; level i's pointer is (&next0)[-i]
    std::uint64_t prefix;      // big-endian first 8 bytes of the user key, zero-padded
    std::uint32_t user_key_size;
    std::uint32_t value_size;
    // followed by the user key, the 8-byte trailer, the value

    const char* data() const { return reinterpret_cast<const char*>(this + 1); }
    std::string_view user_key() const { return {data(), user_key_size}; }
    std::string_view internal_key() const { return {data(), user_key_size + kTrailerSize}; }
    std::uint64_t trailer() const {
      return LoadU64(reinterpret_cast<const std::uint8_t*>(data()) + user_key_size);
    }
    std::string_view value() const { return {data() + user_key_size + kTrailerSize, value_size}; }
    std::atomic<Node*>* slot(int level) { return &next0 - level; }
    const std::atomic<Node*>* slot(int level) const { return &next0 - level; }
    Node* Next(int level) const { return slot(level)->load(std::memory_order_acquire); }
    void SetNext(int level, Node* x) { slot(level)->store(x, std::memory_order_release); }
  };
  static_assert(sizeof(Node) == 24);

  // A search key, decoded once per search.
  struct Key {
    std::string_view user_key;
    std::uint64_t trailer;
    std::uint64_t prefix;
  };

  static Key MakeKey(std::string_view user_key, std::uint64_t trailer) {
    return Key{user_key, trailer, KeyHead(user_key)};
  }
  static Key MakeKey(std::string_view internal_key) {
    if (internal_key.size() < kTrailerSize) return MakeKey(internal_key, ~std::uint64_t{0});
    return MakeKey(ExtractUserKey(internal_key), ExtractTrailer(internal_key));
  }
  static Key MakeKey(const Node* n) { return Key{n->user_key(), n->trailer(), n->prefix}; }

  // <0, 0, >0 as `a` sorts before, with, after node `b` (CompareInternalKeys order).
  static int Compare(const Key& a, const Node* b) {
    if (a.prefix != b->prefix) return a.prefix < b->prefix ? -1 : 1;
    const int r = a.user_key.compare(b->user_key());
    if (r != 0) return r;
    const std::uint64_t tb = b->trailer();
    return a.trailer > tb ? -1 : (a.trailer < tb ? 1 : 0);  // newer (larger trailer) first
  }

  int max_height() const { return max_height_.load(std::memory_order_relaxed); }
  int RandomHeight();
  Node* NewNode(const Key& key, std::string_view value, int height);

  // Walks down from head_ to the last node < key (kInclusive: <= key) and returns it (head_
  // when none). Fills prev[0, max_height) with each level's such node when prev is not null,
  // and *successor with the level-0 node after it as loaded during the walk.
  template <bool kInclusive>
  Node* Descend(const Key& key, Node** prev, Node** successor) const;
  // The first node >= key, or nullptr. Fills prev[0, max_height) with each level's last node
  // < key when prev is not null (the writer's splice).
  Node* FindGreaterOrEqual(const Key& key, Node** prev) const;
  // The last node < key, or head_.
  Node* FindLessThan(const Key& key) const;
  // The last node <= key, or head_.
  Node* FindLessOrEqual(const Key& key) const;
  // The last node, or head_.
  Node* FindLast() const;

  MemTableArena* const arena_;
  Node* const head_;
  std::atomic<int> max_height_{1};
  std::uint64_t rnd_;  // writer only
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_SKIPLIST_H_
