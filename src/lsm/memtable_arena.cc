#include "lsm/memtable_arena.h"

#include <sys/mman.h>

namespace larder::lsm {

MemTableArena::~MemTableArena() {
  if (cache_ != nullptr && !blocks_.empty()) cache_->Give(&blocks_);
}

std::uint8_t* MemTableArena::Allocate(std::size_t n) {
  n = (n + 7) & ~std::size_t{7};
  used_ += n;
  if (n > left_) {
    if (n > kBlockSize / 4) {
      // A block of its own, whole huge pages; the current one stays.
      return NewBlock((n + kHugePage - 1) / kHugePage * kHugePage);
    }
    ptr_ = NewBlock(kBlockSize);
    left_ = kBlockSize;
  }
  std::uint8_t* p = ptr_;
  ptr_ += n;
  left_ -= n;
  return p;
}

std::uint8_t* MemTableArena::NewBlock(std::size_t usable) {
  const std::size_t want = usable + kHugePage;  // room to start at a kHugePage boundary
  ArenaBlock b;
  if (cache_ != nullptr) b = cache_->Take(want);
  if (b.data == nullptr) {
    b.data = std::make_unique_for_overwrite<std::uint8_t[]>(want);
    b.size = want;
  }
  const auto addr = reinterpret_cast<std::uintptr_t>(b.data.get());
  auto* start = reinterpret_cast<std::uint8_t*>((addr + kHugePage - 1) & ~(kHugePage - 1));
  // Advice only: where the kernel declines, the block still works with small pages.
  madvise(start, usable, MADV_HUGEPAGE);
  reserved_ += b.size;
  blocks_.push_back(std::move(b));
  return start;
}

}  // namespace larder::lsm
