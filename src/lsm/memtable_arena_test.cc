#include "lsm/memtable_arena.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <random>

namespace larder::lsm {
namespace {

// Random sizes, small and past a quarter block: every allocation 8-byte aligned, writable, not
// overlapping any other, and its bytes intact after all the others were written.
TEST(LsmMemTableArenaTest, AllocationsAreAlignedDisjointAndStable) {
  MemTableArena arena;
  EXPECT_EQ(arena.used(), 0u);
  EXPECT_EQ(arena.reserved(), 0u);
  std::mt19937_64 rng(5);
  std::map<std::uintptr_t, std::size_t> spans;  // start -> size
  std::size_t used = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::size_t n =
        i % 500 == 7 ? MemTableArena::kBlockSize / 4 + rng() % 3000000 : 1 + rng() % 300;
    std::uint8_t* p = arena.Allocate(n);
    ASSERT_EQ(reinterpret_cast<std::uintptr_t>(p) % 8, 0u);
    std::memset(p, static_cast<int>(i & 0xff), n);
    spans[reinterpret_cast<std::uintptr_t>(p)] = n;
    used += (n + 7) & ~std::size_t{7};
  }
  EXPECT_EQ(arena.used(), used);
  EXPECT_GE(arena.reserved(), used);
  std::uintptr_t end = 0;
  for (const auto& [start, size] : spans) {
    ASSERT_GE(start, end) << "overlap";
    end = start + size;
  }
  // Stable contents: the first byte of each allocation still holds its fill.
  std::size_t checked = 0;
  for (const auto& [start, size] : spans) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(start);
    ASSERT_EQ(p[0], p[size - 1]);
    ++checked;
  }
  EXPECT_EQ(checked, 3000u);
}

// A small arena stays small: a few hundred bytes do not take (and zero) a 2 MiB huge page,
// which every memtable of a transaction or of a tiny write_buffer_size used to.
TEST(LsmMemTableArenaTest, ASmallArenaReservesLittle) {
  MemTableArena arena;
  for (int i = 0; i < 10; ++i) arena.Allocate(40);
  EXPECT_EQ(arena.reserved(), MemTableArena::kFirstBlockSize);
  // Blocks grow: 1 MiB of small allocations takes a few dozen blocks, not thousands.
  for (int i = 0; i < 1 << 14; ++i) arena.Allocate(64);
  EXPECT_LT(arena.reserved(), std::size_t{3} << 20);
  EXPECT_GE(arena.reserved(), arena.used());
}

// Large values grow the blocks too: after a few values of 100 KiB, each with a block of its own,
// the next ones share regular blocks (adjacent in memory).
TEST(LsmMemTableArenaTest, LargeAllocationsGrowTheBlocks) {
  constexpr std::size_t kValue = 100 << 10;
  MemTableArena arena;
  std::uint8_t* last = nullptr;
  bool adjacent = false;
  for (int i = 0; i < 12; ++i) {
    std::uint8_t* p = arena.Allocate(kValue);
    adjacent = adjacent || (last != nullptr && p == last + kValue);
    last = p;
  }
  EXPECT_TRUE(adjacent);
}

// A cache of BlockBytesFor(limit) takes back every huge-page block of a memtable filled to
// `limit`, so the next memtable faults in nothing new (a cache of `limit` bytes kept about half:
// each block's address space is twice its usable size).
TEST(LsmMemTableArenaTest, ACacheOfBlockBytesForKeepsAWholeMemTable) {
  constexpr std::size_t kLimit = std::size_t{16} << 20;
  auto cache = std::make_shared<ArenaBlockCache>(MemTableArena::BlockBytesFor(kLimit));
  std::size_t huge_reserved = 0;
  {
    MemTableArena arena(cache);
    while (arena.used() < kLimit) arena.Allocate(120);
    // The small blocks before the first huge one: 4 KiB doubling up to 1 MiB.
    huge_reserved = arena.reserved() - (MemTableArena::kBlockSize - MemTableArena::kFirstBlockSize);
  }
  EXPECT_EQ(cache->bytes(), huge_reserved);
  std::size_t second_reserved = 0;
  {
    MemTableArena arena(cache);
    while (arena.used() < kLimit) arena.Allocate(120);
    EXPECT_EQ(cache->bytes(), 0u);  // every cached block reused
    // It starts at 2 MiB blocks at once: one more for what the first one's small blocks held.
    second_reserved = arena.reserved();
    EXPECT_EQ(second_reserved,
              huge_reserved + MemTableArena::kBlockSize + MemTableArena::kHugePage);
  }
  EXPECT_EQ(second_reserved, MemTableArena::BlockBytesFor(kLimit));
  EXPECT_EQ(cache->bytes(), second_reserved);
}

TEST(LsmMemTableArenaTest, AWarmBlockIsTheBlockTheArenaTakesNext) {
  auto cache = std::make_shared<ArenaBlockCache>(std::size_t{64} << 20);
  std::vector<ArenaBlock> warm;
  warm.push_back(MemTableArena::NewWarmBlock());
  const std::uint8_t* warm_bytes = warm.back().data.get();
  ASSERT_EQ(warm.back().size, MemTableArena::kBlockSize + MemTableArena::kHugePage);
  cache->Give(&warm);
  EXPECT_EQ(cache->blocks(), 1u);
  MemTableArena arena(cache);
  // A cache holding blocks starts the arena at a huge-page block: the warm one.
  std::uint8_t* p = arena.Allocate(100);
  EXPECT_EQ(cache->blocks(), 0u);
  EXPECT_GE(p, warm_bytes);
  EXPECT_LT(p, warm_bytes + MemTableArena::kBlockSize + MemTableArena::kHugePage);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % MemTableArena::kHugePage, 0u);
  std::memset(p, 7, 100);
}

}  // namespace
}  // namespace larder::lsm
