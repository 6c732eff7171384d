// TransactionService: the server's WATCH table (a WatchRegistry installed as the keyspace's
// observer) and what EXEC needs to know about itself. The commands MULTI, EXEC, DISCARD, WATCH
// and UNWATCH are in transaction_commands.cc (RegisterTransactionCommands).
//
// Semantics: Redis 7.0's. Commands sent after MULTI are queued by the dispatcher (a rejected one
// flags the transaction, EXEC then replies EXECABORT); EXEC runs the queued commands one after
// the other inside the handler of EXEC, so inside one keyspace batch under the execution lock:
// no other client's command runs in between, and the batch's writes reach the write-ahead log as
// one record (durable as one unit). EXEC replies a null array when a WATCHed key was modified
// (or expired) since WATCH.
//
// Lock rules: everything here REQUIRES the server's execution lock (command handlers and the
// close path hold it), except what WatchRegistry documents as thread-safe. watchers_ holds a
// Client* exactly while the registry has keys for that client's id; OnClientClosed/Reset drop
// it before the client goes away.
#ifndef LARDER_SERVER_TRANSACTION_H_
#define LARDER_SERVER_TRANSACTION_H_

#include <cstdint>
#include <string_view>
#include <unordered_map>

#include "larder/result.h"
#include "server/server.h"
#include "server/watch_registry.h"

namespace larder::server {

struct CommandContext;

class TransactionService final : public ServerService {
 public:
  // Installs the registry as the keyspace's observer.
  explicit TransactionService(Server& server);
  ~TransactionService() override;

  // WATCH of `key` in the client's current database (looks its state up in ctx.db).
  Status Watch(CommandContext& ctx, std::string_view key);
  // EXEC's check: true when the transaction must fail (looks up keys after a flush or swap).
  Result<bool> Dirty(CommandContext& ctx);
  // Forgets the client's watched keys (EXEC, DISCARD, UNWATCH, RESET, close).
  void Unwatch(Client& client);

  // The client whose EXEC is running its queued commands (0: none), for commands Redis refuses
  // inside a transaction at run time (MONITOR).
  bool InsideExec(const Client& client) const { return executing_ == client.id(); }
  void set_executing(std::uint64_t id) { executing_ = id; }

  void OnClientClosed(Client& client) override { Unwatch(client); }

  const WatchRegistry& registry() const { return registry_; }

 private:
  Server& server_;
  std::unordered_map<std::uint64_t, Client*> watchers_;  // id -> client (see lock rules)
  WatchRegistry registry_;
  std::uint64_t executing_ = 0;
};

}  // namespace larder::server

#endif  // LARDER_SERVER_TRANSACTION_H_
