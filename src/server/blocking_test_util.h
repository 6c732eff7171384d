// Test support for blocking commands (tests only): BlockingHarness runs several socket-less
// clients' commands through the dispatcher as the I/O threads do (a batch per command, the
// served replies delivered after WaitDurable, a paused client's later commands held until it
// resumes), and lets the test move the clock to time blocked clients out. The lists, zsets and
// locks families can test their blocking commands with it over a real Keyspace:
//
//   BlockingHarness h(keyspace, {RegisterListCommands});
//   auto a = h.NewClient();
//   h.Send(a, {"BLPOP", "k", "0"});          // a blocks: no reply
//   h.Send(h.NewClient(), {"RPUSH", "k", "x"});
//   EXPECT_EQ(h.Replies(a), "[k,x]");
//
// Also GatedKeyspace: a Keyspace wrapper whose WaitDurable can be held closed (to check that no
// reply leaves before its batch is durable), which counts WaitDurable calls and can make EndBatch
// fail.
//
// Thread-safety: the harness is for one test thread; GatedKeyspace's gate is thread-safe.
#ifndef LARDER_SERVER_BLOCKING_TEST_UTIL_H_
#define LARDER_SERVER_BLOCKING_TEST_UTIL_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "server/args.h"
#include "server/blocking.h"
#include "server/client.h"
#include "server/command.h"
#include "server/command_test_util.h"
#include "server/dispatcher.h"
#include "server/keyspace.h"
#include "server/multi_test_util.h"
#include "server/reply_builder.h"
#include "server/run_in_batch.h"
#include "server/server.h"
#include "tests/util/temp_dir.h"

namespace larder::server::blocking_testing {

// Delegates everything to `inner`; WaitDurable waits while the gate is closed and calls
// on_wait_durable (if set) first.
class GatedKeyspace final : public Keyspace {
 public:
  explicit GatedKeyspace(Keyspace* inner) : inner_(inner) {}
  int databases() const override { return inner_->databases(); }
  void AddObserver(KeyspaceObserver* o) override { inner_->AddObserver(o); }
  void RemoveObserver(KeyspaceObserver* o) override { inner_->RemoveObserver(o); }
  Status BeginBatch() override { return inner_->BeginBatch(); }
  Database& db(int index) override { return inner_->db(index); }
  Result<Ticket> EndBatch() override {
    Result<Ticket> t = inner_->EndBatch();
    if (fail_end_batch) return Status::IOError("injected log failure");
    return t;
  }
  Status WaitDurable(Ticket ticket) override {
    if (on_wait_durable) on_wait_durable();
    std::unique_lock<std::mutex> lock(mu_);
    ++waits_;
    cv_.wait(lock, [&] { return open_; });
    return inner_->WaitDurable(ticket);
  }
  Status FlushDb(int index) override { return inner_->FlushDb(index); }
  Status FlushAll() override { return inner_->FlushAll(); }
  Status SwapDb(int a, int b) override { return inner_->SwapDb(a, b); }
  Status Save() override { return inner_->Save(); }
  Status BackgroundSave() override { return inner_->BackgroundSave(); }
  Result<std::uint64_t> ActiveExpireCycle(std::uint64_t budget) override {
    return inner_->ActiveExpireCycle(budget);
  }
  Status MaybeCheckpoint() override { return inner_->MaybeCheckpoint(); }
  void SetAppendFsync(AppendFsync mode) override { inner_->SetAppendFsync(mode); }
  KeyspaceStats stats() const override { return inner_->stats(); }
  Status Close() override { return inner_->Close(); }

  void SetOpen(bool open) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_ = open;
    }
    cv_.notify_all();
  }
  int waits() {
    std::lock_guard<std::mutex> lock(mu_);
    return waits_;
  }
  std::function<void()> on_wait_durable;  // set before use; called without a lock
  bool fail_end_batch = false;            // EndBatch fails (the engine's log write)

 private:
  Keyspace* const inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = true;
  int waits_ = 0;
};

