// Arena: bump allocation for one transaction's copies of keys, values and pages. Everything is
// freed together when the transaction ends, which is what makes returned views valid for the
// whole transaction.
//
// ArenaBlockCache keeps the blocks of ended write transactions for the next ones. Without it a
// write transaction's megabytes of page copies go back to malloc at its end, malloc returns
// them to the kernel (trimming the heap), and the next transaction faults every page in again:
// in a random-insert load that was a third of the run time (126k minor faults for 300k keys).
//
// Thread-safety: an Arena has none (owned by one transaction). ArenaBlockCache is safe for
// concurrent use: a transaction may end on another thread after the next one began.
#ifndef LARDER_BASE_ARENA_H_
#define LARDER_BASE_ARENA_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <memory_resource>
#include <string_view>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "base/thread_annotations.h"

namespace larder {

// A block of arena memory: its bytes and its size.
struct ArenaBlock {
  std::unique_ptr<std::uint8_t[]> data;
  std::size_t size = 0;
};

class ArenaBlockCache {
 public:
  // Holds at most `max_bytes` of idle blocks; what does not fit goes back to malloc. With a
  // `floor_bytes` below that, an arena that ends leaves it at most twice what the arena used, or
  // `floor_bytes` if more: a burst of large transactions' memory is not held through the
  // lighter ones after it.
  explicit ArenaBlockCache(std::size_t max_bytes, std::size_t floor_bytes = SIZE_MAX)
      : max_bytes_(max_bytes), floor_bytes_(std::min(floor_bytes, max_bytes)) {}

  // A cached block of at least `n` bytes, or an empty one (data == nullptr) when none fits.
  ArenaBlock Take(std::size_t n) {
    MutexLock lock(&mu_);
    for (std::size_t i = blocks_.size(); i-- > 0;) {
      if (blocks_[i].size < n) continue;
      ArenaBlock b = std::move(blocks_[i]);
      blocks_[i] = std::move(blocks_.back());
      blocks_.pop_back();
      bytes_ -= b.size;
      count_.store(blocks_.size(), std::memory_order_relaxed);
      return b;
    }
    return {};
  }
  // Keeps `blocks` for later transactions, up to the cache's limit: max_bytes, or for the
  // blocks of an arena that used `arena_bytes`, the smaller limit the constructor describes
  // (idle blocks beyond it are freed too).
  void Give(std::vector<ArenaBlock>* blocks, std::size_t arena_bytes = SIZE_MAX) {
    const std::size_t limit = arena_bytes == SIZE_MAX
                                  ? max_bytes_
                                  : std::min(max_bytes_, std::max(floor_bytes_, arena_bytes * 2));
    std::vector<ArenaBlock> freed;
    MutexLock lock(&mu_);
    for (ArenaBlock& b : *blocks) {
      if (bytes_ + b.size > limit) continue;  // freed with the vector's clear()
      bytes_ += b.size;
      blocks_.push_back(std::move(b));
    }
    blocks->clear();
    while (bytes_ > limit) {
      bytes_ -= blocks_.back().size;
      freed.push_back(std::move(blocks_.back()));
      blocks_.pop_back();
    }
    count_.store(blocks_.size(), std::memory_order_relaxed);
  }
  // Frees every idle block (for a writer gone idle: see bolt's DB::ReleaseCachedMemory).
  void Clear() {
    std::vector<ArenaBlock> freed;
    {
      MutexLock lock(&mu_);
      freed.swap(blocks_);
      bytes_ = 0;
      count_.store(0, std::memory_order_relaxed);
    }
  }  // `freed` goes back to malloc here, outside the lock
  std::size_t bytes() const {
    MutexLock lock(&mu_);
    return bytes_;
  }
  // The idle blocks held, without taking the lock (a hint: it may change at once).
  std::size_t blocks() const { return count_.load(std::memory_order_relaxed); }

 private:
  const std::size_t max_bytes_;
  const std::size_t floor_bytes_;
  mutable Mutex mu_;
  std::vector<ArenaBlock> blocks_ GUARDED_BY(mu_);
  std::size_t bytes_ GUARDED_BY(mu_) = 0;
  std::atomic<std::size_t> count_{0};  // blocks_.size(), readable without mu_
};

// Also a std::pmr::memory_resource, so that a transaction's containers (a node's inodes, the
// node map) allocate from it: deallocation is a no-op, everything goes at the arena's end.
class Arena final : public std::pmr::memory_resource {
 public:
  // `cache` (may be null) supplies blocks and takes them back when the arena is destroyed.
  // Shared: a closed transaction may be destroyed after its DB.
  explicit Arena(std::shared_ptr<ArenaBlockCache> cache = nullptr) : cache_(std::move(cache)) {}
  ~Arena() override {
    if (cache_ != nullptr && !blocks_.empty()) cache_->Give(&blocks_, bytes_);
  }
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Uninitialized bytes, 8-byte aligned.
  std::uint8_t* Allocate(std::size_t n) {
    n = (n + 7) & ~std::size_t{7};
    if (n > left_) {
      if (n > kBlockSize / 4)
        return NewBlock(n).data.get();  // its own block; the current one stays
      ArenaBlock& b = NewBlock(kBlockSize);
      ptr_ = b.data.get();
      left_ = b.size;
    }
    std::uint8_t* p = ptr_;
    ptr_ += n;
    left_ -= n;
    return p;
  }
  std::string_view Copy(std::string_view s) {
    if (s.empty()) return std::string_view();
    std::uint8_t* p = Allocate(s.size());
    std::memcpy(p, s.data(), s.size());
    return {reinterpret_cast<const char*>(p), s.size()};
  }
  // Bytes of the blocks this arena holds.
  std::size_t bytes() const { return bytes_; }

  static constexpr std::size_t kBlockSize = std::size_t{64} * 1024;

 private:
  void* do_allocate(std::size_t bytes, std::size_t alignment) override {
    if (alignment <= 8) return Allocate(bytes);
    auto* p = Allocate(bytes + alignment);  // rare: over-aligned types
    auto addr = reinterpret_cast<std::uintptr_t>(p);
    return p + ((alignment - addr % alignment) % alignment);
  }
  void do_deallocate(void*, std::size_t, std::size_t) override {}
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }

  ArenaBlock& NewBlock(std::size_t n) {
    ArenaBlock b;
    if (cache_ != nullptr) b = cache_->Take(n);
    if (b.data == nullptr) {
      // Round big blocks up to whole 64 KiB so that a cached one fits later runs of similar size.
      b.size = n <= kBlockSize ? kBlockSize : (n + kBlockSize - 1) / kBlockSize * kBlockSize;
      b.data = std::make_unique_for_overwrite<std::uint8_t[]>(b.size);
    }
    bytes_ += b.size;
    blocks_.push_back(std::move(b));
    return blocks_.back();
  }

  std::shared_ptr<ArenaBlockCache> cache_;
  std::vector<ArenaBlock> blocks_;
  std::uint8_t* ptr_ = nullptr;
  std::size_t left_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace larder

#endif  // LARDER_BASE_ARENA_H_
