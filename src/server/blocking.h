// Blocked clients: a command that cannot be served now (BLPOP on an empty list, BZPOPMIN,
// BLMOVE, LOCK.ACQUIRE on a held lock...) parks its client until one of the keys it waits on
// changes, its timeout passes, CLIENT UNBLOCK, or its connection closes.
//
// The model is Redis 7's "re-run the command":
//   - A handler that cannot serve calls BlockingService::Block(ctx, options) and writes NO reply.
//     The client is then blocked: its connection runs no further command (pipelined commands
//     wait in its query buffer) until it is unblocked.
//   - Every modification of a key (KeyspaceObserver::OnKeyModified, or SignalKeyReady for keys
//     outside the keyspace such as lock names) marks the key ready when clients wait on it.
//   - ServeReadyClients runs after every command the dispatcher runs (after EXEC as a whole,
//     never between a transaction's commands): for each ready key, it re-runs the blocked
//     command's handler for each client blocked on that key, in the order they blocked (first
//     come, first served), in the blocked client's database and protocol. A handler that can now
//     serve writes its reply and the client is unblocked; one that calls Block again stays
//     blocked in its place (a re-run Block keeps the client's position in every queue). Writes
//     made by re-runs can make more keys ready (BLMOVE pushes): serving repeats until no key is
//     ready.
//   - Replies of served clients are delivered only after the batch that served them is durable
//     (TakeServedReplies / DeliverServedReplies below, called by the I/O thread around
//     Keyspace::WaitDurable), and only then does the client's connection resume.
//   - A timeout delivers options.on_timeout's reply (BLPOP: the null array) and unblocks.
//   - Inside MULTI/EXEC and LOCK.DO (ctx.may_block == false) a handler must not block: it replies
//     as on a timeout at once (Redis's behaviour).
//   - Statistics as Redis 7.0: MONITOR sees the command when it arrives; commandstats count one
//     call when it ends (served, timed out, unblocked), a CLIENT UNBLOCK ... ERROR as failed.
//   - A client has at most one pausing block (its connection runs nothing else meanwhile); with
//     pause_client = false it may have several waits at once (each its own entry in the queues).
//     CLIENT UNBLOCK, close and RESET end every wait of the client.
//
// Lock rule: every method REQUIRES the server's execution lock, except where stated. The
// service's queues and each client's [E] blocked state (client.h) are guarded by it. A served
// client's reply, held between TakeServedReplies and DeliverServedReplies, belongs to the I/O
// thread that took it.
#ifndef LARDER_SERVER_BLOCKING_H_
#define LARDER_SERVER_BLOCKING_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/command.h"
#include "server/keyspace.h"
#include "server/server.h"

namespace larder::server {

class ReplyBuilder;

// A key a client waits on. `db` is a logical database for keyspace keys; services with keys of
// their own (the lock service) use a negative namespace number of their own.
struct WaitKey {
  int db = 0;
  std::string key;
  friend bool operator==(const WaitKey&, const WaitKey&) = default;
};

inline constexpr int kLockNamespace = -1;  // lock names (LOCK.ACQUIRE)

enum class UnblockReason { kServed, kTimeout, kUnblockTimeout, kUnblockError, kClosed, kReset };

struct BlockOptions {
  std::vector<WaitKey> keys;     // waited on in this order (duplicates ignored)
  std::int64_t deadline_ms = 0;  // unix ms; 0: no timeout
  // The reply on a timeout or CLIENT UNBLOCK id TIMEOUT (BLPOP: null array; BLMOVE: null bulk).
  void (*on_timeout)(ReplyBuilder& reply) = nullptr;
  // Called when the client leaves the queues for any reason but kServed (timeout, unblock,
  // close, reset), with the execution lock held: services with state of their own (a lock's
  // waiter list) drop the client there. May be null.
  void (*on_unblock)(Server& server, Client& client, UnblockReason reason) = nullptr;
  // false (LOCK.ACQUIRE ASYNC): the connection keeps running commands while it waits; the
  // re-run's reply (a push) is delivered when it is served, and nothing on a timeout unless
  // on_timeout is set.
  bool pause_client = true;
  // (Addition.) Keyspace keys only: re-run the command only when the ready key exists with this
  // type (Redis 7.0: a BLPOP stays blocked when its key becomes a string, or expired before
  // serving). Unset: every modification of a waited key re-runs it.
  std::optional<ValueType> key_type;
};

class BlockingService : public ServerService, public KeyspaceObserver {
 public:
  explicit BlockingService(Server& server);
  ~BlockingService() override;

  // The handler of ctx's command blocks its client (see above). Copies ctx.argv. Inside a
  // re-run of that client's command, keeps its place instead. REQUIRES: ctx.may_block.
  void Block(CommandContext& ctx, BlockOptions options);

  // (Addition.) True inside a re-run of the client's blocked command: a handler that replies at
  // once when it first blocks (LOCK.ACQUIRE ASYNC's +QUEUED) stays silent when it blocks again.
  bool Rerunning(const Client& client) const;
  // (Addition, lists.) Inside a re-run of the client's command: the ready key it is re-run for,
  // else null. Redis 7.0 serves a client blocked on several keys from the key that became
  // ready (BLPOP a b: served from b when b gets an element, even if a has one too).
  const WaitKey* ServingKey(const Client& client) const;

  // Marks a key ready (services whose keys are not keyspace keys).
  void SignalKeyReady(const WaitKey& key);

  // Re-runs blocked commands on ready keys until none is ready (the dispatcher, after each
  // command it ran).
  void ServeReadyClients(std::int64_t now_ms);

  // Times out every client whose deadline is <= now_ms; returns the earliest deadline still
  // pending (0: none), for the caller's next wake-up.
  std::int64_t ExpireTimeouts(std::int64_t now_ms);
  // (Addition.) The earliest deadline pending (0: none). Thread-safe, without the lock (an
  // atomic): the I/O threads bound their epoll_wait by it and then call ExpireTimeouts through
  // RunInBatch (run_in_batch.h).
  std::int64_t next_deadline_ms() const;

  // CLIENT UNBLOCK: false when the client is not blocked.
  bool Unblock(Client& client, UnblockReason reason, std::int64_t now_ms);

  // Clients blocked now (INFO clients blocked_clients), and the keys waited on (INFO
  // clients' blocking_keys later).
  std::size_t blocked_clients() const;
  // The clients blocked on `key`, in queue order (LOCK.INFO's waiters).
  std::vector<Client*> Waiters(const WaitKey& key) const;

  // Replies of clients served (or timed out) since the last call, for the I/O thread to hand
  // over after its batch is durable. Each entry keeps its client alive.
  struct ServedReply {
    std::shared_ptr<Client> client;
    std::string bytes;
    bool resume = true;  // the connection was paused and resumes after the delivery
  };
  std::vector<ServedReply> TakeServedReplies();
  // Without the execution lock: delivers, un-pauses and wakes each client's I/O thread.
  static void DeliverServedReplies(Server& server, std::vector<ServedReply> replies,
                                   std::int64_t now_ms);

  // ServerService / KeyspaceObserver.
  void OnClientClosed(Client& client) override;
  void OnClientReset(Client& client) override;
  void OnKeyModified(int db, std::optional<std::string_view> key) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace larder::server

#endif  // LARDER_SERVER_BLOCKING_H_
