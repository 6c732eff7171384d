// Tests only: the std::map keyspace of command_test_util.h, counting batches and cron calls, with
// an injectable log failure (EndBatch) to exercise the engine-error paths of the dispatcher and
// the event loop; and DispatchHarness, which runs commands through DispatchCommand as an I/O
// thread does and returns the raw bytes the client received.
//
// Thread-safety: as Keyspace's contract (the execution lock serializes every call).
#ifndef LARDER_SERVER_NET_TEST_UTIL_H_
#define LARDER_SERVER_NET_TEST_UTIL_H_

#include <atomic>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/command_test_util.h"
#include "server/dispatcher.h"
#include "server/server.h"

namespace larder::server::net_testing {

class NetTestKeyspace : public testing::MapKeyspace {
 public:
  NetTestKeyspace() : MapKeyspace(16, &now_ms_) {}
  Status BeginBatch() override {
    batches.fetch_add(1);
    return Status::Ok();
  }
  Result<Ticket> EndBatch() override {
    if (fail_end_batch) return Status::IOError("injected log failure");
    return ++ticket_;
  }
  Result<std::uint64_t> ActiveExpireCycle(std::uint64_t) override {
    expire_cycles.fetch_add(1);
    return std::uint64_t{0};
  }

  bool fail_end_batch = false;  // set with the execution lock held
  std::atomic<int> batches{0};
  std::atomic<int> expire_cycles{0};

 private:
  std::int64_t now_ms_ = 0;  // expiry is not what these tests are about
  Ticket ticket_ = 0;
};

class DispatchHarness {
 public:
  explicit DispatchHarness(void (*register_commands)(CommandTable&)) {
    register_commands(table_);
    MakeServer(ServerConfig());
  }
  // A new server (and client) with `config`.
  void MakeServer(ServerConfig config) {
    server_ = std::make_unique<Server>(std::move(config), &keyspace_, &table_);
    client_ = NewClient();
  }
  std::shared_ptr<Client> NewClient() {
    auto c = std::make_shared<Client>(server_->NextClientId(), -1, "127.0.0.1:50000",
                                      "127.0.0.1:6379", nullptr, Server::NowMs());
    server_->AddClient(c);
    return c;
  }
  // Runs one command as an I/O thread would and returns what the client received.
  std::string Exec(Client& client, std::initializer_list<std::string_view> args) {
    std::vector<std::string_view> argv(args);
    MutexLock lock(&server_->exec_mutex());
    EXPECT_TRUE(keyspace_.BeginBatch().ok());
    DispatchCommand(*server_, client, argv, Server::NowMs());
    EXPECT_TRUE(keyspace_.EndBatch().ok());
    return client.TakeOutput();
  }
  std::string Exec(std::initializer_list<std::string_view> args) { return Exec(*client_, args); }

  CommandTable table_;
  NetTestKeyspace keyspace_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<Client> client_;
};

}  // namespace larder::server::net_testing

#endif  // LARDER_SERVER_NET_TEST_UTIL_H_
