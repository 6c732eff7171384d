// sort_sources over a real keyspace: lists read and written through ListKey, sets and sorted sets
// through their stores, ranges from either end.
#include "server/sort_sources.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "server/batch_keyspace_test_util.h"
#include "server/set_store.h"
#include "server/zset_store.h"

namespace larder::server::sort_sources {
namespace {

class SortSourcesTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(ks_.ok()); }
  Database& db() { return ks_.db(); }
  KeyInfo Info(const std::string& key) {
    auto info = db().Lookup(key);
    EXPECT_TRUE(info.ok() && info->has_value());
    return info.ok() && info->has_value() ? **info : KeyInfo{};
  }

  testing::BatchKeyspace ks_;
};

using V = std::vector<std::string>;

TEST_F(SortSourcesTest, ListsStoredAndReadInOrderFromEitherEnd) {
  auto existed = StoreList(db(), "l", {"c", "a", "b", "d"});
  ASSERT_TRUE(existed.ok());
  EXPECT_FALSE(*existed);
  const KeyInfo info = Info("l");
  EXPECT_EQ(info.type, ValueType::kList);
  EXPECT_EQ(All(db(), "l", info).value_or(V{}), (V{"c", "a", "b", "d"}));
  EXPECT_EQ(Range(db(), "l", info, 1, 2, false).value_or(V{}), (V{"a", "b"}));
  EXPECT_EQ(Range(db(), "l", info, 0, 1, true).value_or(V{}), (V{"d", "b"}));
  existed = StoreList(db(), "l", {});
  ASSERT_TRUE(existed.ok());
  EXPECT_TRUE(*existed);
  auto gone = db().Lookup("l");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
}

TEST_F(SortSourcesTest, SetsAndSortedSets) {
  std::optional<KeyInfo> set;
  const std::vector<std::string_view> members = {"b", "a"};
  ASSERT_TRUE(sets::Add(db(), "s", &set, members).ok());
  EXPECT_EQ(All(db(), "s", Info("s")).value_or(V{}), (V{"a", "b"}));
  EXPECT_FALSE(Range(db(), "s", Info("s"), 0, 1, false).ok());  // a set has no order
  ZSetStore z(db(), "z");
  ASSERT_TRUE(z.Load().ok());
  ASSERT_TRUE(z.Add("x", 3).ok());
  ASSERT_TRUE(z.Add("y", 1).ok());
  ASSERT_TRUE(z.Add("w", 2).ok());
  ASSERT_TRUE(z.Commit().ok());
  const KeyInfo zinfo = Info("z");
  EXPECT_EQ(All(db(), "z", zinfo).value_or(V{}), (V{"y", "w", "x"}));
  EXPECT_EQ(Range(db(), "z", zinfo, 0, 1, true).value_or(V{}), (V{"x", "w"}));
}

}  // namespace
}  // namespace larder::server::sort_sources
