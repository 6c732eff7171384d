// WatchRegistry: modifications, expiry, flush/swap rules, unwatching, and concurrent unwatching
// from other threads while the keyspace reports writes.
#include "server/watch_registry.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace larder::server {
namespace {

TEST(WatchRegistryTest, ModifiedKeyMakesEveryWatcherDirty) {
  WatchRegistry reg;
  reg.Watch(1, 0, "k", true, 0);
  reg.Watch(2, 0, "k", true, 0);
  reg.Watch(3, 0, "other", false, 0);
  EXPECT_FALSE(reg.Check(1, 0).dirty);
  reg.OnKeyModified(0, "k");
  EXPECT_TRUE(reg.Check(1, 0).dirty);
  EXPECT_TRUE(reg.Check(2, 0).dirty);
  EXPECT_FALSE(reg.Check(3, 0).dirty);
}

TEST(WatchRegistryTest, SameKeyInAnotherDbIsNotTouched) {
  WatchRegistry reg;
  reg.Watch(1, 0, "k", true, 0);
  reg.OnKeyModified(1, "k");
  EXPECT_FALSE(reg.Check(1, 0).dirty);
}

TEST(WatchRegistryTest, UnwatchAllForgetsKeysAndDirtiness) {
  WatchRegistry reg;
  reg.Watch(1, 0, "a", true, 0);
  reg.Watch(1, 0, "a", true, 0);  // twice: one record
  reg.Watch(1, 2, "b", false, 0);
  EXPECT_EQ(reg.WatchedKeyCount(1), 2u);
  EXPECT_EQ(reg.TotalWatchedKeys(), 2u);
  reg.OnKeyModified(0, "a");
  EXPECT_TRUE(reg.Check(1, 0).dirty);
  reg.UnwatchAll(1);
  reg.UnwatchAll(1);  // idempotent
  EXPECT_EQ(reg.WatchedKeyCount(1), 0u);
  EXPECT_EQ(reg.TotalWatchedKeys(), 0u);
  EXPECT_EQ(reg.WatchingClients(), 0u);
  EXPECT_FALSE(reg.Check(1, 0).dirty);
  reg.Watch(1, 0, "a", true, 0);
  EXPECT_FALSE(reg.Check(1, 0).dirty);
}

TEST(WatchRegistryTest, UnwatchOfOneClientKeepsTheOthers) {
  WatchRegistry reg;
  reg.Watch(1, 0, "k", true, 0);
  reg.Watch(2, 0, "k", true, 0);
  reg.UnwatchAll(1);
  reg.OnKeyModified(0, "k");
  EXPECT_TRUE(reg.Check(2, 0).dirty);
  EXPECT_EQ(reg.TotalWatchedKeys(), 1u);
}

TEST(WatchRegistryTest, LiveKeyThatExpiresByExecIsDirty) {
  WatchRegistry reg;
  reg.Watch(1, 0, "k", true, /*expire_at_ms=*/1000);
  EXPECT_FALSE(reg.Check(1, 999).dirty);
  EXPECT_TRUE(reg.Check(1, 1000).dirty);
  // An absent key's expiry is meaningless (recorded as none).
  reg.Watch(2, 0, "gone", false, 1000);
  EXPECT_FALSE(reg.Check(2, 5000).dirty);
}

TEST(WatchRegistryTest, FlushTouchesOnlyKeysThatExisted) {
  WatchRegistry reg;
  reg.Watch(1, 0, "present", true, 0);
  reg.Watch(2, 0, "absent", false, 0);
  reg.Watch(3, 1, "present", true, 0);
  reg.OnKeyModified(0, std::nullopt);
  EXPECT_TRUE(reg.Check(1, 0).dirty);
  WatchRegistry::Verdict v = reg.Check(2, 0);
  EXPECT_FALSE(v.dirty);
  ASSERT_EQ(v.recheck.size(), 1u);  // the caller confirms it is still absent (a swap target)
  EXPECT_EQ(v.recheck[0].key, "absent");
  EXPECT_FALSE(v.recheck[0].existed);
  EXPECT_FALSE(reg.Check(3, 0).dirty);  // db 1 untouched
}

TEST(WatchRegistryTest, NothingToRecheckWithoutAFlush) {
  WatchRegistry reg;
  reg.Watch(1, 0, "absent", false, 0);
  reg.OnKeyModified(0, "unrelated");
  EXPECT_TRUE(reg.Check(1, 0).recheck.empty());
}

TEST(WatchRegistryTest, DirtyListenerHearsEachWatcherOnce) {
  std::vector<WatchRegistry::WatcherId> heard;
  WatchRegistry reg([&heard](WatchRegistry::WatcherId id) { heard.push_back(id); });
  reg.Watch(7, 0, "a", true, 0);
  reg.Watch(7, 0, "b", true, 0);
  reg.OnKeyModified(0, "a");
  reg.OnKeyModified(0, "b");
  reg.OnKeyModified(0, std::nullopt);
  EXPECT_EQ(heard, std::vector<WatchRegistry::WatcherId>{7});
}

// Writes reported while other threads watch and unwatch (TSan checks the locking; the counts
// check the index stays consistent).
TEST(WatchRegistryTest, ConcurrentUnwatchAndModification) {
  WatchRegistry reg;
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&reg, t] {
      for (int i = 0; i < 2000; ++i) {
        const WatchRegistry::WatcherId id = static_cast<WatchRegistry::WatcherId>(t);
        reg.Watch(id, 0, "k" + std::to_string(i % 7), true, 0);
        if (i % 3 == 0) reg.UnwatchAll(id);
      }
      reg.UnwatchAll(static_cast<WatchRegistry::WatcherId>(t));
    });
  }
  for (int i = 0; i < 2000; ++i) {
    reg.OnKeyModified(0, "k" + std::to_string(i % 7));
    if (i % 100 == 0) reg.OnKeyModified(0, std::nullopt);
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(reg.TotalWatchedKeys(), 0u);
  EXPECT_EQ(reg.WatchingClients(), 0u);
}

}  // namespace
}  // namespace larder::server
