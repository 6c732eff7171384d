#include "server/lock_store.h"

#include <gtest/gtest.h>

#include <memory>

#include "server/lock_test_util.h"
#include "tests/util/temp_dir.h"

namespace larder::server {
namespace {

class LockStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<Keyspace> Open() {
    KeyspaceOptions options;
    options.dir = dir_.File("data");
    options.appendfsync = AppendFsync::kNo;
    auto ks = Keyspace::Open(options);
    EXPECT_TRUE(ks.ok()) << ks.status().ToString();
    return ks.ok() ? std::move(*ks) : nullptr;
  }
  test::TempDir dir_;
};

using testing::TestHolder;

TEST_F(LockStoreTest, HolderEncodingRoundTrips) {
  const LockHolder h = TestHolder(9, 1500);
  LockHolder back;
  ASSERT_TRUE(DecodeHolder(EncodeHolder(h), &back));
  EXPECT_EQ(back.fencing, 9u);
  EXPECT_EQ(back.token, h.token);
  EXPECT_EQ(back.owner, h.owner);
  EXPECT_EQ(back.client_id, 7u);
  EXPECT_EQ(back.acquired_ms, 1000);
  EXPECT_EQ(back.lease_until_ms, 1500);
  EXPECT_EQ(back.lease_ms, 500);
  EXPECT_FALSE(DecodeHolder("", &back));
  EXPECT_FALSE(DecodeHolder(std::string(1, '\x02') + "x", &back));
  EXPECT_FALSE(DecodeHolder(EncodeHolder(h).substr(0, 4), &back));
}

TEST_F(LockStoreTest, GrantsAndReleasesSurviveAReopenThroughTheLog) {
  {
    auto ks = Open();
    ASSERT_TRUE(ks);
    ASSERT_TRUE(ks->BeginBatch().ok());
    ASSERT_TRUE(StoreGrant(*ks, "a", TestHolder(1, 0), 1).ok());
    ASSERT_TRUE(StoreGrant(*ks, "b", TestHolder(2, 5000), 2).ok());
    ASSERT_TRUE(StoreGrant(*ks, "c", TestHolder(3, 0), 3).ok());
    ASSERT_TRUE(StoreRelease(*ks, "c").ok());
    ASSERT_TRUE(ks->EndBatch().ok());
    // The records are outside every database: FLUSHALL keeps them.
    ASSERT_TRUE(ks->FlushAll().ok());
    ASSERT_TRUE(ks->Close().ok());
  }
  auto ks = Open();
  ASSERT_TRUE(ks);
  ASSERT_TRUE(ks->BeginBatch().ok());
  auto loaded = LoadLocks(*ks);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->last_fencing, 3u);
  ASSERT_EQ(loaded->holders.size(), 2u);
  EXPECT_EQ(loaded->holders[0].first, "a");
  EXPECT_EQ(loaded->holders[1].first, "b");
  EXPECT_EQ(loaded->holders[1].second.lease_until_ms, 5000);
  ASSERT_TRUE(ks->EndBatch().ok());
}

}  // namespace
}  // namespace larder::server
