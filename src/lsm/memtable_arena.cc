#include "lsm/memtable_arena.h"

#include <sys/mman.h>

#include <cstdio>
#include <cstdlib>

namespace larder::lsm {

MemTableArena::~MemTableArena() {
  for (const Mapping& m : mappings_) munmap(m.addr, m.size);
}

std::uint8_t* MemTableArena::Allocate(std::size_t n) {
  n = (n + 7) & ~std::size_t{7};
  used_ += n;
  if (n > left_) {
    if (n > kBlockSize / 4) {
      // Its own mapping, whole huge pages; the current block stays.
      return Map((n + kBlockSize - 1) / kBlockSize * kBlockSize);
    }
    ptr_ = Map(kBlockSize);
    left_ = kBlockSize;
  }
  std::uint8_t* p = ptr_;
  ptr_ += n;
  left_ -= n;
  return p;
}

// `size` (a multiple of kBlockSize) bytes at a kBlockSize-aligned address: map size + one block
// and unmap the unaligned head and the tail.
std::uint8_t* MemTableArena::Map(std::size_t size) {
  const std::size_t span = size + kBlockSize;
  void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) {
    std::fprintf(stderr, "larder: memtable arena: cannot map %zu bytes\n", span);
    std::abort();
  }
  const auto start = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = (start + kBlockSize - 1) & ~(std::uintptr_t{kBlockSize} - 1);
  const std::size_t head = aligned - start;
  if (head > 0) munmap(raw, head);
  const std::size_t tail = span - head - size;
  if (tail > 0) munmap(reinterpret_cast<void*>(aligned + size), tail);
  auto* p = reinterpret_cast<std::uint8_t*>(aligned);
  madvise(p, size, MADV_HUGEPAGE);  // advice only: without it the block still works
  mappings_.push_back({p, size});
  reserved_ += size;
  return p;
}

}  // namespace larder::lsm
