// Arena and ArenaBlockCache: alignment, big allocations, block reuse across arenas and the
// cache's byte limit.
#include "base/arena.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <memory_resource>
#include <set>
#include <vector>

namespace larder {
namespace {

TEST(ArenaTest, AllocationsAreAlignedDisjointAndKeepTheirBytes) {
  Arena arena;
  std::vector<std::pair<std::uint8_t*, std::size_t>> got;
  for (std::size_t i = 1; i < 3000; i += 7) {
    std::uint8_t* p = arena.Allocate(i);
    ASSERT_EQ(reinterpret_cast<std::uintptr_t>(p) % 8, 0u);
    std::memset(p, static_cast<int>(i & 0xff), i);
    got.emplace_back(p, i);
  }
  std::uint8_t* big = arena.Allocate(200 * 1024);  // larger than a block: its own block
  std::memset(big, 0xab, 200 * 1024);
  for (auto [p, n] : got) {
    for (std::size_t j = 0; j < n; ++j) ASSERT_EQ(p[j], static_cast<std::uint8_t>(n & 0xff));
  }
  EXPECT_EQ(arena.Copy("").size(), 0u);
  EXPECT_EQ(arena.Copy("abc"), "abc");
}

TEST(ArenaTest, IsAMemoryResourceForPmrContainers) {
  Arena arena;
  std::pmr::vector<std::uint64_t> v(&arena);
  for (std::uint64_t i = 0; i < 100000; ++i) v.push_back(i);
  for (std::uint64_t i = 0; i < 100000; ++i) ASSERT_EQ(v[i], i);
  struct alignas(64) Wide {
    char c;
  };
  std::pmr::vector<Wide> w(&arena);
  w.resize(3);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(w.data()) % 64, 0u);
  EXPECT_GE(arena.bytes(), 100000 * sizeof(std::uint64_t));
}

// An arena over `cache` that allocates `blocks` whole blocks and ends, handing them to the cache.
void EndArenaOfBlocks(const std::shared_ptr<ArenaBlockCache>& cache, int blocks) {
  Arena a(cache);
  for (int i = 0; i < blocks; ++i) a.Allocate(Arena::kBlockSize);
}

TEST(ArenaBlockCacheTest, BlocksOfAnEndedArenaServeTheNextOne) {
  auto cache_ptr = std::make_shared<ArenaBlockCache>(1 << 20);
  ArenaBlockCache& cache = *cache_ptr;
  std::set<std::uint8_t*> first_blocks;
  {
    Arena a(cache_ptr);
    for (int i = 0; i < 4; ++i) first_blocks.insert(a.Allocate(Arena::kBlockSize / 2));
    EXPECT_EQ(cache.bytes(), 0u);
  }
  EXPECT_EQ(cache.bytes(), 4 * Arena::kBlockSize);
  {
    Arena b(cache_ptr);
    std::uint8_t* p = b.Allocate(Arena::kBlockSize / 2);
    // The block came from the cache: the pointer is the start of one of the first arena's.
    EXPECT_EQ(first_blocks.count(p), 1u);
    EXPECT_EQ(cache.bytes(), 3 * Arena::kBlockSize);
  }
  EXPECT_EQ(cache.bytes(), 4 * Arena::kBlockSize);
}

TEST(ArenaBlockCacheTest, KeepsAtMostItsLimit) {
  auto cache_ptr = std::make_shared<ArenaBlockCache>(3 * Arena::kBlockSize);
  ArenaBlockCache& cache = *cache_ptr;
  EndArenaOfBlocks(cache_ptr, 10);
  EXPECT_EQ(cache.bytes(), 3 * Arena::kBlockSize);
  // A request bigger than every cached block finds none; the small ones stay cached.
  ArenaBlock none = cache.Take(2 * Arena::kBlockSize);
  EXPECT_EQ(none.data, nullptr);
  EXPECT_EQ(cache.bytes(), 3 * Arena::kBlockSize);
}

TEST(ArenaBlockCacheTest, ClearFreesEveryIdleBlock) {
  auto cache_ptr = std::make_shared<ArenaBlockCache>(16 * Arena::kBlockSize);
  ArenaBlockCache& cache = *cache_ptr;
  EndArenaOfBlocks(cache_ptr, 5);
  EXPECT_EQ(cache.bytes(), 5 * Arena::kBlockSize);
  EXPECT_EQ(cache.blocks(), 5u);
  cache.Clear();
  EXPECT_EQ(cache.bytes(), 0u);
  EXPECT_EQ(cache.blocks(), 0u);
  EXPECT_EQ(cache.Take(1).data, nullptr);
  // An arena still open keeps its blocks; they come back to the cleared cache when it ends.
  {
    Arena b(cache_ptr);
    b.Allocate(Arena::kBlockSize);
    cache.Clear();
  }
  EXPECT_EQ(cache.bytes(), Arena::kBlockSize);
}

TEST(ArenaBlockCacheTest, AFloorKeepsTwiceWhatTheLastArenaUsed) {
  auto cache_ptr = std::make_shared<ArenaBlockCache>(16 * Arena::kBlockSize,
                                                     /*floor_bytes=*/2 * Arena::kBlockSize);
  ArenaBlockCache& cache = *cache_ptr;
  EndArenaOfBlocks(cache_ptr, 6);
  EXPECT_EQ(cache.bytes(), 6 * Arena::kBlockSize);  // within twice its 6 blocks
  {
    Arena light(cache_ptr);
    light.Allocate(Arena::kBlockSize);  // one block, from the cache
    EXPECT_EQ(cache.bytes(), 5 * Arena::kBlockSize);
  }
  // Twice one block is below the floor: the floor's two blocks stay, the burst's others go.
  EXPECT_EQ(cache.bytes(), 2 * Arena::kBlockSize);
  EndArenaOfBlocks(cache_ptr, 3);
  EXPECT_EQ(cache.bytes(), 3 * Arena::kBlockSize);  // twice three blocks would be six: all kept
}

TEST(ArenaBlockCacheTest, BigBlocksAreRoundedAndReused) {
  auto cache_ptr = std::make_shared<ArenaBlockCache>(16 * Arena::kBlockSize);
  ArenaBlockCache& cache = *cache_ptr;
  std::uint8_t* first = nullptr;
  {
    Arena a(cache_ptr);
    first = a.Allocate(2 * Arena::kBlockSize + 1);  // rounded up to 3 blocks' size
  }
  EXPECT_EQ(cache.bytes(), 3 * Arena::kBlockSize);
  {
    Arena b(cache_ptr);
    EXPECT_EQ(b.Allocate(2 * Arena::kBlockSize + 100), first);
  }
  ArenaBlock big = cache.Take(3 * Arena::kBlockSize);
  ASSERT_NE(big.data, nullptr);
  EXPECT_EQ(big.size, 3 * Arena::kBlockSize);
}

}  // namespace
}  // namespace larder
