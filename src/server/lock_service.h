// LockService: larderd's lock service (docs/locks.md): the lock table (lock_table.h), its
// durable copy (lock_store.h), and the glue to the server: waiters wait as blocked clients
// (blocking.h, WaitKey{kLockNamespace, name}); a connection's holds end when it closes; leases
// end on the server's cron; the table is loaded and cleaned once after a restart.
//
// How a waiter is granted: a release (RELEASE, WRITERELEASE, a lease's end, a holder's
// connection closing) signals the lock's WaitKey ready; the blocking service then re-runs the
// blocked LOCK.ACQUIREs in the order they blocked; the first re-run finds the lock free and
// its client first in the table's queue, and is granted; the others find it held and block
// again in their place. The table's queue and the blocking service's queue hold the same
// clients in the same order (both append at the first Block, both drop on unblock).
//
// Lock rule: every method REQUIRES the server's execution lock (it is a ServerService: its
// hooks are called with it held), and every method but TickDue an open batch: commands run in
// one, the close path and the cron's Tick in RunInBatch's (run_in_batch.h), so the waiters a
// release signals are served, and their grants sent once the release is durable.
#ifndef LARDER_SERVER_LOCK_SERVICE_H_
#define LARDER_SERVER_LOCK_SERVICE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "larder/status.h"
#include "server/lock_table.h"
#include "server/server.h"

namespace larder::server {

class LockService : public ServerService {
 public:
  explicit LockService(Server& server);

  LockTable& table() { return table_; }

  // Loads the stored table the first time (a restart: connection-bound holds are released and
  // logged, leases restored), then ends every lease due at now_ms. REQUIRES: a batch.
  Status Prepare(Keyspace& keyspace, std::int64_t now_ms);

  // Ends the hold of `name` (REQUIRES: held): stored, then the lock's waiters are signalled.
  Status Release(Keyspace& keyspace, std::string_view name);

  // The client leaves the queue it waits in (timeout, close, CLIENT UNBLOCK, refusal). When it
  // leaves a free lock's queue, the waiters left are signalled: it may have been the one whose
  // turn it was (a client closing while its grant was due is served nothing).
  void RemoveWaiter(std::uint64_t client_id);

  // Ends the connection-bound holds of `client`. REQUIRES: a batch.
  Status ReleaseConnectionHolds(Keyspace& keyspace, const Client& client, std::int64_t now_ms);

  // ServerService: a closing connection leaves the queue it waits in, and its
  // connection-bound holds end (the next waiters are granted).
  void OnClientClosed(Client& client) override;
  void OnClientReset(Client& client) override;
  // The cron (about every 100 ms): whether Tick has work (the table is not loaded yet, or a
  // lease ran out), checked without a batch; Tick does it (loads, ends the leases).
  bool TickDue(std::int64_t now_ms) const;
  void Tick(std::int64_t now_ms);

 private:
  // Wakes the lock's waiters (the blocking service re-runs their LOCK.ACQUIREs).
  void SignalWaiters(std::string_view name);

  Server& server_;
  LockTable table_;
  bool loaded_ = false;
};

}  // namespace larder::server

#endif  // LARDER_SERVER_LOCK_SERVICE_H_
