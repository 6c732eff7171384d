// IoThread: one epoll loop owning a set of connections (epoll by hand; see docs/server.md,
// "Threading and the event loop").
//
// One round of the loop:
//   1. epoll_wait; read every readable connection (bounded per round), adopt new connections
//      handed over by the acceptor, collect clients woken by other threads (Deliver, close).
//   2. Parse every complete command of the ready connections (no lock held).
//   3. Take the execution lock once, Keyspace::BeginBatch, dispatch the commands in arrival
//      order (per connection in order; connections in the order they became ready), EndBatch,
//      release the lock.
//   4. WaitDurable(ticket); only then write the replies (send until EAGAIN, the rest on
//      EPOLLOUT).
//   5. Close the connections that asked for it (each close takes the execution lock to run the
//      services' OnClientClosed and leave the registry).
//
// Backpressure (memory bounded by the limits): a connection whose output holds more than
// kPauseOutputBytes stops being read and stops running commands until the peer has read it, so
// a client that never reads cannot make the server buffer more than about one reply past that
// mark; pub/sub and MONITOR output, which cannot be paused, is bounded by
// client-output-buffer-limit. A connection's unconsumed query bytes are bounded by
// client-query-buffer-limit and the parser's limits (proto-max-bulk-len ...).
//
// Liveness: a connection that is not closing has EPOLLIN in its epoll interest unless one of
// these holds, each with its own way back:
//   - it has complete commands left from a full round (Conn::more): it is in ready_, or will be
//     once its output is flushed down to kPauseOutputBytes (Flush);
//   - its output is over kPauseOutputBytes: EPOLLOUT is in its interest, and the flush it
//     triggers re-evaluates;
//   - it reached EOF or will close after its replies: Flush closes it once all is sent and no
//     complete command is left (Conn::more false).
// A blocked client (Conn::held) is read on, so that its disconnect is seen. Flush re-evaluates
// all of this (UpdateInterest, the close, a held client's resumption), so every connection a
// round touches is flushed: those that ran commands by their batch, and a ready one that ran
// none (blocked, or only part of a command left after a full round) by the round itself.
//
// Thread-safety: Adopt, Wake and Stop are thread-safe; everything else runs on the thread
// itself. Connection records ([O] state of client.h) are touched by this thread only.
#ifndef LARDER_SERVER_IO_THREAD_H_
#define LARDER_SERVER_IO_THREAD_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/mutex.h"
#include "server/client.h"
#include "server/resp_parser.h"

namespace larder::server {

class Server;

class IoThread : public ClientWaker {
 public:
  // Output bytes past which a connection is neither read nor served (see above).
  static constexpr std::size_t kPauseOutputBytes = 1 << 20;
  // Commands of one connection per round (fairness; the rest run in the next round).
  static constexpr std::size_t kMaxCommandsPerRound = 1024;
  // Bytes read from one connection per round.
  static constexpr std::size_t kMaxReadPerRound = 1 << 20;

  IoThread(Server& server, int index);
  ~IoThread() override;  // REQUIRES: Join() returned (or Start never called)
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  Status Start();
  // Hands over an accepted connection (its Client is registered already; waker == this).
  void Adopt(std::shared_ptr<Client> client);
  // Asks the loop to finish its round, close every connection and exit.
  void Stop();
  void Join();

  // ClientWaker: new output or a close request for `client` (any thread).
  void Wake(Client& client) override;

  std::size_t connection_count() const { return connection_count_.load(); }

 private:
  struct Conn;
  struct Parsed;

  void Loop();
  void DrainInbox();
  // Times out blocked clients whose deadline passed (any thread's: the first awake does it).
  void ExpireBlockedClients();
  void ReadFrom(Conn& conn);
  void ParseCommands(Conn& conn, std::vector<Parsed>* out);
  void RunBatch(std::vector<Parsed>& commands);
  void Flush(Conn& conn);
  void UpdateInterest(Conn& conn);
  void MarkReady(Conn& conn);
  void MarkDirty(Conn& conn);
  void CloseConn(Conn& conn);
  void CloseAll();

  Server& server_;
  const int index_;
  int epfd_ = -1;
  int wakefd_ = -1;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> connection_count_{0};

  // Cross-thread inbox. wake_pending_: an eventfd write is outstanding (avoids a syscall per
  // Deliver).
  Mutex inbox_mu_;
  std::vector<std::shared_ptr<Client>> adopt_ GUARDED_BY(inbox_mu_);
  std::vector<std::uint64_t> woken_ GUARDED_BY(inbox_mu_);
  bool wake_pending_ GUARDED_BY(inbox_mu_) = false;

  // Thread-owned.
  std::unordered_map<std::uint64_t, std::unique_ptr<Conn>> conns_;  // by client id
  std::vector<Conn*> ready_;  // have unparsed input to run this round
  std::vector<Conn*> dirty_;  // may have output to write
  std::vector<Conn*> closing_;
  // The configuration this round reads with (taken once per round, not once per connection).
  std::shared_ptr<const ServerConfig> round_config_;
};

}  // namespace larder::server

#endif  // LARDER_SERVER_IO_THREAD_H_