// ---- test-only blocking commands over string keys (multi_test_util.h's fake keyspace) ----
// TESTPOP key [key ...] timeout_ms  as BLPOP: pops (deletes) the first key whose value is not
//                                   "wait" and replies [key, value]; else blocks (key_type
//                                   string), null array on a timeout or inside EXEC.
// TESTMOVE src dst                  as BLMOVE: moves src's value to dst, replies the value.
// TESTASYNC key                     as LOCK.ACQUIRE ASYNC: +QUEUED, the pop later as a push.
// With SET GET DEL SWAPDB (fakes), MULTI/EXEC..., PING, CLIENT, RESET. Unblocks() records the
// on_unblock reasons (clear it in the test's set-up).
inline std::vector<UnblockReason>& Unblocks() {
  static std::vector<UnblockReason> reasons;
  return reasons;
}
inline void NullArrayReply(ReplyBuilder& reply) { reply.NullArray(); }
inline void NoteUnblock(Server&, Client&, UnblockReason reason) { Unblocks().push_back(reason); }

// Pops the first of keys holding a value other than "wait" (a "wait" value re-blocks): replies
// [key, value] and deletes it. Returns false when nothing was popped.
inline Result<bool> PopFirst(CommandContext& ctx, std::size_t first, std::size_t end, bool push) {
  for (std::size_t i = first; i < end; ++i) {
    std::string value;
    LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info, ctx.db.Lookup(ctx.argv[i], &value));
    if (!info || value == "wait") continue;
    LARDER_ASSIGN_OR_RETURN(bool deleted, ctx.db.Delete(ctx.argv[i]));
    (void)deleted;
    if (push) {
      ctx.reply.PushHeader(2);
    } else {
      ctx.reply.ArrayHeader(2);
    }
    ctx.reply.Bulk(ctx.argv[i]);
    ctx.reply.Bulk(value);
    return true;
  }
  return false;
}

inline BlockOptions WaitOn(CommandContext& ctx, std::size_t first, std::size_t end,
                           std::int64_t timeout_ms) {
  BlockOptions options;
  for (std::size_t i = first; i < end; ++i) {
    options.keys.push_back(WaitKey{ctx.db.index(), std::string(ctx.argv[i])});
  }
  options.deadline_ms = timeout_ms > 0 ? ctx.now_ms + timeout_ms : 0;
  options.on_timeout = NullArrayReply;
  options.on_unblock = NoteUnblock;
  options.key_type = ValueType::kString;
  return options;
}

// TESTPOP key [key ...] timeout_ms (0: no timeout), as BLPOP.
inline Status TestPop(CommandContext& ctx) {
  const std::size_t end = ctx.argv.size() - 1;
  LARDER_ASSIGN_OR_RETURN(bool popped, PopFirst(ctx, 1, end, false));
  if (popped) return Status::Ok();
  if (!ctx.may_block) {
    ctx.reply.NullArray();
    return Status::Ok();
  }
  ctx.server.Service<BlockingService>().Block(
      ctx, WaitOn(ctx, 1, end, ParseInt64(ctx.argv.back()).value_or(0)));
  return Status::Ok();
}

// TESTMOVE src dst: pops src's value into dst (a SET), as BLMOVE; replies the value.
inline Status TestMove(CommandContext& ctx) {
  std::string value;
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info, ctx.db.Lookup(ctx.argv[1], &value));
  if (!info) {
    ctx.server.Service<BlockingService>().Block(ctx, WaitOn(ctx, 1, 2, 0));
    return Status::Ok();
  }
  LARDER_ASSIGN_OR_RETURN(bool deleted, ctx.db.Delete(ctx.argv[1]));
  (void)deleted;
  LARDER_RETURN_IF_ERROR(ctx.db.SetString(ctx.argv[2], value, SetStringOptions{}));
  ctx.reply.Bulk(value);
  return Status::Ok();
}

