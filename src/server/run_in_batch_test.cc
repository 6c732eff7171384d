// RunInBatch: a service that frees something on a client's close (a lock held by the closing
// connection) gets its waiters served, their replies delivered only after the batch is durable.
#include "server/run_in_batch.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "server/blocking.h"
#include "server/blocking_test_util.h"
#include "server/multi_test_util.h"

namespace larder::server {
namespace {

// A lock table with no durability: name -> holder. A closing holder frees its locks.
class RunInBatchTestLocks final : public ServerService {
 public:
  explicit RunInBatchTestLocks(Server& server) : server_(server) {}
  void OnClientClosed(Client& client) override {
    for (auto it = holders.begin(); it != holders.end();) {
      if (it->second != &client) {
        ++it;
        continue;
      }
      // A hook may use Service<T>() (server.h): the close path runs over a snapshot.
      server_.Service<BlockingService>().SignalKeyReady(WaitKey{kLockNamespace, it->first});
      it = holders.erase(it);
    }
  }
  std::map<std::string, Client*> holders;

 private:
  Server& server_;
};

// TESTACQUIRE name: +OK when granted, else waits for the lock.
Status TestAcquire(CommandContext& ctx) {
  auto& locks = ctx.server.Service<RunInBatchTestLocks>();
  const std::string name(ctx.argv[1]);
  auto it = locks.holders.find(name);
  if (it == locks.holders.end()) {
    locks.holders.emplace(name, &ctx.client);
    ctx.reply.Ok();
    return Status::Ok();
  }
  BlockOptions options;
  options.keys.push_back(WaitKey{kLockNamespace, name});
  ctx.server.Service<BlockingService>().Block(ctx, std::move(options));
  return Status::Ok();
}

void RegisterAcquire(CommandTable& table) {
  table.Add(
      {"testacquire", 2, kCmdWrite | kCmdBlocking, 0, 0, 0, TestAcquire, "lock", "", "1.0.0", {}});
}

TEST(RunInBatchTest, ClosingHolderServesTheNextWaiterAfterDurability) {
  multi_testing::FakeKeyspace fake;
  blocking_testing::GatedKeyspace gated(&fake);
  blocking_testing::BlockingHarness h(&gated, {RegisterAcquire});
  auto a = h.NewClient(), b = h.NewClient(), c = h.NewClient();
  h.Send(a, {"TESTACQUIRE", "L"});
  h.Send(b, {"TESTACQUIRE", "L"});
  h.Send(c, {"TESTACQUIRE", "L"});
  EXPECT_EQ(h.Replies(a), "OK");
  {
    MutexLock lock(&h.server().exec_mutex());
    EXPECT_EQ(h.server().Service<BlockingService>().Waiters(WaitKey{kLockNamespace, "L"}),
              (std::vector<Client*>{b.get(), c.get()}));
  }
  int durable_checks = 0;
  gated.on_wait_durable = [&] {
    EXPECT_EQ(b->output_bytes(), 0u);
    ++durable_checks;
  };
  h.Close(a);
  gated.on_wait_durable = nullptr;
  EXPECT_EQ(durable_checks, 1);
  EXPECT_EQ(h.Replies(b), "OK");
  EXPECT_EQ(h.Replies(c), "");
  h.Close(b);
  EXPECT_EQ(h.Replies(c), "OK");
}

}  // namespace
}  // namespace larder::server
