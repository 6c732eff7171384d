// LockService around restarts (its waiting paths are tested against a running larderd in
// tests/server/locks_test.py).
#include "server/lock_service.h"

#include <gtest/gtest.h>

#include <memory>

#include "server/command.h"
#include "server/lock_store.h"
#include "server/lock_test_util.h"
#include "server/server.h"
#include "tests/util/temp_dir.h"

namespace larder::server {
namespace {

using testing::TestHolder;

std::unique_ptr<Keyspace> OpenIn(const std::string& dir) {
  KeyspaceOptions options;
  options.dir = dir;
  options.appendfsync = AppendFsync::kNo;
  auto ks = Keyspace::Open(options);
  EXPECT_TRUE(ks.ok()) << ks.status().ToString();
  return ks.ok() ? std::move(*ks) : nullptr;
}

// After a restart, the service releases holds without a lease, keeps leases until they end,
// and keeps counting fencing numbers from the stored counter.
TEST(LockServiceTest, AfterARestart) {
  test::TempDir dir;
  const std::int64_t now = Server::NowMs();
  {
    auto ks = OpenIn(dir.File("data"));
    ASSERT_TRUE(ks->BeginBatch().ok());
    ASSERT_TRUE(StoreGrant(*ks, "bound", TestHolder(4, 0), 4).ok());
    ASSERT_TRUE(StoreGrant(*ks, "leased", TestHolder(5, now + 60000), 5).ok());
    ASSERT_TRUE(StoreGrant(*ks, "over", TestHolder(6, now - 1), 6).ok());
    ASSERT_TRUE(ks->EndBatch().ok());
    ASSERT_TRUE(ks->Close().ok());
  }
  auto ks = OpenIn(dir.File("data"));
  CommandTable table;
  {
    Server server(ServerConfig{}, ks.get(), &table);
    LockService& locks = server.Service<LockService>();
    ASSERT_TRUE(ks->BeginBatch().ok());
    ASSERT_TRUE(locks.Prepare(*ks, now).ok());
    EXPECT_EQ(locks.table().Names(), std::vector<std::string>{"leased"});
    EXPECT_EQ(locks.table().Holder("leased")->client_id, 0u);
    EXPECT_EQ(locks.table().Grant("x", 1, "", 0, now).fencing, 7u);
    EXPECT_TRUE(locks.table().CheckInvariants().ok());
    auto loaded = LoadLocks(*ks);
    ASSERT_TRUE(loaded.ok());
    ASSERT_EQ(loaded->holders.size(), 1u);  // bound and over are gone from the store too
    ASSERT_TRUE(ks->EndBatch().ok());
  }
  ASSERT_TRUE(ks->Close().ok());
}

}  // namespace
}  // namespace larder::server
