// Client: one connection's state. Created by an I/O thread when it accepts a connection (or by a
// test with no socket), registered with the Server, destroyed after it is closed.
//
// Lock rules (stated before the code). Every field below belongs to exactly one of these groups:
//   [I] Immutable after construction: id, addr, laddr, fd, the waker, created time. Any thread.
//   [E] Command state: read and written only with the server's execution lock held
//       (Server::exec_mutex()), by any thread. The client's own commands run with that lock held
//       (the dispatcher), and other clients' commands under the same lock may change it too
//       (a write to a WATCHed key flags the transaction, CLIENT KILL reads it, PUBLISH reads the
//       protocol to encode a message). Nothing reads it without the lock, not even the owner.
//   [O] Owner: the I/O thread that owns the connection only (query buffer, parser, write
//       offset). Private to the event loop (io_thread.cc is a friend).
//   [M] Output: guarded by out_mu_: the pending output bytes, the output-buffer-limit state and
//       the close request. Any thread may append (Deliver) or request a close; only the owner
//       thread writes to the socket and consumes the bytes. Two of them are mirrored in atomics
//       written only under out_mu_, so the owner's per-command checks take no lock: the close
//       request (set once, never cleared) and the pending byte count. Only the owner lowers
//       that count (or a close, which drops the pending bytes), so the owner reads its own
//       last store or a later one: never a stale count above what it left.
//   [A] Atomics: statistics read without a lock by CLIENT LIST/INFO (approximate by nature).
// Lock order: the execution lock, then a client's out_mu_, then the owner thread's wake-up queue
// lock. out_mu_ is never held while calling out of Client.
//
// Ordering: a command's reply is appended to the output with Deliver-like semantics while the
// execution lock is held, so a message published after the command ran (e.g. a PUBLISH after a
// SUBSCRIBE) is always behind that command's reply. The owner sends output only after
// WaitDurable of the batch that produced the replies, so nothing acknowledges a write before it
// is durable, and messages queued behind a reply wait for it.
//
// Lifetime: clients are held by std::shared_ptr (owner thread and registry). Services that keep
// raw Client pointers (pub/sub, MONITOR, WATCH) drop them in ServerService::OnClientClosed, which
// runs with the execution lock held before the client leaves the registry; so a Client* found
// under the execution lock is valid until the lock is released.
#ifndef LARDER_SERVER_CLIENT_H_
#define LARDER_SERVER_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "server/command.h"
#include "server/config.h"

namespace larder::server {

class Client;

// Wakes the I/O thread that owns a client so that it sends newly delivered output or acts on a
// close request. Implemented by the event loop; thread-safe. Null for clients without a socket.
class ClientWaker {
 public:
  virtual ~ClientWaker() = default;
  virtual void Wake(Client& client) = 0;
};

// CLIENT REPLY ON|OFF|SKIP.
enum class ReplyMode : std::uint8_t { kOn, kOff, kSkip };

// MULTI state, filled by the dispatcher (queueing) and the `multi` family (MULTI/EXEC/DISCARD).
struct MultiState {
  bool active = false;   // between MULTI and EXEC/DISCARD
  bool aborted = false;  // a command was rejected while queueing: EXEC replies EXECABORT
  // Queued commands, their arguments copied (argv[0] the name as sent).
  std::vector<std::vector<std::string>> queued;
};

// The output-buffer-limit class the client is counted in (client-output-buffer-limit).
enum class OutputClass : std::uint8_t { kNormal, kPubSub };

// Held by std::shared_ptr wherever a socket owns it (the blocking service keeps served clients
// alive through shared_from_this until their replies are delivered).
class Client : public std::enable_shared_from_this<Client> {
 public:
  // A connection accepted on `fd` (-1 for a test client without a socket). `waker` may be null.
  Client(std::uint64_t id, int fd, std::string addr, std::string laddr, ClientWaker* waker,
         std::int64_t now_ms);
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // ---- [I] immutable ----
  std::uint64_t id() const { return id_; }
  int fd() const { return fd_; }
  const std::string& addr() const { return addr_; }    // peer, "127.0.0.1:51234"
  const std::string& laddr() const { return laddr_; }  // local, "127.0.0.1:6379"
  std::int64_t created_ms() const { return created_ms_; }

  // ---- [E] command state: only with the execution lock held ----
  std::string name;            // CLIENT SETNAME / HELLO SETNAME; empty: none
  int db = 0;                  // SELECT index
  int protocol = 2;            // HELLO 2|3
  bool authenticated = false;  // AUTH/HELLO; set at accept while requirepass is unset
  ReplyMode reply_mode = ReplyMode::kOn;
  bool monitor = false;  // MONITOR: receives every command (flag 'O')
  MultiState multi;      // MULTI/EXEC
  // WATCHed keys (db, key) and whether one was modified since (EXEC then fails with a null).
  std::vector<std::pair<int, std::string>> watched_keys;
  bool watch_dirty = false;
  // SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE.
  std::set<std::string> channels;
  std::set<std::string> patterns;
  std::set<std::string> shard_channels;
  std::string last_command;        // "cmd=" of CLIENT LIST (lower case; "client|list" style)
  CommandMemo command_memo;        // the dispatcher's lookup of this client's last command
  bool close_after_reply = false;  // QUIT, CLIENT KILL of itself: close once the reply is sent
  // Blocked by a blocking command that pauses the connection (BLPOP...; blocking.h): in the
  // BlockingService's queues. CLIENT LIST flag 'b', INFO blocked_clients.
  bool blocked = false;
  // Set by BlockingService::Block during a handler (a block or a re-run's re-block); the
  // dispatcher reads and clears it around each handler call.
  bool block_requested = false;