// TESTASYNC key: as LOCK.ACQUIRE ASYNC: +QUEUED at once, the pop later as a push.
inline Status TestAsync(CommandContext& ctx) {
  BlockingService& blocking = ctx.server.Service<BlockingService>();
  const bool rerun = blocking.Rerunning(ctx.client);
  LARDER_ASSIGN_OR_RETURN(bool popped, PopFirst(ctx, 1, 2, rerun));
  if (popped) return Status::Ok();
  BlockOptions options = WaitOn(ctx, 1, 2, 0);
  options.pause_client = false;
  options.on_timeout = nullptr;
  blocking.Block(ctx, std::move(options));
  if (!rerun) ctx.reply.SimpleString("QUEUED");
  return Status::Ok();
}

inline void RegisterBlockingTestCommands(CommandTable& table) {
  RegisterTransactionCommands(table);
  RegisterConnectionCommands(table);  // PING, CLIENT (UNBLOCK), RESET
  constexpr std::uint32_t kWriteBlocking = kCmdWrite | kCmdBlocking;
  table.Add({"set", -3, kCmdWrite, 1, 1, 1, multi_testing::FakeSet, "string", "", "1.0.0", {}});
  table.Add({"get", 2, kCmdReadOnly, 1, 1, 1, multi_testing::FakeGet, "string", "", "1.0.0", {}});
  table.Add({"del", 2, kCmdWrite, 1, 1, 1, multi_testing::FakeDel, "generic", "", "1.0.0", {}});
  table.Add(
      {"swapdb", 3, kCmdWrite, 0, 0, 0, multi_testing::FakeSwapDb, "server", "", "4.0.0", {}});
  table.Add({"testpop", -3, kWriteBlocking, 1, -2, 1, TestPop, "list", "", "1.0.0", {}});
  table.Add({"testmove", 3, kWriteBlocking, 1, 2, 1, TestMove, "list", "", "1.0.0", {}});
  table.Add({"testasync", 2, kWriteBlocking, 1, 1, 1, TestAsync, "list", "", "1.0.0", {}});
}

class BlockingHarness {
 public:
  using Registrar = void (*)(CommandTable&);
  BlockingHarness(Keyspace* keyspace, std::vector<Registrar> families) : keyspace_(keyspace) {
    for (Registrar r : families) r(table_);
    server_ = std::make_unique<Server>(ServerConfig{}, keyspace_, &table_);
  }
  ~BlockingHarness() {
    for (auto& c : clients_) Close(c);
  }

  CommandTable& table() { return table_; }
  Server& server() { return *server_; }
  std::int64_t now_ms() const { return now_ms_; }

  // A registered socket-less client.
  std::shared_ptr<Client> NewClient(int protocol = 2) {
    auto c = std::make_shared<Client>(server_->NextClientId(), -1, "127.0.0.1:1", "127.0.0.1:2",
                                      nullptr, now_ms_);
    c->protocol = protocol;
    c->authenticated = true;
    server_->AddClient(c);
    clients_.push_back(c);
    return c;
  }

  // Sends one command: it runs now in a batch of its own, unless the client is paused (blocked),
  // in which case it waits (as a pipelined command in the query buffer) until the client resumes.
  void Send(const std::shared_ptr<Client>& client, std::vector<std::string> argv) {
    pending_[client.get()].push_back(std::move(argv));
    Pump();
  }

  // Runs fn as a batch (RunInBatch), then whatever resumed clients have pending.
  void RunBatch(const std::function<void()>& fn) {
    EXPECT_TRUE(RunInBatch(*server_, fn).ok());
    Pump();
  }

  // Moves the clock to `now_ms` and times out blocked clients, as the I/O threads do.
  void SetNow(std::int64_t now_ms) {
    now_ms_ = now_ms;
    if (BlockingService* b = server_->blocking_service()) {
      RunBatch([&] { b->ExpireTimeouts(now_ms_); });
    }
  }
  void Advance(std::int64_t ms) { SetNow(now_ms_ + ms); }

