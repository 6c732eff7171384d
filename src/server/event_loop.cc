#include "server/event_loop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <thread>

#include "base/logging.h"
#include "server/blocking.h"
#include "server/lock_service.h"
#include "server/queue_service.h"
#include "server/run_in_batch.h"
#include "server/server.h"

namespace larder::server {

namespace {

// Keys reclaimed per cron tick by the active expire cycle (bounded work under the lock).
constexpr std::uint64_t kExpireBudgetPerTick = 200;

std::string FormatAddress(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = {0};
  if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    ::inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
    return fmt::format("[{}]:{}", host, ntohs(a->sin6_port));
  }
  const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
  ::inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
  return fmt::format("{}:{}", host, ntohs(a->sin_port));
}

int PortOf(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return -1;
  return ss.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                                  : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

// One listening socket on `address` (IPv4, IPv6, "*" for every IPv4 address). A leading '-'
// (Redis 7's optional bind) makes an unavailable address a skip instead of an error.
Status BindOne(std::string address, int port, int backlog, int* fd_out) {
  *fd_out = -1;
  bool optional = false;
  if (!address.empty() && address[0] == '-') {
    optional = true;
    address.erase(0, 1);
  }
  if (address == "*") address = "0.0.0.0";
  if (address == "::*") address = "::";
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (address.find(':') != std::string::npos) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<std::uint16_t>(port));
    if (::inet_pton(AF_INET6, address.c_str(), &a->sin6_addr) != 1) {
      return Status::InvalidArgument(fmt::format("bind: invalid address '{}'", address));
    }
    len = sizeof(sockaddr_in6);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<std::uint16_t>(port));
    if (::inet_pton(AF_INET, address.c_str(), &a->sin_addr) != 1) {
      return Status::InvalidArgument(fmt::format("bind: invalid address '{}'", address));
    }
    len = sizeof(sockaddr_in);
  }
  const int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::FromErrno("socket", errno);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (ss.ss_family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    const int err = errno;
    ::close(fd);
    if (optional && (err == EADDRNOTAVAIL || err == EAFNOSUPPORT)) return Status::Ok();
    if (err == EADDRINUSE) {
      return Status::Busy(fmt::format(
          "Could not create server TCP listening socket {}:{}: port {} is already in use", address,
          port, port));
    }
    return Status::IOError(fmt::format("Could not create server TCP listening socket {}:{}: {}",
                                       address, port, ::strerror(err)));
  }
  if (::listen(fd, backlog) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::IOError(fmt::format("listen on {}:{}: {}", address, port, ::strerror(err)));
  }
  *fd_out = fd;
  return Status::Ok();
}

void SetClientSocketOptions(int fd, std::int64_t keepalive_seconds) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (keepalive_seconds <= 0) return;
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
  int idle = static_cast<int>(keepalive_seconds);
  int interval = std::max(1, idle / 3);
  int count = 3;
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval));
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count));
}

}  // namespace

EventLoop::EventLoop(Server& server) : server_(server) {}

EventLoop::~EventLoop() {
  for (int fd : listeners_) ::close(fd);
  if (epfd_ >= 0) ::close(epfd_);
  if (wakefd_ >= 0) ::close(wakefd_);
  if (reserve_fd_ >= 0) ::close(reserve_fd_);
}

int EventLoop::ThreadCount(int configured) {
  if (configured > 0) return std::min(configured, 128);
  // One core is left to the rest of the machine (clients, the cron, the log's syncer, the
  // kernel's network work): every command runs under one execution lock, so an I/O thread per
  // core only adds context switches once the cores are busy (docs/server.md, "Threads").
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  return std::clamp(cores - 1, 1, 8);
}

