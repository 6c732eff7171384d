// Tests only: a blocking loopback client connection (Conn) and RESP helpers; the std::map keyspace
// of command_test_util.h, counting batches and cron calls, with an injectable log failure
// (EndBatch) to exercise the engine-error paths of the dispatcher and the event loop; and
// DispatchHarness, which runs commands through DispatchCommand as an I/O thread does and returns
// the raw bytes the client received.
//
// Thread-safety: as Keyspace's contract (the execution lock serializes every call).
#ifndef LARDER_SERVER_NET_TEST_UTIL_H_
#define LARDER_SERVER_NET_TEST_UTIL_H_

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
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

// A blocking loopback connection with a 20 s receive timeout (a hang fails, never blocks ctest).
class Conn {
 public:
  explicit Conn(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{20, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }
  ~Conn() { ::close(fd_); }
  bool connected() const { return connected_; }
  void Send(std::string_view s) {
    while (!s.empty()) {
      const ssize_t n = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      s.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  // Reads exactly n bytes (fewer at EOF or timeout).
  std::string Read(std::size_t n) {
    std::string out;
    char buf[65536];
    while (out.size() < n) {
      const ssize_t r = ::recv(fd_, buf, std::min(sizeof(buf), n - out.size()), 0);
      if (r <= 0) break;
      out.append(buf, static_cast<std::size_t>(r));
    }
    return out;
  }
  std::string Command(std::string_view request, std::size_t reply_len) {
    Send(request);
    return Read(reply_len);
  }
  // True when nothing arrives within `ms` milliseconds.
  bool NothingWithin(int ms) {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, ms) == 0;
  }
  // True when the server closed the connection (EOF) before the timeout.
  bool AtEof() {
    char c;
    const ssize_t r = ::recv(fd_, &c, 1, 0);
    return r == 0 || (r < 0 && errno == ECONNRESET);  // unread input makes the close a reset
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

inline std::string Bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

inline std::string Multibulk(std::initializer_list<std::string_view> args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (std::string_view a : args) out += Bulk(a);
  return out;
}

}  // namespace larder::server::net_testing

#endif  // LARDER_SERVER_NET_TEST_UTIL_H_
