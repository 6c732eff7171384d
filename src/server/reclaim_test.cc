// The bounded background steps over KeyspaceState and a bolt transaction: a dead database
// reclaimed whole, step by step, each step leaving consistent records; a stale expiry entry
// repaired when met.
#include "server/reclaim.h"

#include <gtest/gtest.h>

#include "server/database.h"
#include "server/keyspace_test_util.h"

namespace larder::server {
namespace {

class ReclaimTest : public keyspace_testing::StateTest {
 protected:
  std::uint64_t Records(char tag) { return CountRange(std::string(1, tag)); }

  DatabaseImpl db_{&state_, 0};
};

TEST_F(ReclaimTest, ADeadDatabaseGoesInBoundedSteps) {
  for (int i = 0; i < 50; ++i) {
    const std::string k = "k" + std::to_string(i);
    ASSERT_TRUE(
        db_.SetString(k, "v",
                      {.expire_at_ms = keyspace_testing::kStartMs + 5000 + i, .keep_ttl = false})
            .ok());
    ASSERT_TRUE(db_.SetMember("h" + std::to_string(i), ValueType::kHash, "f", "v").ok());
  }
  const std::uint32_t old = state_.pdb(0);
  EXPECT_EQ(state_.Count(old), 100u);
  // What Keyspace::FlushDb does.
  ASSERT_TRUE(state_.Put(enc::DeadDbKey(old), {}).ok());
  state_.db_map()[0] = state_.NewPdb();
  EXPECT_EQ(*db_.KeyCount(), 0u);
  int steps = 0;
  for (;; ++steps) {
    auto n = ReclaimStep(state_, 10);
    ASSERT_TRUE(n.ok());
    EXPECT_LE(*n, 11u);
    // Every step leaves the count equal to the meta records left, each with its expiry entry.
    EXPECT_EQ(state_.Count(old), Records('m'));
    // (the hashes, "h...", go first; every string key has an expiry)
    EXPECT_EQ(Records('x'), std::min<std::uint64_t>(50, Records('m')));
    if (*n == 0) break;
    ASSERT_LT(steps, 50);
  }
  EXPECT_GE(steps, 10);
  for (char tag : {'m', 'c', 'x', 'd', 'g'}) EXPECT_EQ(Records(tag), 0u) << tag;
}

TEST_F(ReclaimTest, AStaleExpiryEntryIsRepaired) {
  ASSERT_TRUE(db_.SetString("k", "v").ok());
  ASSERT_TRUE(
      state_.Put(enc::ExpiryKey(state_.pdb(0), keyspace_testing::kStartMs - 500, "k"), {}).ok());
  ASSERT_TRUE(
      state_.Put(enc::ExpiryKey(state_.pdb(0), keyspace_testing::kStartMs - 400, "gone"), {}).ok());
  auto n = ExpireStep(state_, 10);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2u);
  EXPECT_EQ(Records('x'), 0u);
  EXPECT_TRUE(db_.Lookup("k")->has_value());  // the key without an expiry stays
  EXPECT_EQ(state_.expired_keys, 0u);
}

}  // namespace
}  // namespace larder::server
