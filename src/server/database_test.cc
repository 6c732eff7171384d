// DatabaseImpl over KeyspaceState and a bolt transaction (no log, no Keyspace): strings,
// members, expiry, copy and rename, and the engine work of deleting a huge hash, counted in kv
// writes.
#include "server/database.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <vector>

#include "server/keyspace_test_util.h"
#include "server/rank_cache.h"
#include "server/rank_index.h"
#include "server/reclaim.h"

namespace larder::server {
namespace {

using keyspace_testing::kStartMs;

class DatabaseTest : public keyspace_testing::StateTest {
 protected:
  std::uint64_t MemberRecords(std::uint64_t version) {
    return CountRange(enc::MemberPrefix(version));
  }
  std::uint64_t VersionOf(std::string_view key) {
    enc::Meta m;
    std::string buf;
    auto found = state_.ReadMeta(state_.pdb(0), key, &m, &buf);
    EXPECT_TRUE(found.ok() && *found);
    return m.version;
  }
  std::vector<std::string> Walk(Cursor& c) {
    std::vector<std::string> out;
    for (; c.Valid(); c.Next()) out.emplace_back(c.key());
    EXPECT_TRUE(c.status().ok());
    return out;
  }

  DatabaseImpl db0_{&state_, 0};
  DatabaseImpl db1_{&state_, 1};
};

using Strings = std::vector<std::string>;

TEST_F(DatabaseTest, StringsWithBinaryAndEmptyKeys) {
  const std::string bin("k\0\xff", 3);
  ASSERT_TRUE(db0_.SetString(bin, "v1").ok());
  ASSERT_TRUE(db0_.SetString("", "empty key").ok());
  ASSERT_TRUE(db0_.SetString("k", std::string("\0\0", 2)).ok());
  std::string v;
  auto info = db0_.Lookup(bin, &v);
  ASSERT_TRUE(info.ok() && info->has_value());
  EXPECT_EQ((*info)->type, ValueType::kString);
  EXPECT_EQ((*info)->size, 2u);
  EXPECT_EQ(v, "v1");
  ASSERT_TRUE(db0_.Lookup("k", &v).ok());
  EXPECT_EQ(v, std::string("\0\0", 2));
  EXPECT_EQ(*db0_.KeyCount(), 3u);
  EXPECT_EQ(*db1_.KeyCount(), 0u);
  auto keys = db0_.Keys();
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(Walk(**keys), (Strings{"", "k", bin}));
  EXPECT_TRUE(*db0_.Delete("k"));
  EXPECT_FALSE(*db0_.Delete("k"));
  EXPECT_FALSE(db0_.Lookup("k")->has_value());
  EXPECT_EQ(*db0_.KeyCount(), 2u);
  EXPECT_EQ(observer_.events, (Strings{"0:" + bin, "0:", "0:k", "0:k"}));
}

TEST_F(DatabaseTest, ExpiredKeysAreInvisibleAndDeletedWhenMet) {
  ASSERT_TRUE(db0_.SetString("a", "1", {.expire_at_ms = kStartMs + 100, .keep_ttl = false}).ok());
  ASSERT_TRUE(db0_.SetString("b", "2", {.expire_at_ms = kStartMs + 200, .keep_ttl = false}).ok());
  ASSERT_TRUE(db0_.SetString("c", "3").ok());
  EXPECT_EQ((*db0_.Lookup("a"))->expire_at_ms, kStartMs + 100);
  Tick(150);
  observer_.events.clear();
  auto keys = db0_.Keys();
  EXPECT_EQ(Walk(**keys), (Strings{"b", "c"}));  // a walk skips, deletes nothing
  keys->reset();
  EXPECT_EQ(*db0_.KeyCount(), 3u);              // as Redis: not reclaimed yet
  EXPECT_FALSE(db0_.Lookup("a")->has_value());  // met: deleted
  EXPECT_EQ(*db0_.KeyCount(), 2u);
  EXPECT_EQ(state_.expired_keys, 1u);
  EXPECT_EQ(observer_.events, (Strings{"0:a"}));
  // SET KEEPTTL keeps b's expiry; SetExpire(0) removes c's (none): unchanged, no event.
  ASSERT_TRUE(db0_.SetString("b", "22", {.expire_at_ms = 0, .keep_ttl = true}).ok());
  EXPECT_EQ((*db0_.Lookup("b"))->expire_at_ms, kStartMs + 200);
  observer_.events.clear();
  EXPECT_TRUE(*db0_.SetExpire("c", 0));
  EXPECT_TRUE(observer_.events.empty());
  // An expiry in the past deletes.
  EXPECT_TRUE(*db0_.SetExpire("c", kStartMs));
  EXPECT_FALSE(db0_.Lookup("c")->has_value());
  Tick(100);
  auto done = ExpireStep(state_, 10);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(*done, 1u);  // b
  EXPECT_EQ(*db0_.KeyCount(), 0u);
  EXPECT_EQ(*ExpireStep(state_, 10), 0u);
}

// INCR, APPEND and SETBIT pass what their Lookup found (SetStringOptions::prior): the overwrite
// keeps the expiry, its index entry and the key count as a SetString that reads the key itself.
TEST_F(DatabaseTest, AnOverwriteOfWhatALookupFoundKeepsExpiryAndCounts) {
  using Prior = SetStringOptions::Prior;
  ASSERT_TRUE(db0_.SetString("t", "1", {.expire_at_ms = kStartMs + 100, .keep_ttl = false}).ok());
  auto info = db0_.Lookup("t");
  ASSERT_TRUE(info.ok() && info->has_value());
  ASSERT_TRUE(db0_.SetString("t", "2",
                             {.keep_ttl = true,
                              .prior = Prior::kString,
                              .prior_expire_at_ms = (*info)->expire_at_ms})
                  .ok());
  ASSERT_FALSE(db0_.Lookup("n")->has_value());
  observer_.events.clear();
  ASSERT_TRUE(db0_.SetString("n", "1", {.keep_ttl = true, .prior = Prior::kMissing}).ok());
  EXPECT_EQ(observer_.events, (Strings{"0:n"}));
  std::string v;
  info = db0_.Lookup("t", &v);
  EXPECT_EQ(v, "2");
  EXPECT_EQ((*info)->expire_at_ms, kStartMs + 100);
  EXPECT_EQ(*db0_.KeyCount(), 2u);
  EXPECT_EQ(*db0_.ExpiringKeyCount(), 1u);
  Tick(100);
  EXPECT_EQ(*ExpireStep(state_, 10), 1u);  // t, through its one expiry index entry
  EXPECT_EQ(*db0_.KeyCount(), 1u);
  EXPECT_EQ(*db0_.ExpiringKeyCount(), 0u);
  EXPECT_EQ(*ExpireStep(state_, 10), 0u);
}

TEST_F(DatabaseTest, ActiveExpiryIsBoundedAndOldestFirst) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(db0_.SetString("k" + std::to_string(i), "v",
                               {.expire_at_ms = kStartMs + 100 - i, .keep_ttl = false})
                    .ok());
  }
  Tick(1000);
  observer_.events.clear();
  EXPECT_EQ(*ExpireStep(state_, 3), 3u);
  EXPECT_EQ(observer_.events, (Strings{"0:k9", "0:k8", "0:k7"}));
  EXPECT_EQ(*ExpireStep(state_, 100), 7u);
  EXPECT_EQ(*db0_.KeyCount(), 0u);
}

