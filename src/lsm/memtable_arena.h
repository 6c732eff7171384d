// MemTableArena: the memtable's bump allocator. Memory comes from the kernel in 2 MiB blocks
// aligned to 2 MiB and advised as transparent huge pages (madvise(MADV_HUGEPAGE); where the
// kernel declines, they are ordinary pages). A memtable's skiplist is walked by pointer chasing
// across ~100 MiB: with 4 KiB pages nearly every step also misses the TLB, and on this project's
// VMs huge pages made random Add and Get 20-30% faster (bench/memtable_bench.cc).
//
// Blocks never move and are all unmapped together when the arena is destroyed, so a pointer it
// returned stays valid for the arena's lifetime.
//
// Thread-safety: Allocate requires external synchronization (the memtable's one writer).
// Reading memory already handed out needs none from the arena: the skiplist publishes it
// (skiplist.h). used() and reserved() are for the writer (the MemTable mirrors them in atomics).
#ifndef LARDER_LSM_MEMTABLE_ARENA_H_
#define LARDER_LSM_MEMTABLE_ARENA_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace larder::lsm {

class MemTableArena {
 public:
  static constexpr std::size_t kBlockSize = std::size_t{2} << 20;

  MemTableArena() = default;
  ~MemTableArena();
  MemTableArena(const MemTableArena&) = delete;
  MemTableArena& operator=(const MemTableArena&) = delete;

  // `n` uninitialized bytes, 8-byte aligned. Allocations above a quarter block get a mapping
  // of their own (the current block goes on being used). Aborts when the kernel has no memory,
  // as operator new would.
  std::uint8_t* Allocate(std::size_t n);

  // Bytes handed out (rounded up to 8 each): what the memtable's size limit compares against.
  std::size_t used() const { return used_; }
  // Bytes mapped (whole blocks).
  std::size_t reserved() const { return reserved_; }

 private:
  struct Mapping {
    void* addr;
    std::size_t size;
  };
  std::uint8_t* Map(std::size_t size);

  std::vector<Mapping> mappings_;
  std::uint8_t* ptr_ = nullptr;
  std::size_t left_ = 0;
  std::size_t used_ = 0;
  std::size_t reserved_ = 0;
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_MEMTABLE_ARENA_H_
