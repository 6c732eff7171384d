// MemTableArena: the memtable's bump allocator. Memory comes in blocks of 2 MiB starting at a
// 2 MiB boundary, advised as transparent huge pages (madvise(MADV_HUGEPAGE); where the kernel
// declines, they are ordinary pages). A memtable's skiplist is walked by pointer chasing across
// up to ~100 MiB: with 4 KiB pages nearly every step also misses the TLB, and on this project's
// VMs huge pages made random Add and Get 20-30% faster (bench/memtable_bench.cc).
//
// Each block is an ArenaBlock (base/arena.h) of 4 MiB, so that an aligned 2 MiB lies inside it
// wherever malloc put it; the unused head and tail are never touched, so they cost address
// space only. With an ArenaBlockCache, blocks come from it and go back to it when the arena is
// destroyed (the next memtable then finds its memory already faulted in).
//
// A new arena starts small: its regular blocks go 4 KiB, 8 KiB, ... up to 2 MiB, plain
// memory below 2 MiB. A memtable that stays small (a transaction's writes, a small
// write_buffer_size) then never faults in and zeroes a whole huge page; one that grows reaches
// huge pages after about 2 MiB. An arena whose cache holds blocks starts at 2 MiB at once.
//
// Faulting a block's memory in (the kernel zeroing it) costs the writer that first touches it;
// on VMs whose fresh memory the host backs lazily it was up to a third of a write load's time.
// NewWarmBlock makes a block with its huge page already faulted in, for a background thread to
// put in the cache ahead of the writer (DBImpl::WarmArenaCache).
//
// Blocks never move and are freed together when the arena is destroyed, so a pointer it
// returned stays valid for the arena's lifetime.
//
// Thread-safety: Allocate requires external synchronization (the memtable's one writer).
// Reading memory already handed out needs none from the arena: the skiplist publishes it
// (skiplist.h). used() and reserved() are for the writer (the MemTable mirrors them in atomics).
#ifndef LARDER_LSM_MEMTABLE_ARENA_H_
#define LARDER_LSM_MEMTABLE_ARENA_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/arena.h"

namespace larder::lsm {

class MemTableArena {
 public:
  static constexpr std::size_t kHugePage = std::size_t{2} << 20;
  static constexpr std::size_t kBlockSize = kHugePage;  // usable bytes of a grown regular block
  static constexpr std::size_t kFirstBlockSize = 4096;  // usable bytes of the first one

  // `cache` (may be null) supplies blocks and takes them back at destruction.
  explicit MemTableArena(std::shared_ptr<ArenaBlockCache> cache = nullptr)
      : cache_(std::move(cache)) {}
  ~MemTableArena();
  MemTableArena(const MemTableArena&) = delete;
  MemTableArena& operator=(const MemTableArena&) = delete;

  // `n` uninitialized bytes, 8-byte aligned. Allocations above a quarter block get a block of
  // their own (the current block goes on being used).
  std::uint8_t* Allocate(std::size_t n);

  // The bytes of the blocks (as ArenaBlockCache counts them: each twice its usable size, see
  // above) an arena holds once it has handed out `used` bytes, plus one block of overshoot. An
  // ArenaBlockCache of this size keeps a whole memtable's memory for the next one, so that a
  // long write load faults in (and the kernel zeroes) its memtable memory once, not per memtable.
  static constexpr std::size_t BlockBytesFor(std::size_t used) {
    return (used / kBlockSize + 1) * (kBlockSize + kHugePage);
  }

  // A regular huge-page block (what Allocate takes from the cache) whose aligned huge page is
  // faulted in and zeroed now (madvise(MADV_POPULATE_WRITE), else a write per 4 KiB page).
  // Thread-safe.
  static ArenaBlock NewWarmBlock();

  // Bytes handed out (rounded up to 8 each): the skiplist's nodes with their keys and values,
  // more than the log bytes that Options::write_buffer_size limits (DBImpl::mem_bytes_).
  std::size_t used() const { return used_; }
  // Bytes of the blocks held (with their unaligned heads and tails).
  std::size_t reserved() const { return reserved_; }

 private:
  // A block of at least `usable` bytes: below kHugePage plain memory, else whole huge pages
  // from a kHugePage boundary on (returned).
  std::uint8_t* NewBlock(std::size_t usable);

  std::shared_ptr<ArenaBlockCache> cache_;
  std::vector<ArenaBlock> blocks_;  // huge-page blocks (what the cache takes back)
  std::vector<std::unique_ptr<std::uint8_t[]>> small_blocks_;
  std::size_t next_block_size_ = kFirstBlockSize;
  std::uint8_t* ptr_ = nullptr;
  std::size_t left_ = 0;
  std::size_t used_ = 0;
  std::size_t reserved_ = 0;
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_MEMTABLE_ARENA_H_