TEST_F(DatabaseTest, MembersInOrderAndTheLastOneRemovesTheKey) {
  EXPECT_TRUE(*db0_.SetMember("h", ValueType::kHash, "b", "2"));
  EXPECT_TRUE(*db0_.SetMember("h", ValueType::kHash, std::string("a\0", 2), "1"));
  EXPECT_FALSE(*db0_.SetMember("h", ValueType::kHash, "b", "two"));
  EXPECT_EQ(**db0_.GetMember("h", "b"), "two");
  EXPECT_FALSE(db0_.GetMember("h", "zz")->has_value());
  EXPECT_FALSE(db0_.GetMember("nokey", "b")->has_value());
  auto info = *db0_.Lookup("h");
  EXPECT_EQ(info->type, ValueType::kHash);
  EXPECT_EQ(info->size, 2u);
  auto m = db0_.Members("h");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(Walk(**m), (Strings{std::string("a\0", 2), "b"}));
  m = db0_.Members("h", "a\x01");
  EXPECT_EQ(Walk(**m), (Strings{"b"}));
  m->reset();
  EXPECT_FALSE(*db0_.DeleteMember("h", "zz"));
  EXPECT_TRUE(*db0_.DeleteMember("h", "b"));
  EXPECT_TRUE(*db0_.DeleteMember("h", std::string("a\0", 2)));
  EXPECT_FALSE(db0_.Lookup("h")->has_value());
  EXPECT_EQ(*db0_.KeyCount(), 0u);
  // A string over a hash and a hash over a string (SetString replaces any type).
  ASSERT_TRUE(*db0_.SetMember("x", ValueType::kHash, "f", "v"));
  const std::uint64_t version = VersionOf("x");
  ASSERT_TRUE(db0_.SetString("x", "s").ok());
  EXPECT_EQ(MemberRecords(version), 0u);  // a small hash's members go at once
  EXPECT_EQ(db0_.SetMember("x", ValueType::kHash, "f", "v").status().code(),
            Code::kInvalidArgument);
}

