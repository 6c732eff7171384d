// The block cache: hits, misses, LRU eviction within the budget, pinning, threads.
#include "lsm/block_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "lsm/block_builder.h"

namespace larder::lsm {
namespace {

std::shared_ptr<const Block> MakeBlock(std::size_t value_bytes, char fill) {
  BlockBuilder b(16);
  b.Add("key00000", std::string(value_bytes, fill));
  auto block = Block::Create(std::string(b.Finish()), {"test", 0});
  EXPECT_TRUE(block.ok());
  return *block;
}

TEST(LsmBlockCacheTest, HitsMissesAndReplacement) {
  BlockCache cache(1 << 20);
  const std::uint64_t id = cache.NewId();
  EXPECT_NE(cache.NewId(), id);
  EXPECT_EQ(cache.Lookup(id, 0), nullptr);
  EXPECT_EQ(cache.misses(), 1u);
  auto a = MakeBlock(100, 'a');
  cache.Insert(id, 0, a);
  EXPECT_EQ(cache.Lookup(id, 0), a);
  EXPECT_EQ(cache.Lookup(id + 1, 0), nullptr);  // another table's block 0
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 2u);
  auto b = MakeBlock(200, 'b');
  cache.Insert(id, 0, b);
  EXPECT_EQ(cache.Lookup(id, 0), b);
  EXPECT_EQ(cache.entries(), 1u);
  EXPECT_EQ(cache.usage(), b->memory_usage() + BlockCache::kEntryOverhead);
  cache.Clear();
  EXPECT_EQ(cache.usage(), 0u);
  EXPECT_EQ(cache.Lookup(id, 0), nullptr);
}

TEST(LsmBlockCacheTest, EvictsLeastRecentlyUsedWithinBudget) {
  // 16 shards of 4 KiB; blocks of ~1 KiB: each shard holds 3.
  BlockCache cache(16 * 4096);
  const std::uint64_t id = cache.NewId();
  std::vector<std::shared_ptr<const Block>> pinned;
  for (std::uint64_t off = 0; off < 1000; ++off) {
    auto blk = MakeBlock(1000, 'x');
    if (off == 0) pinned.push_back(blk);
    cache.Insert(id, off, blk);
    ASSERT_LE(cache.usage(), cache.capacity());
  }
  EXPECT_LT(cache.entries(), 1000u);
  EXPECT_GT(cache.entries(), 16u);
  EXPECT_EQ(cache.Lookup(id, 0), nullptr);                 // evicted long ago
  EXPECT_EQ(pinned[0]->data().size(), pinned[0]->size());  // still alive for its holder
  EXPECT_NE(cache.Lookup(id, 999), nullptr);               // the newest stays
  // A block larger than a shard is not cached.
  cache.Insert(id, 5000, MakeBlock(8000, 'y'));
  EXPECT_EQ(cache.Lookup(id, 5000), nullptr);
}

TEST(LsmBlockCacheTest, RecentlyUsedSurvives) {
  BlockCache cache(16 * 4096);
  const std::uint64_t id = cache.NewId();
  // Offsets that land in one shard are unknown; keep offset 0 hot while inserting many.
  cache.Insert(id, 0, MakeBlock(1000, 'h'));
  for (std::uint64_t off = 1; off < 500; ++off) {
    ASSERT_NE(cache.Lookup(id, 0), nullptr) << off;
    cache.Insert(id, off, MakeBlock(1000, 'x'));
  }
}

TEST(LsmBlockCacheTest, ConcurrentUseKeepsTheBudget) {
  BlockCache cache(64 * 1024);
  const std::uint64_t id = cache.NewId();
  std::atomic<bool> bad{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3000; ++i) {
        const std::uint64_t off = static_cast<std::uint64_t>((i * 7 + t) % 200);
        auto blk = cache.Lookup(id, off);
        if (blk == nullptr) {
          cache.Insert(id, off, MakeBlock(300 + off, static_cast<char>('a' + off % 26)));
        } else if (blk->size() < 300 + off) {
          bad = true;  // a block under another key
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_FALSE(bad.load());
  EXPECT_LE(cache.usage(), cache.capacity());
  EXPECT_EQ(cache.hits() + cache.misses(), 12000u);
}

}  // namespace
}  // namespace larder::lsm
