// EventLoop: the listeners, the acceptor and the cron of a running Server, and its I/O threads.
//
// The thread that calls Run() accepts connections (every `bind` address, one epoll set with the
// listeners and a wake-up eventfd), hands each to an I/O thread round-robin, and runs the cron
// `hz` times a second: ActiveExpireCycle with a budget, Keyspace::MaybeCheckpoint, idle-client
// timeouts and the output buffers' soft limits, all with the execution lock held.
//
// Thread-safety: one EventLoop per Server::Run; its methods run on Run()'s thread except where
// noted. Server::RequestShutdown wakes it through the eventfd (async-signal-safe).
#ifndef LARDER_SERVER_EVENT_LOOP_H_
#define LARDER_SERVER_EVENT_LOOP_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "larder/status.h"
#include "server/config.h"
#include "server/io_thread.h"

namespace larder::server {

class Server;

class EventLoop {
 public:
  explicit EventLoop(Server& server);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Binds every address of config.bind on config.port. A port in use fails with
  // "port N is already in use".
  Status Listen(const ServerConfig& config);
  // Serves until the server's shutdown is requested; then stops accepting, lets each I/O thread
  // finish its round and close its clients, and returns.
  Status Run();

  // The number of I/O threads for `configured` (0: the cores less one, from 1 to 8).
  static int ThreadCount(int configured);

 private:
  void AcceptFrom(int listen_fd);
  void Cron();

  Server& server_;
  int epfd_ = -1;
  int wakefd_ = -1;
  int reserve_fd_ = -1;  // released to accept-and-close when out of descriptors
  std::vector<int> listeners_;
  std::vector<std::unique_ptr<IoThread>> threads_;
  std::size_t next_thread_ = 0;
};

}  // namespace larder::server

#endif  // LARDER_SERVER_EVENT_LOOP_H_