// KeyspaceState keeps the last collection meta record it read: every later read of that key
// must see each write of it (a size change, an expiry, a rename away), and a replaced
// transaction (here one rolled back) must not be answered from it.
TEST_F(DatabaseTest, RepeatedMetaReadsSeeEveryWriteOfTheKey) {
  ASSERT_TRUE(*db0_.SetMember("h", ValueType::kHash, "a", "1"));
  Checkpoint();
  EXPECT_EQ((*db0_.Lookup("h"))->size, 1u);  // read, and kept
  ASSERT_TRUE(*db0_.SetMember("h", ValueType::kHash, "b", "2"));
  EXPECT_EQ((*db0_.Lookup("h"))->size, 2u);
  KeyInfo info = **db0_.Lookup("h");
  info.aux = 7;
  ASSERT_TRUE(db0_.WriteCollection("h", info, /*created=*/false).ok());
  EXPECT_EQ((*db0_.Lookup("h"))->aux, 7u);
  ASSERT_TRUE(*db0_.SetExpire("h", kStartMs + 60'000));
  EXPECT_EQ((*db0_.Lookup("h"))->expire_at_ms, kStartMs + 60'000);
  ASSERT_TRUE(*db0_.RenameKey("h", "h2"));
  EXPECT_FALSE(db0_.Lookup("h")->has_value());
  EXPECT_EQ((*db0_.Lookup("h2"))->size, 2u);
  // Rolled back: the committed state has "h" with one member and no "h2".
  ASSERT_TRUE(tx_->Rollback().ok());
  Begin();
  EXPECT_FALSE(db0_.Lookup("h2")->has_value());
  auto h = db0_.Lookup("h");
  ASSERT_TRUE(h.ok() && h->has_value());
  EXPECT_EQ((*h)->size, 1u);
  EXPECT_EQ((*h)->expire_at_ms, 0);
}

// A hash's cached rank index (HRANDFIELD's picks) follows SetMember and DeleteMember.
TEST_F(DatabaseTest, AHashsCachedRankIndexFollowsItsFields) {
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(db0_.SetMember("h", ValueType::kHash, "f" + std::to_string(i), "v").ok());
  }
  const std::uint64_t version = VersionOf("h");
  ASSERT_TRUE(RankIndex(db0_, version, "").EntryAt(0).ok());  // builds and caches it
  std::mt19937 rng(5);
  std::uint64_t size = 500;
  for (int step = 0; step < 2000; ++step) {
    const std::string f = "f" + std::to_string(rng() % 1000);
    if (rng() % 2 == 0) {
      size += *db0_.SetMember("h", ValueType::kHash, f, "w") ? 1 : 0;
    } else if (size > 1) {
      size -= *db0_.DeleteMember("h", f) ? 1 : 0;
    }
  }
  RankIndex index(db0_, version, "");
  ASSERT_TRUE(index.cached());
  const Status checked = index.Check(size);
  EXPECT_TRUE(checked.ok()) << checked.ToString();
  EXPECT_EQ(db0_.rank_cache()->distrusted(), 0u);
}

// Deleting a hash of 200k members writes a handful of records; its members are reclaimed by
// ActiveExpireCycle steps, each within its budget.
TEST_F(DatabaseTest, DeletingAHugeHashIsConstantWork) {
  constexpr int kMembers = 200'000;
  char field[16];
  for (int i = 0; i < kMembers; ++i) {
    std::snprintf(field, sizeof field, "f%07d", i);
    ASSERT_TRUE(db0_.SetMember("big", ValueType::kHash, field, "v").ok());
    // As the server's checkpoints do: a bolt transaction's nodes split only at commit.
    if (i % 20'000 == 19'999) Checkpoint();
  }
  const std::uint64_t version = VersionOf("big");
  EXPECT_EQ((*db0_.Lookup("big"))->size, std::uint64_t{kMembers});
  Writes();
  ASSERT_TRUE(*db0_.Delete("big"));
  EXPECT_LE(Writes(), 3u);  // meta, garbage record (the count is written at the batch's end)
  EXPECT_FALSE(db0_.Lookup("big")->has_value());
  EXPECT_EQ(MemberRecords(version), std::uint64_t{kMembers});
  constexpr std::uint64_t kBudget = 1000;
  int steps = 0;
  for (;; ++steps) {
    if (steps % 20 == 19) Checkpoint();
    auto n = ReclaimStep(state_, kBudget);
    ASSERT_TRUE(n.ok());
    EXPECT_LE(Writes(), kBudget + 1);
    if (*n == 0) break;
    ASSERT_LT(steps, 1000);
  }
  EXPECT_GE(steps, kMembers / static_cast<int>(kBudget));
  EXPECT_EQ(MemberRecords(version), 0u);
}

TEST_F(DatabaseTest, CopyAndRename) {
  ASSERT_TRUE(db0_.SetString("s", "v", {.expire_at_ms = kStartMs + 1000, .keep_ttl = false}).ok());
  for (int i = 0; i < 300; ++i) {  // more than one copy chunk
    ASSERT_TRUE(db0_.SetMember("h", ValueType::kHash, "f" + std::to_string(i), "v").ok());
  }
  EXPECT_TRUE(*db0_.CopyKey("s", db1_, "s2", false));
  EXPECT_EQ((*db1_.Lookup("s2"))->expire_at_ms, kStartMs + 1000);
  EXPECT_FALSE(*db0_.CopyKey("s", db1_, "s2", false));  // exists, no replace
  EXPECT_TRUE(*db0_.CopyKey("h", db1_, "s2", true));    // replaces the string
  EXPECT_EQ((*db1_.Lookup("s2"))->size, 300u);
  EXPECT_EQ(**db1_.GetMember("s2", "f299"), "v");
  EXPECT_TRUE(*db1_.DeleteMember("s2", "f0"));  // the copy is independent
  EXPECT_EQ(**db0_.GetMember("h", "f0"), "v");
  EXPECT_FALSE(*db0_.CopyKey("absent", db1_, "x", true));

  Writes();
  EXPECT_TRUE(*db0_.RenameKey("h", "h2"));
  EXPECT_LE(Writes(), 3u);  // O(1): members stay under their version
  EXPECT_FALSE(db0_.Lookup("h")->has_value());
  EXPECT_EQ(**db0_.GetMember("h2", "f1"), "v");
  EXPECT_TRUE(*db0_.RenameKey("s", "h2"));  // replaces
  EXPECT_EQ((*db0_.Lookup("h2"))->type, ValueType::kString);
  EXPECT_EQ((*db0_.Lookup("h2"))->expire_at_ms, kStartMs + 1000);
  EXPECT_EQ(*db0_.KeyCount(), 1u);
  EXPECT_EQ(*db1_.KeyCount(), 1u);
  EXPECT_EQ(*db0_.ExpiringKeyCount(), 1u);
  EXPECT_EQ(*db1_.ExpiringKeyCount(), 0u);  // s2 was replaced by a hash without one
  Tick(2000);                               // the renamed key's expiry moved with it
  EXPECT_EQ(*ExpireStep(state_, 10), 1u);
  EXPECT_EQ(*db0_.KeyCount(), 0u);
  EXPECT_EQ(*db0_.ExpiringKeyCount(), 0u);
}

TEST_F(DatabaseTest, RandomKeyFindsLiveKeys) {
  EXPECT_FALSE(db0_.RandomKey()->has_value());
  std::map<std::string, int> seen;
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(db0_.SetString("k" + std::to_string(i), "v").ok());
  ASSERT_TRUE(db0_.SetString("dead", "v", {.expire_at_ms = kStartMs + 1, .keep_ttl = false}).ok());
  Tick(10);
  for (int i = 0; i < 200; ++i) {
    auto k = db0_.RandomKey();
    ASSERT_TRUE(k.ok() && k->has_value());
    ++seen[**k];
  }
  EXPECT_EQ(seen.count("dead"), 0u);
  EXPECT_GT(seen.size(), 3u);
}

}  // namespace
}  // namespace larder::server
