// Blocks: round trips, seeks in both directions, damage.
#include "lsm/block.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

#include "lsm/block_builder.h"
#include "lsm/dbformat.h"

namespace larder::lsm {
namespace {

using Model = std::map<std::string, std::string, InternalKeyLess>;

Model RandomEntries(std::mt19937_64& rng, int n) {
  Model m;
  std::uniform_int_distribution<int> len(0, 12), byte('a', 'e'), vlen(0, 40);
  while (static_cast<int>(m.size()) < n) {
    std::string user;
    const int l = len(rng);
    for (int i = 0; i < l; ++i) user.push_back(static_cast<char>(byte(rng)));
    std::string ikey;
    AppendInternalKey(&ikey, user, rng() % 1000, ValueType::kValue);
    m[ikey] = std::string(static_cast<std::size_t>(vlen(rng)), static_cast<char>('A' + rng() % 26));
  }
  return m;
}

std::shared_ptr<const Block> BuildBlock(const Model& m, int restart_interval) {
  BlockBuilder b(restart_interval);
  for (const auto& [k, v] : m) b.Add(k, v);
  auto block = Block::Create(std::string(b.Finish()), {"test", 0});
  EXPECT_TRUE(block.ok()) << block.status().ToString();
  return *block;
}

TEST(LsmBlockTest, EmptyBlock) {
  BlockBuilder b(16);
  EXPECT_TRUE(b.empty());
  auto block = Block::Create(std::string(b.Finish()), {"test", 0});
  ASSERT_TRUE(block.ok());
  BlockIter it(*block, {"test", 0});
  it.SeekToFirst();
  EXPECT_FALSE(it.Valid());
  it.SeekToLast();
  EXPECT_FALSE(it.Valid());
  std::string target;
  AppendInternalKey(&target, "x", 1, ValueType::kValue);
  it.Seek(target);
  EXPECT_FALSE(it.Valid());
  EXPECT_TRUE(it.status().ok());
}

TEST(LsmBlockTest, RoundTripAndSeeksAgainstModel) {
  std::mt19937_64 rng(7);
  for (const int interval : {1, 2, 16, 1000}) {
    for (const int n : {1, 2, 17, 300}) {
      const Model m = RandomEntries(rng, n);
      auto block = BuildBlock(m, interval);
      BlockIter it(block, {"test", 0});
      // Forward and backward.
      auto mit = m.begin();
      for (it.SeekToFirst(); it.Valid(); it.Next(), ++mit) {
        ASSERT_NE(mit, m.end());
        ASSERT_EQ(it.key(), mit->first);
        ASSERT_EQ(it.value(), mit->second);
      }
      ASSERT_EQ(mit, m.end());
      auto rit = m.rbegin();
      for (it.SeekToLast(); it.Valid(); it.Prev(), ++rit) {
        ASSERT_NE(rit, m.rend());
        ASSERT_EQ(it.key(), rit->first);
      }
      ASSERT_EQ(rit, m.rend());
      // Seeks to random targets, present or not, then a step each way.
      const Model probes = RandomEntries(rng, 200);
      for (const auto& [target, unused] : probes) {
        auto lb = m.lower_bound(target);
        it.Seek(target);
        if (lb == m.end()) {
          ASSERT_FALSE(it.Valid());
        } else {
          ASSERT_TRUE(it.Valid());
          ASSERT_EQ(it.key(), lb->first);
          it.Prev();
          if (lb == m.begin()) {
            ASSERT_FALSE(it.Valid());
          } else {
            ASSERT_TRUE(it.Valid());
            ASSERT_EQ(it.key(), std::prev(lb)->first);
          }
        }
        auto ub = m.upper_bound(target);
        it.SeekForPrev(target);
        if (ub == m.begin()) {
          ASSERT_FALSE(it.Valid());
        } else {
          ASSERT_TRUE(it.Valid());
          ASSERT_EQ(it.key(), std::prev(ub)->first);
        }
      }
      // Exact seeks.
      for (const auto& [k, v] : m) {
        it.Seek(k);
        ASSERT_TRUE(it.Valid());
        ASSERT_EQ(it.key(), k);
        ASSERT_EQ(it.value(), v);
      }
      ASSERT_TRUE(it.status().ok());
    }
  }
}

TEST(LsmBlockTest, RestartPointsStoreFullKeys) {
  Model m;
  for (int i = 0; i < 40; ++i) {
    std::string k;
    AppendInternalKey(&k, "commonprefix" + std::to_string(100 + i), 1, ValueType::kValue);
    m.emplace(k, "v");
  }
  BlockBuilder b(8);
  for (const auto& [k, v] : m) b.Add(k, v);
  const std::string contents(b.Finish());
  auto block = Block::Create(contents, {"test", 0});
  ASSERT_TRUE(block.ok());
  EXPECT_EQ((*block)->num_restarts(), 5u);
  // Prefix compression: much smaller than the keys themselves.
  std::size_t raw = 0;
  for (const auto& [k, v] : m) raw += k.size() + v.size();
  EXPECT_LT(contents.size(), raw * 2 / 3);
}

// A view reads the same entries as a copy, charges its object only, and keeps its owner (a
// mapping) alive while it lives.
TEST(LsmBlockTest, ViewReadsLikeACopyAndKeepsItsOwnerAlive) {
  Model m;
  for (int i = 0; i < 100; ++i) {
    std::string k;
    AppendInternalKey(&k, "key" + std::to_string(1000 + i), 1, ValueType::kValue);
    m.emplace(k, std::string(50, 'v'));
  }
  BlockBuilder b(16);
  for (const auto& [k, v] : m) b.Add(k, v);
  auto bytes = std::make_shared<const std::string>(b.Finish());
  std::weak_ptr<const std::string> watch = bytes;
  auto copy = Block::Create(*bytes, {"test", 0});
  auto view = Block::CreateView(*bytes, bytes, {"test", 0});
  ASSERT_TRUE(copy.ok() && view.ok());
  EXPECT_EQ((*view)->data().data(), bytes->data());  // not copied
  EXPECT_EQ((*view)->num_restarts(), (*copy)->num_restarts());
  EXPECT_EQ((*view)->size(), (*copy)->size());
  EXPECT_EQ((*copy)->memory_usage(), sizeof(Block) + bytes->size());
  EXPECT_EQ((*view)->memory_usage(), sizeof(Block));
  bytes.reset();
  ASSERT_FALSE(watch.expired());  // the view holds its owner
  {
    BlockIter it(*view, {"test", 0});  // holds the block too, until the end of this scope
    auto mit = m.begin();
    for (it.SeekToFirst(); it.Valid(); it.Next(), ++mit) {
      ASSERT_NE(mit, m.end());
      EXPECT_EQ(it.key(), mit->first);
      EXPECT_EQ(it.value(), mit->second);
    }
    EXPECT_EQ(mit, m.end());
  }
  view->reset();
  EXPECT_TRUE(watch.expired());
  EXPECT_TRUE(Block::CreateView("abcd", nullptr, {"f", 3}).status().IsCorruption());
}

TEST(LsmBlockTest, BadRestartArraysAreCorruption) {
  EXPECT_TRUE(Block::Create("", {"f", 9}).status().IsCorruption());
  EXPECT_TRUE(Block::Create(std::string("\xff\xff\xff\x0f", 4), {"f", 9}).status().IsCorruption());
  std::string entries_without_restarts("abcd\0\0\0\0", 8);
  auto s = Block::Create(entries_without_restarts, {"f", 9}).status();
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.message().find("f: block at offset 9"), std::string_view::npos) << s.ToString();
}

// Every single-byte change of a block: iterating and seeking never crash (the sanitizers
// watch) and either fail with Corruption or return entries.
TEST(LsmBlockTest, FlippedBytesNeverCrash) {
  std::mt19937_64 rng(11);
  const Model m = RandomEntries(rng, 40);
  BlockBuilder b(4);
  for (const auto& [k, v] : m) b.Add(k, v);
  const std::string good(b.Finish());
  const Model probes = RandomEntries(rng, 5);
  int corrupt = 0;
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (const std::uint8_t mask : {0x01, 0x80, 0xff}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      auto block = Block::Create(bad, {"f", 0});
      if (!block.ok()) {
        ++corrupt;
        continue;
      }
      BlockIter it(*block, {"f", 0});
      int steps = 0;
      for (it.SeekToFirst(); it.Valid() && steps < 1000; it.Next()) ++steps;
      for (it.SeekToLast(); it.Valid() && steps < 2000; it.Prev()) ++steps;
      for (const auto& [target, unused] : probes) {
        it.Seek(target);
        it.SeekForPrev(target);
      }
      if (!it.status().ok()) {
        EXPECT_TRUE(it.status().IsCorruption());
        ++corrupt;
      }
    }
  }
  EXPECT_GT(corrupt, 0);
}

}  // namespace
}  // namespace larder::lsm
