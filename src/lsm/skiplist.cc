#include "lsm/skiplist.h"

#include <bit>
#include <cstdint>
#include <new>

namespace larder::lsm {

SkipList::SkipList(MemTableArena* arena, std::uint64_t seed)
    : arena_(arena),
      head_(NewNode(MakeKey(std::string_view(), 0), {}, kMaxHeight)),
      rnd_(seed | 1) {}

int SkipList::RandomHeight() {
  // xorshift64*: two random bits per level, so each level is kept with probability 1/4.
  rnd_ ^= rnd_ >> 12;
  rnd_ ^= rnd_ << 25;
  rnd_ ^= rnd_ >> 27;
  const std::uint64_t r = rnd_ * 0x2545f4914f6cdd1dULL;
  const int zeros = std::countr_zero(r | (std::uint64_t{1} << (2 * (kMaxHeight - 1))));
  return 1 + zeros / 2;
}

SkipList::Node* SkipList::NewNode(const Key& key, std::string_view value, int height) {
  const std::size_t links = static_cast<std::size_t>(height - 1) * sizeof(std::atomic<Node*>);
  const std::size_t size = links + sizeof(Node) + key.user_key.size() + kTrailerSize + value.size();
  assert(key.user_key.size() <= UINT32_MAX && value.size() <= UINT32_MAX);
  std::uint8_t* mem = arena_->Allocate(size);
  for (int i = 1; i < height; ++i) {
    new (mem + links - static_cast<std::size_t>(i) * sizeof(std::atomic<Node*>))
        std::atomic<Node*>(nullptr);
  }
  Node* n = new (mem + links) Node{};
  n->prefix = key.prefix;
  n->user_key_size = static_cast<std::uint32_t>(key.user_key.size());
  n->value_size = static_cast<std::uint32_t>(value.size());
  auto* p = reinterpret_cast<std::uint8_t*>(n + 1);
  if (!key.user_key.empty()) std::memcpy(p, key.user_key.data(), key.user_key.size());
  StoreU64(p + key.user_key.size(), key.trailer);
  if (!value.empty())
    std::memcpy(p + key.user_key.size() + kTrailerSize, value.data(), value.size());
  return n;
}

void SkipList::Insert(std::string_view user_key, SequenceNumber seq, ValueType type,
                      std::string_view value) {
  const Key key = MakeKey(user_key, PackTrailer(seq, type));
  Node* prev[kMaxHeight];
  [[maybe_unused]] Node* next = FindGreaterOrEqual(key, prev);
  assert(next == nullptr || Compare(key, next) != 0);  // no duplicate internal keys

  const int height = RandomHeight();
  const int old_height = max_height();
  if (height > old_height) {
    for (int i = old_height; i < height; ++i) prev[i] = head_;
    // Relaxed: see the header (a reader seeing it early finds nullptr at head_'s new levels).
    max_height_.store(height, std::memory_order_relaxed);
  }
  Node* x = NewNode(key, value, height);
  for (int i = 0; i < height; ++i) {
    // x is not reachable yet: a relaxed store suffices for its own pointer; the release store
    // into prev[i] publishes x with everything written to it.
    x->slot(i)->store(prev[i]->slot(i)->load(std::memory_order_relaxed), std::memory_order_relaxed);
    prev[i]->SetNext(i, x);
  }
}

template <bool kInclusive>
SkipList::Node* SkipList::Descend(const Key& key, Node** prev, Node** successor) const {
  Node* x = head_;
  int level = max_height() - 1;
  const Node* known_after = nullptr;  // a node already found after `key` on a higher level
  while (true) {
    Node* next = x->Next(level);
    // The node a step down would compare first: fetched while `next` is being compared, so
    // that the two cache misses overlap instead of following each other.
    if (level > 0) __builtin_prefetch(x->Next(level - 1));
    if (next != nullptr && next != known_after &&
        (kInclusive ? Compare(key, next) >= 0 : Compare(key, next) > 0)) {
      x = next;
      continue;
    }
    if (prev != nullptr) prev[level] = x;
    if (level == 0) {
      // The successor as loaded here: reloading x's pointer could return a node inserted since,
      // which may sort before `key`.
      if (successor != nullptr) *successor = next;
      return x;
    }
    known_after = next;
    --level;
  }
}

SkipList::Node* SkipList::FindGreaterOrEqual(const Key& key, Node** prev) const {
  Node* next = nullptr;
  Descend<false>(key, prev, &next);
  return next;
}

SkipList::Node* SkipList::FindLessThan(const Key& key) const {
  return Descend<false>(key, nullptr, nullptr);
}

SkipList::Node* SkipList::FindLessOrEqual(const Key& key) const {
  return Descend<true>(key, nullptr, nullptr);
}

SkipList::Node* SkipList::FindLast() const {
  Node* x = head_;
  int level = max_height() - 1;
  while (true) {
    Node* next = x->Next(level);
    if (next != nullptr) {
      x = next;
      continue;
    }
    if (level == 0) return x;
    --level;
  }
}

}  // namespace larder::lsm
