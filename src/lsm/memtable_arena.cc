#include "lsm/memtable_arena.h"

#include <sys/mman.h>

#include <algorithm>

namespace larder::lsm {

MemTableArena::~MemTableArena() {
  if (cache_ != nullptr && !blocks_.empty()) cache_->Give(&blocks_);
}

std::uint8_t* MemTableArena::Allocate(std::size_t n) {
  n = (n + 7) & ~std::size_t{7};
  used_ += n;
  if (n > left_) {
    if (n > next_block_size_ / 4) {
      // A block of its own; the current one stays. Blocks still grow, so that a memtable of
      // large values too reaches huge-page blocks.
      next_block_size_ = std::min(next_block_size_ * 2, kBlockSize);
      return NewBlock(n);
    }
    // Memory the cache holds is already faulted in: no reason to start small.
    if (cache_ != nullptr && cache_->bytes() > 0) next_block_size_ = kBlockSize;
    ptr_ = NewBlock(next_block_size_);
    left_ = next_block_size_;
    next_block_size_ = std::min(next_block_size_ * 2, kBlockSize);
  }
  std::uint8_t* p = ptr_;
  ptr_ += n;
  left_ -= n;
  return p;
}

namespace {

// The kHugePage-aligned start inside a block of kBlockSize + kHugePage bytes.
std::uint8_t* AlignedStart(const ArenaBlock& b) {
  const auto addr = reinterpret_cast<std::uintptr_t>(b.data.get());
  return reinterpret_cast<std::uint8_t*>((addr + MemTableArena::kHugePage - 1) &
                                         ~(MemTableArena::kHugePage - 1));
}

}  // namespace

ArenaBlock MemTableArena::NewWarmBlock() {
  ArenaBlock b;
  b.size = kBlockSize + kHugePage;
  b.data = std::make_unique_for_overwrite<std::uint8_t[]>(b.size);
  std::uint8_t* start = AlignedStart(b);
  madvise(start, kBlockSize, MADV_HUGEPAGE);
  if (madvise(start, kBlockSize, MADV_POPULATE_WRITE) != 0) {
    // Kernels before 5.14: touch every page (a huge page faults in whole at its first byte).
    for (std::size_t i = 0; i < kBlockSize; i += 4096) {
      reinterpret_cast<volatile std::uint8_t*>(start)[i] = 0;
    }
  }
  return b;
}

std::uint8_t* MemTableArena::NewBlock(std::size_t usable) {
  if (usable < kHugePage) {
    small_blocks_.push_back(std::make_unique_for_overwrite<std::uint8_t[]>(usable));
    reserved_ += usable;
    return small_blocks_.back().get();
  }
  usable = (usable + kHugePage - 1) / kHugePage * kHugePage;
  const std::size_t want = usable + kHugePage;  // room to start at a kHugePage boundary
  ArenaBlock b;
  if (cache_ != nullptr) b = cache_->Take(want);
  if (b.data == nullptr) {
    b.data = std::make_unique_for_overwrite<std::uint8_t[]>(want);
    b.size = want;
  }
  std::uint8_t* start = AlignedStart(b);
  // Advice only: where the kernel declines, the block still works with small pages.
  madvise(start, usable, MADV_HUGEPAGE);
  reserved_ += b.size;
  blocks_.push_back(std::move(b));
  return start;
}

}  // namespace larder::lsm