  std::size_t subscription_count() const {
    return channels.size() + patterns.size() + shard_channels.size();
  }
  // RESP2 subscribed mode (only (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT, RESET allowed).
  bool in_subscribed_mode() const { return protocol == 2 && subscription_count() > 0; }
  OutputClass output_class() const {
    return subscription_count() > 0 ? OutputClass::kPubSub : OutputClass::kNormal;
  }
  // CLIENT LIST "flags=": N, or a combination of x (MULTI), b (blocked), P (pub/sub),
  // O (monitor), A (closing as soon as possible), d (watched key modified).
  std::string Flags() const;
  // One CLIENT LIST / CLIENT INFO line (without the newline), Redis 7.0's fields.
  std::string InfoLine(std::int64_t now_ms) const;

  // ---- [M] output: thread-safe ----
  // Appends bytes to the output and wakes the owner thread. The output-buffer limit of `cls`
  // (client-output-buffer-limit) applies: past the hard limit, or past the soft limit for longer
  // than soft-seconds, the client is closed (a log line names it and the limit) and the bytes
  // are dropped. Returns false when the bytes were dropped (client closing or limit hit).
  bool Deliver(std::string_view bytes, const OutputBufferLimit& limit, std::int64_t now_ms);
  // Closes the connection as soon as possible (CLIENT KILL, limits, shutdown). Thread-safe;
  // the owner closes it when it next runs. `reason` goes to the log.
  void RequestClose(std::string_view reason);
  bool close_requested() const { return close_.load(std::memory_order_acquire); }
  // Pending output bytes (omem of CLIENT LIST, limits).
  std::size_t output_bytes() const { return output_bytes_.load(std::memory_order_acquire); }
  // Test clients (fd -1): takes everything delivered so far.
  std::string TakeOutput();
  // The cron: applies the soft limit to a client that receives nothing more (closes it once it
  // stayed over the soft limit for soft-seconds). True when the client was closed.
  bool CheckOutputLimit(const OutputBufferLimit& limit, std::int64_t now_ms);

  // ---- [A] pause of a blocked connection (blocking.h) ----
  // True from the Block of a pausing blocking command until its reply (served, timed out,
  // unblocked) is delivered: the owner thread runs none of the connection's commands meanwhile
  // (pipelined ones wait in its query buffer). Set with the execution lock held (Block); cleared
  // by Resume, after the reply was delivered, without it.
  bool paused() const { return paused_.load(std::memory_order_acquire); }
  void set_paused() { paused_.store(true, std::memory_order_release); }
  // Clears the pause and wakes the owner thread, which resumes parsing the connection's input.
  // Thread-safe.
  void Resume();

  // ---- [A] statistics ----
  std::int64_t last_interaction_ms() const {
    return last_interaction_ms_.load(std::memory_order_relaxed);
  }
  void Touch(std::int64_t now_ms) { last_interaction_ms_.store(now_ms, std::memory_order_relaxed); }
  std::size_t query_buffer_bytes() const { return qbuf_bytes_.load(std::memory_order_relaxed); }
  std::uint64_t commands_processed() const { return commands_.load(std::memory_order_relaxed); }
  void CountCommand() { commands_.fetch_add(1, std::memory_order_relaxed); }

 private:
  friend class IoThread;  // the owner: [O] fields, consuming output

  // Under out_mu_: the soft-limit timer and the hard limit; true when the client must close.
  bool OverLimitLocked(const OutputBufferLimit& limit, std::int64_t now_ms) REQUIRES(out_mu_);
  // Under out_mu_: sets the close request (false if it was already set).
  bool SetCloseLocked(std::string reason) REQUIRES(out_mu_);
  // Under out_mu_: publishes out_ and taken_unsent_'s sum to output_bytes_.
  void PublishOutputBytesLocked() REQUIRES(out_mu_) {
    output_bytes_.store(out_.size() + taken_unsent_, std::memory_order_release);
  }

  const std::uint64_t id_;
  const int fd_;
  const std::string addr_;
  const std::string laddr_;
  ClientWaker* const waker_;
  const std::int64_t created_ms_;

  // The owner: swaps the delivered bytes into *buf (which must be empty) to send them.
  void TakeForSend(std::string* buf);
  // The owner: bytes taken by TakeForSend not written yet (counted by the limits). Not needed
  // once all were written when TakeForSend follows (it resets the count).
  void NoteUnsent(std::size_t unsent);
  std::string close_reason() const;

  mutable Mutex out_mu_;
  std::string out_ GUARDED_BY(out_mu_);               // delivered, not yet taken by the owner
  std::size_t taken_unsent_ GUARDED_BY(out_mu_) = 0;  // taken by the owner, not yet written
  std::int64_t soft_limit_since_ms_ GUARDED_BY(out_mu_) = 0;  // 0: under the soft limit
  std::string close_reason_ GUARDED_BY(out_mu_);
  std::atomic<bool> close_{false};            // written under out_mu_ (SetCloseLocked)
  std::atomic<std::size_t> output_bytes_{0};  // written under out_mu_ (PublishOutputBytesLocked)

  std::atomic<bool> paused_{false};
  std::atomic<std::int64_t> last_interaction_ms_;
  std::atomic<std::size_t> qbuf_bytes_{0};
  std::atomic<std::uint64_t> commands_{0};

  // [O] owner thread state lives in the event loop's per-connection record (io_thread.h).
  void SetQueryBufferBytes(std::size_t n) { qbuf_bytes_.store(n, std::memory_order_relaxed); }
};

}  // namespace larder::server

#endif  // LARDER_SERVER_CLIENT_H_