Status EventLoop::Listen(const ServerConfig& config) {
  std::vector<int> ports;
  for (const std::string& address : config.bind) {
    int fd = -1;
    Status s = BindOne(address, config.port, config.tcp_backlog, &fd);
    if (!s.ok()) return s;
    if (fd < 0) continue;  // an optional address not available here
    listeners_.push_back(fd);
    ports.push_back(PortOf(fd));
  }
  if (listeners_.empty()) {
    return Status::InvalidArgument("no address to listen on (bind)");
  }
  MutexLock lock(&server_.ports_mu_);
  server_.bound_ports_ = std::move(ports);
  return Status::Ok();
}

Status EventLoop::Run() {
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) return Status::FromErrno("epoll_create1", errno);
  wakefd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wakefd_ < 0) return Status::FromErrno("eventfd", errno);
  reserve_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wakefd_;
  if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev) != 0) {
    return Status::FromErrno("epoll_ctl", errno);
  }
  for (int fd : listeners_) {
    ev.data.fd = fd;
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      return Status::FromErrno("epoll_ctl", errno);
    }
  }
  const auto config = server_.config();
  const int nthreads = ThreadCount(config->io_threads);
  Status status;
  for (int i = 0; i < nthreads && status.ok(); ++i) {
    threads_.push_back(std::make_unique<IoThread>(server_, i));
    status = threads_.back()->Start();
  }
  server_.shutdown_fd_.store(wakefd_);
  if (status.ok()) {
    std::string where;
    for (const std::string& address : config->bind) where += (where.empty() ? "" : " ") + address;
    LARDER_LOG_INFO("ready to accept connections on {} port {} ({} I/O threads)", where,
                    fmt::join(server_.bound_ports(), ","), nthreads);
  }
  std::int64_t last_cron_ms = 0;
  while (status.ok() && !server_.shutdown_requested()) {
    const int hz = std::clamp(server_.config()->hz, 1, 500);
    epoll_event events[16];
    const int n = ::epoll_wait(epfd_, events, 16, 1000 / hz);
    if (n < 0 && errno != EINTR) {
      status = Status::FromErrno("epoll_wait", errno);
      break;
    }
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd == wakefd_) {
        std::uint64_t value;
        [[maybe_unused]] ssize_t r = ::read(wakefd_, &value, sizeof(value));
      } else {
        AcceptFrom(events[i].data.fd);
      }
    }
    // The cron runs on every wake-up at most hz times a second; accepting does not starve it.
    const std::int64_t now = Server::NowMs();
    if (now - last_cron_ms >= 1000 / hz) {
      last_cron_ms = now;
      Cron();
    }
  }
  server_.shutdown_fd_.store(-1);
  for (int fd : listeners_) ::close(fd);
  listeners_.clear();
  for (auto& t : threads_) t->Stop();
  for (auto& t : threads_) t->Join();
  threads_.clear();
  return status;
}

void EventLoop::AcceptFrom(int listen_fd) {
  for (int i = 0; i < 1000; ++i) {
    sockaddr_storage peer{};
    socklen_t len = sizeof(peer);
    const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      if ((errno == EMFILE || errno == ENFILE) && reserve_fd_ >= 0) {
        // Out of descriptors: accept and close one so the listener does not stay readable.
        LARDER_LOG_WARN("out of file descriptors: refusing a connection (raise ulimit -n)");
        ::close(reserve_fd_);
        const int extra = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (extra >= 0) ::close(extra);
        reserve_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      }
      return;
    }
    const auto config = server_.config();
    if (server_.client_count() >= config->maxclients) {
      // Counted before the reply goes out: a client that read the error sees the count.
      server_.stats().rejected_connections.fetch_add(1, std::memory_order_relaxed);
      static constexpr char kMsg[] = "-ERR max number of clients reached\r\n";
      [[maybe_unused]] ssize_t n = ::send(fd, kMsg, sizeof(kMsg) - 1, MSG_NOSIGNAL);
      ::close(fd);
      LARDER_LOG_WARN("connection refused: max number of clients reached (maxclients {})",
                      config->maxclients);
      continue;
    }
    SetClientSocketOptions(fd, config->tcp_keepalive_seconds);
    sockaddr_storage local{};
    socklen_t local_len = sizeof(local);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len);
    IoThread& thread = *threads_[next_thread_++ % threads_.size()];
    auto client = std::make_shared<Client>(server_.NextClientId(), fd, FormatAddress(peer),
                                           FormatAddress(local), &thread, Server::NowMs());
    // As Redis: a connection is authenticated while requirepass is unset at connect time.
    client->authenticated = config->requirepass.empty();  // not shared yet: no lock needed
    server_.AddClient(client);
    server_.stats().connections_received.fetch_add(1, std::memory_order_relaxed);
    thread.Adopt(std::move(client));
  }
}

