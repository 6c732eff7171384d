// Keyspace::Open over a real directory: the directory lock, data and TTLs across a restart,
// FLUSHDB/FLUSHALL/SWAPDB and the reclamation of what they leave, observer reports.
#include "server/keyspace.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "larder/bolt/kv.h"
#include "larder/clock.h"
#include "server/keyspace_test_util.h"
#include "tests/util/temp_dir.h"

namespace larder::server {
namespace {

using keyspace_testing::kStartMicros;
using keyspace_testing::kStartMs;
using keyspace_testing::Recorder;

class KeyspaceTest : public ::testing::Test {
 protected:
  KeyspaceOptions Options() {
    KeyspaceOptions o;
    o.dir = dir_.File("data");
    o.clock = &clock_;
    o.appendfsync = AppendFsync::kNo;
    return o;
  }
  std::unique_ptr<Keyspace> Open() {
    auto ks = Keyspace::Open(Options());
    EXPECT_TRUE(ks.ok()) << ks.status().ToString();
    return ks.ok() ? std::move(*ks) : nullptr;
  }
  // Runs fn inside a batch.
  template <typename Fn>
  void Batch(Keyspace& ks, Fn&& fn) {
    ASSERT_TRUE(ks.BeginBatch().ok());
    fn();
    auto t = ks.EndBatch();
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    ASSERT_TRUE(ks.WaitDurable(*t).ok());
  }
  // Every record of the closed data file, by its first byte (the record's tag).
  std::map<char, int> RecordsByTag() {
    auto store = bolt::OpenKV(dir_.File("data/larder.db"));
    EXPECT_TRUE(store.ok());
    std::map<char, int> tags;
    auto it = (*store)->NewIterator();
    for ((*it)->SeekToFirst(); (*it)->Valid(); (*it)->Next()) ++tags[(*it)->key()[0]];
    it->reset();
    EXPECT_TRUE((*store)->Close().ok());
    return tags;
  }

  test::TempDir dir_;
  ManualClock clock_{ManualClock::SleepMode::kAdvance, 0, kStartMicros};
};

TEST_F(KeyspaceTest, ASecondOpenOfTheDirectoryFailsClearly) {
  auto ks = Open();
  ASSERT_NE(ks, nullptr);
  auto second = Keyspace::Open(Options());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kBusy);
  EXPECT_NE(second.status().ToString().find("in use by another process"), std::string::npos)
      << second.status().ToString();
  ASSERT_TRUE(ks->Close().ok());
  auto third = Keyspace::Open(Options());  // released by Close
  EXPECT_TRUE(third.ok()) << third.status().ToString();
}

TEST_F(KeyspaceTest, CheckpointsComeAtTheIntervalTheOptionsSet) {
  KeyspaceOptions o = Options();
  o.checkpoint_interval_ms = 5000;
  auto opened = Keyspace::Open(o);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Keyspace& ks = **opened;
  const std::uint64_t at_open = ks.stats().checkpoints;
  Batch(ks, [&] { ASSERT_TRUE(ks.db(0).SetString("a", "1", {}).ok()); });
  clock_.Advance(std::chrono::milliseconds(4999));
  ASSERT_TRUE(ks.MaybeCheckpoint().ok());
  EXPECT_EQ(ks.stats().checkpoints, at_open);  // the default (1 s) would have taken one
  clock_.Advance(std::chrono::milliseconds(1));
  ASSERT_TRUE(ks.MaybeCheckpoint().ok());
  EXPECT_EQ(ks.stats().checkpoints, at_open + 1);
  ASSERT_TRUE(ks.Close().ok());
}

TEST_F(KeyspaceTest, DataAndTtlsSurviveARestart) {
  {
    auto ks = Open();
    Batch(*ks, [&] {
      ASSERT_TRUE(ks->db(0).SetString("s", "v", {.expire_at_ms = kStartMs + 5000}).ok());
      ASSERT_TRUE(ks->db(3).SetMember("h", ValueType::kHash, "f", "x").ok());
    });
    ASSERT_TRUE(ks->Close().ok());
  }
  auto ks = Open();
  Batch(*ks, [&] {
    std::string v;
    auto info = ks->db(0).Lookup("s", &v);
    ASSERT_TRUE(info.ok() && info->has_value());
    EXPECT_EQ(v, "v");
    EXPECT_EQ((*info)->expire_at_ms, kStartMs + 5000);
    EXPECT_EQ(**ks->db(3).GetMember("h", "f"), "x");
    EXPECT_EQ(*ks->db(3).KeyCount(), 1u);
  });
  clock_.Advance(std::chrono::seconds(6));
  auto n = ks->ActiveExpireCycle(100);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1u);
  EXPECT_EQ(ks->stats().expired_keys, 1u);
  Batch(*ks, [&] { EXPECT_EQ(*ks->db(0).KeyCount(), 0u); });
  ASSERT_TRUE(ks->Close().ok());
}

