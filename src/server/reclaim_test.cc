// The bounded background steps over KeyspaceState and a bolt transaction: a dead database
// reclaimed whole, step by step, each step leaving consistent records; a stale expiry entry
// repaired when met.
#include "server/reclaim.h"

#include <gtest/gtest.h>

#include "larder/bolt/kv.h"
#include "larder/clock.h"
#include "server/database.h"
#include "tests/util/temp_dir.h"

namespace larder::server {
namespace {

class ReclaimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bolt::Options o;
    o.no_sync = true;
    auto s = bolt::OpenKV(dir_.File("data.db"), o);
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    auto tx = store_->BeginTransaction();
    ASSERT_TRUE(tx.ok());
    tx_ = std::move(*tx);
    state_.set_tx(tx_.get());
    ASSERT_TRUE(state_.Load().ok());
    state_.set_now_ms(1000);
  }
  void TearDown() override {
    EXPECT_TRUE(tx_->Commit({}).ok());
    tx_.reset();
    EXPECT_TRUE(store_->Close().ok());
  }
  std::uint64_t Records(char tag) {
    const std::string lower(1, tag);
    auto it = state_.Range(lower, enc::PrefixEnd(lower));
    EXPECT_TRUE(it.ok());
    std::uint64_t n = 0;
    for ((*it)->SeekToFirst(); (*it)->Valid(); (*it)->Next()) ++n;
    return n;
  }

  test::TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<kv::Store> store_;
  std::unique_ptr<kv::Transaction> tx_;
  KeyspaceState state_{&clock_, 2};
  DatabaseImpl db_{&state_, 0};
};

TEST_F(ReclaimTest, ADeadDatabaseGoesInBoundedSteps) {
  for (int i = 0; i < 50; ++i) {
    const std::string k = "k" + std::to_string(i);
    ASSERT_TRUE(db_.SetString(k, "v", {.expire_at_ms = 5000 + i, .keep_ttl = false}).ok());
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
  ASSERT_TRUE(state_.Put(enc::ExpiryKey(state_.pdb(0), 500, "k"), {}).ok());
  ASSERT_TRUE(state_.Put(enc::ExpiryKey(state_.pdb(0), 600, "gone"), {}).ok());
  auto n = ExpireStep(state_, 10);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2u);
  EXPECT_EQ(Records('x'), 0u);
  EXPECT_TRUE(db_.Lookup("k")->has_value());  // the key without an expiry stays
  EXPECT_EQ(state_.expired_keys, 0u);
}

}  // namespace
}  // namespace larder::server