void EventLoop::Cron() {
  const auto config = server_.config();
  const std::int64_t now = Server::NowMs();
  const auto clients = server_.ListClients();
  // Leases that ran out end (and the lock table is loaded after a restart) in a batch of their
  // own, so the waiters granted are served, their grants sent once durable.
  bool lock_tick = false;
  {
    MutexLock lock(&server_.exec_mutex());
    lock_tick = !server_.poisoned() && server_.Service<LockService>().TickDue(now);
  }
  if (lock_tick) (void)RunInBatch(server_, [&] { server_.Service<LockService>().Tick(now); });
  bool queue_tick = false;
  {
    MutexLock lock(&server_.exec_mutex());
    queue_tick = !server_.poisoned() && server_.Service<QueueService>().TickDue(now);
  }
  if (queue_tick) (void)RunInBatch(server_, [&] { server_.Service<QueueService>().Tick(now); });
  server_.Service<QueueService>().SyncEverySecond(now);
  // Keys the expiry cycle removed are ready keys for the clients blocked on them (a blocked
  // XREADGROUP replies that its stream is gone): an empty batch of their own serves them.
  bool serve_expired = false;
  {
    MutexLock lock(&server_.exec_mutex());
    Keyspace& keyspace = server_.keyspace();
    if (!server_.poisoned()) {
      Result<std::uint64_t> expired = keyspace.ActiveExpireCycle(kExpireBudgetPerTick);
      if (!expired.ok()) server_.Poison(expired.status());
      const BlockingService* blocking = server_.blocking_service();
      serve_expired =
          expired.ok() && *expired > 0 && blocking != nullptr && blocking->blocked_clients() > 0;
      const Status checkpoint = keyspace.MaybeCheckpoint();
      if (!checkpoint.ok()) server_.Poison(checkpoint);
    }
  }
  if (serve_expired) (void)RunInBatch(server_, [] {});
  MutexLock lock(&server_.exec_mutex());
  for (const auto& client : clients) {
    // Blocked clients have timeouts of their own (blocking.h), as in Redis.
    if (config->timeout_seconds > 0 && client->subscription_count() == 0 && !client->monitor &&
        !client->blocked && now - client->last_interaction_ms() > config->timeout_seconds * 1000) {
      LARDER_LOG_INFO("closing idle client id={} addr={} (timeout {} s)", client->id(),
                      client->addr(), config->timeout_seconds);
      server_.stats().timeout_disconnections.fetch_add(1, std::memory_order_relaxed);
      client->RequestClose("idle timeout");
      continue;
    }
    const OutputBufferLimit& limit = client->output_class() == OutputClass::kPubSub
                                         ? config->output_pubsub
                                         : config->output_normal;
    if (client->CheckOutputLimit(limit, now)) {
      server_.stats().client_output_buffer_limit_disconnections.fetch_add(1);
    }
  }
}

// ---- Server's running part ----

Status Server::Run() {
  EventLoop loop(*this);
  Status s = loop.Listen(*config());
  if (!s.ok()) return s;
  return loop.Run();
}

std::vector<int> Server::bound_ports() const {
  MutexLock lock(&ports_mu_);
  return bound_ports_;
}

void Server::RequestShutdown() {
  shutdown_.store(true, std::memory_order_release);
  const int fd = shutdown_fd_.load();
  if (fd >= 0) {
    const std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(fd, &one, sizeof(one));
  }
}

}  // namespace larder::server
