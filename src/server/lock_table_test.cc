#include "server/lock_table.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <random>
#include <set>
#include <string>

namespace larder::server {
namespace {

TEST(LockTableTest, GrantsFreeLocksAndQueuesFirstInFirstOut) {
  LockTable t;
  ASSERT_TRUE(t.CanGrant("a", 1));
  const LockHolder& h = t.Grant("a", 1, "one", 0, 1000);
  EXPECT_EQ(h.fencing, 1u);
  EXPECT_EQ(h.client_id, 1u);
  const std::string token = h.token;
  EXPECT_FALSE(t.CanGrant("a", 2));
  t.Enqueue("a", {2, "two", 1001});
  t.Enqueue("a", {3, "three", 1002});
  t.Enqueue("a", {2, "two", 1003});  // no-op: already queued
  ASSERT_EQ(t.Find("a")->waiters.size(), 2u);
  ASSERT_TRUE(t.CheckInvariants().ok()) << t.CheckInvariants().ToString();
  EXPECT_EQ(t.CheckToken("a", "nope"), nullptr);
  ASSERT_NE(t.CheckToken("a", token), nullptr);
  t.Release("a");
  // Free, but only the first waiter may take it.
  EXPECT_FALSE(t.CanGrant("a", 3));
  EXPECT_FALSE(t.CanGrant("a", 4));
  ASSERT_TRUE(t.CanGrant("a", 2));
  EXPECT_EQ(t.Grant("a", 2, "two", 0, 1010).fencing, 2u);
  EXPECT_EQ(t.WaitingFor(2), nullptr);
  ASSERT_NE(t.WaitingFor(3), nullptr);
  EXPECT_EQ(*t.WaitingFor(3), "a");
  EXPECT_TRUE(t.CheckInvariants().ok()) << t.CheckInvariants().ToString();
}

TEST(LockTableTest, ClosedWaitersLeaveAndUnusedLocksDisappear) {
  LockTable t;
  t.Grant("a", 1, "", 0, 0);
  t.Enqueue("a", {2, "", 0});
  EXPECT_EQ(t.RemoveWaiter(2), "a");
  EXPECT_EQ(t.RemoveWaiter(2), std::nullopt);
  EXPECT_EQ(t.ConnectionHolds(1), std::vector<std::string>{"a"});
  t.Release("a");
  EXPECT_EQ(t.Find("a"), nullptr);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_TRUE(t.ConnectionHolds(1).empty());
}

TEST(LockTableTest, LeasesAreIndexedByDeadlineAndExtendConverts) {
  LockTable t;
  t.Grant("a", 1, "", 500, 1000);  // until 1500
  t.Grant("b", 1, "", 0, 1000);    // connection-bound
  EXPECT_EQ(t.ConnectionHolds(1), std::vector<std::string>{"b"});
  EXPECT_TRUE(t.DueLeases(1499).empty());
  EXPECT_EQ(t.DueLeases(1500), std::vector<std::string>{"a"});
  t.Extend("b", 100, 1100);
  EXPECT_TRUE(t.ConnectionHolds(1).empty());
  EXPECT_EQ(t.DueLeases(1500), (std::vector<std::string>{"b", "a"}));
  t.Extend("a", 10000, 11000);
  EXPECT_EQ(t.DueLeases(1500), std::vector<std::string>{"b"});
  EXPECT_EQ(t.Holder("a")->lease_ms, 10000);
  EXPECT_TRUE(t.CheckInvariants().ok()) << t.CheckInvariants().ToString();
}

TEST(LockTableTest, TokensAndFencingNeverRepeatAndRestoreKeepsCounting) {
  LockTable t;
  std::set<std::string> tokens;
  for (int i = 0; i < 600; ++i) {  // past one refill of the random pool (256 tokens)
    const LockHolder& h = t.Grant("a", 1, "", 0, 0);
    EXPECT_EQ(h.fencing, static_cast<std::uint64_t>(i + 1));
    EXPECT_TRUE(tokens.insert(h.token).second);
    t.Release("a");
  }
  LockTable restarted;
  LockHolder h;
  h.token = "7-x";
  h.fencing = 7;
  h.lease_until_ms = 99;
  h.lease_ms = 9;
  restarted.Restore("b", h);
  restarted.set_last_fencing(600);
  restarted.set_last_fencing(50);  // never goes back
  EXPECT_EQ(restarted.last_fencing(), 600u);
  EXPECT_EQ(restarted.Grant("c", 2, "", 0, 0).fencing, 601u);
  EXPECT_EQ(restarted.DueLeases(99), std::vector<std::string>{"b"});
  EXPECT_TRUE(restarted.CheckInvariants().ok());
}

// Random operations against the invariants, and FIFO against a model queue.
TEST(LockTableTest, RandomOperationsKeepTheInvariants) {
  LockTable t;
  std::mt19937 rng(42);
  const std::vector<std::string> names = {"a", "b", "c"};
  std::map<std::string, std::deque<std::uint64_t>> model;
  // Ends a hold and grants the first waiter, as the service's re-run of it does.
  auto release = [&](const std::string& name, int step) {
    t.Release(name);
    if (model[name].empty()) return;
    const std::uint64_t next = model[name].front();
    model[name].pop_front();
    ASSERT_TRUE(t.CanGrant(name, next));
    t.Grant(name, next, "", 0, step);
  };
  for (int step = 0; step < 5000; ++step) {
    const std::string& name = names[rng() % names.size()];
    const std::uint64_t client = 1 + rng() % 8;
    const LockHolder* holder = t.Holder(name);
    switch (rng() % 4) {
      case 0:  // acquire
        if (t.WaitingFor(client) != nullptr || (holder && holder->client_id == client)) break;
        if (t.CanGrant(name, client)) {
          ASSERT_TRUE(model[name].empty());
          t.Grant(name, client, "", rng() % 2 ? 100 : 0, step);
        } else {
          t.Enqueue(name, {client, "", step});
          model[name].push_back(client);
        }
        break;
      case 1:  // release, granting the first waiter as the service does
        if (holder != nullptr) release(name, step);
        break;
      case 2:  // a waiter goes away
        if (auto left = t.RemoveWaiter(client)) std::erase(model[*left], client);
        break;
      case 3:  // a holder's connection closes
        for (const std::string& n : t.ConnectionHolds(client)) release(n, step);
        break;
    }
    ASSERT_TRUE(t.CheckInvariants().ok()) << step << ": " << t.CheckInvariants().ToString();
  }
  EXPECT_GT(t.last_fencing(), 100u);
}

}  // namespace
}  // namespace larder::server