TEST_F(KeyspaceTest, FlushAndSwapAreImmediateAndReclaimedLater) {
  auto ks = Open();
  Recorder rec;
  ks->AddObserver(&rec);
  Batch(*ks, [&] {
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE(ks->db(0).SetString("a" + std::to_string(i), "v").ok());
      ASSERT_TRUE(ks->db(1).SetMember("h", ValueType::kHash, "f" + std::to_string(i), "v").ok());
    }
    ASSERT_TRUE(ks->db(0).SetString("t", "v", {.expire_at_ms = kStartMs + 10}).ok());
  });
  rec.events.clear();
  ASSERT_TRUE(ks->SwapDb(0, 1).ok());
  EXPECT_EQ(rec.events, (std::vector<std::string>{"0:*", "1:*"}));
  Batch(*ks, [&] {
    EXPECT_EQ(*ks->db(0).KeyCount(), 1u);
    EXPECT_EQ(*ks->db(1).KeyCount(), 101u);
    EXPECT_EQ((*ks->db(0).Lookup("h"))->size, 100u);
  });
  ASSERT_TRUE(ks->FlushDb(1).ok());
  Batch(*ks, [&] {
    EXPECT_EQ(*ks->db(1).KeyCount(), 0u);
    EXPECT_FALSE(ks->db(1).Lookup("a1")->has_value());
    ASSERT_TRUE(ks->db(1).SetString("new", "v").ok());
    // Inside a batch (a FLUSHALL command) too.
    ASSERT_TRUE(ks->FlushAll().ok());
    EXPECT_EQ(*ks->db(0).KeyCount(), 0u);
    EXPECT_EQ(*ks->db(1).KeyCount(), 0u);
    ASSERT_TRUE(ks->db(2).SetString("kept", "v").ok());
  });
  // Reclamation in bounded steps until nothing is left.
  int steps = 0;
  for (;; ++steps) {
    auto n = ks->ActiveExpireCycle(20);
    ASSERT_TRUE(n.ok());
    EXPECT_LE(*n, 20u + 64u);
    if (*n == 0) break;
    ASSERT_LT(steps, 100);
  }
  EXPECT_GT(steps, 5);
  ASSERT_TRUE(ks->Close().ok());
  ks.reset();
  // Left: the one key, the system records (format, map, counters, checkpoint).
  std::map<char, int> tags = RecordsByTag();
  EXPECT_EQ(tags['m'], 1);
  EXPECT_EQ(tags['c'], 0);
  EXPECT_EQ(tags['x'], 0);
  EXPECT_EQ(tags['g'], 0);
  EXPECT_EQ(tags['d'], 0);
  ks = Open();
  Batch(*ks, [&] {
    EXPECT_EQ(*ks->db(2).KeyCount(), 1u);
    EXPECT_TRUE(ks->db(2).Lookup("kept")->has_value());
  });
  EXPECT_EQ(ks->SwapDb(0, 16).code(), Code::kInvalidArgument);
  ASSERT_TRUE(ks->Close().ok());
}

TEST_F(KeyspaceTest, DatabasesGrowAcrossRestarts) {
  {
    auto ks = Open();
    Batch(*ks, [&] { ASSERT_TRUE(ks->db(15).SetString("k", "v").ok()); });
    ASSERT_TRUE(ks->Close().ok());
  }
  KeyspaceOptions o = Options();
  o.databases = 20;
  auto ks = Keyspace::Open(o);
  ASSERT_TRUE(ks.ok()) << ks.status().ToString();
  EXPECT_EQ((*ks)->databases(), 20);
  Batch(**ks, [&] {
    EXPECT_TRUE((*ks)->db(15).Lookup("k")->has_value());
    EXPECT_EQ(*(*ks)->db(19).KeyCount(), 0u);
    ASSERT_TRUE((*ks)->db(19).SetString("k19", "v").ok());
  });
  ASSERT_TRUE((*ks)->Close().ok());
}

}  // namespace
}  // namespace larder::server