  // The connection closes: the close path of the I/O thread.
  void Close(const std::shared_ptr<Client>& client) {
    RunBatch([&] { server_->NotifyClientClosed(*client); });
    server_->RemoveClient(client->id());
    pending_.erase(client.get());
  }

  // Every reply the client received since the last call, decoded (command_test_util.h's text
  // form), separated by " | "; "" when none.
  std::string Replies(const std::shared_ptr<Client>& client) {
    const std::string raw = client->TakeOutput();
    std::string out;
    std::size_t pos = 0;
    while (pos < raw.size()) {
      if (!out.empty()) out += " | ";
      out += testing::DecodeReply(raw, &pos);
    }
    return out;
  }

  bool blocked(const std::shared_ptr<Client>& client) {
    MutexLock lock(&server_->exec_mutex());
    return client->blocked;
  }
  std::size_t blocked_clients() {
    MutexLock lock(&server_->exec_mutex());
    BlockingService* b = server_->blocking_service();
    return b != nullptr ? b->blocked_clients() : 0;
  }

 private:
  // Runs the pending commands of every client that is not paused, in order.
  void Pump() {
    bool progress = true;
    while (progress) {
      progress = false;
      for (auto& c : clients_) {
        auto it = pending_.find(c.get());
        if (it == pending_.end() || it->second.empty() || c->paused()) continue;
        std::vector<std::string> argv = std::move(it->second.front());
        it->second.pop_front();
        RunOne(*c, argv);
        progress = true;
      }
    }
  }

  // One batch of one command, as IoThread::RunBatch.
  void RunOne(Client& client, const std::vector<std::string>& args) {
    std::vector<std::string_view> argv(args.begin(), args.end());
    Keyspace::Ticket ticket = 0;
    std::vector<BlockingService::ServedReply> served;
    {
      MutexLock lock(&server_->exec_mutex());
      EXPECT_TRUE(keyspace_->BeginBatch().ok());
      DispatchCommand(*server_, client, argv, now_ms_);
      auto t = keyspace_->EndBatch();
      EXPECT_TRUE(t.ok());
      if (t.ok()) ticket = *t;
      if (BlockingService* b = server_->blocking_service()) served = b->TakeServedReplies();
    }
    EXPECT_TRUE(keyspace_->WaitDurable(ticket).ok());
    BlockingService::DeliverServedReplies(*server_, std::move(served), now_ms_);
  }

  Keyspace* const keyspace_;
  CommandTable table_;
  std::unique_ptr<Server> server_;
  std::int64_t now_ms_ = 1'000'000;
  std::vector<std::shared_ptr<Client>> clients_;
  std::map<const Client*, std::deque<std::vector<std::string>>> pending_;
};

// A gtest fixture for a family's blocking commands over a real Keyspace (appendfsync no) in a
// scratch directory, behind a BlockingHarness registering `families`:
//
//   class ListBlockingTest : public EngineBlockingTest {
//    protected:
//     ListBlockingTest() : EngineBlockingTest({RegisterListTestFamilies}) {}
//   };
class EngineBlockingTest : public ::testing::Test {
 protected:
  explicit EngineBlockingTest(std::vector<BlockingHarness::Registrar> families) {
    KeyspaceOptions options;
    options.dir = dir_.File("data");
    options.appendfsync = AppendFsync::kNo;
    auto opened = Keyspace::Open(options);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (opened.ok()) keyspace_ = std::move(*opened);
    h_ = std::make_unique<BlockingHarness>(keyspace_.get(), std::move(families));
  }
  ~EngineBlockingTest() override {
    h_.reset();
    if (keyspace_) {
      EXPECT_TRUE(keyspace_->Close().ok());
    }
  }

  test::TempDir dir_;  // declared first: outlives the keyspace
  std::unique_ptr<Keyspace> keyspace_;
  std::unique_ptr<BlockingHarness> h_;
};

}  // namespace larder::server::blocking_testing

#endif  // LARDER_SERVER_BLOCKING_TEST_UTIL_H_
