// LockTable: the lock service's state in memory (docs/locks.md): for each lock name its holder
// and its queue of waiters, the fencing counter, and the indexes the service needs (the
// connection-bound holds of a client, the leases by deadline, the lock a client waits for).
// Pure data: no keyspace, no clients, no clock. The service (lock_service.h) persists what
// must survive a restart (lock_store.h) and wakes waiters (blocking.h).
//
// Invariants (checked by CheckInvariants; every public method keeps them):
//   1. A name is in the table iff its lock has a holder or at least one waiter.
//   2. A client waits in at most one queue, at most once; waiting_[c] names that queue. It
//      never waits for a lock it holds.
//   3. conn_holds_[c] holds exactly the names whose holder has client_id c and no lease
//      (lease_until_ms == 0); leases_ holds exactly (lease_until_ms, name) of every leased
//      holder.
//   4. Every fencing number given is <= last_fencing(), which never decreases; two grants
//      never get the same fencing number (so never the same token: the token embeds it).
//
// Thread-safety: none; the service uses it under the server's execution lock.
#ifndef LARDER_SERVER_LOCK_TABLE_H_
#define LARDER_SERVER_LOCK_TABLE_H_

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "larder/status.h"

namespace larder::server {

struct LockHolder {
  std::string token;                // "<fencing>-<32 random hex digits>": unguessable, unique
  std::uint64_t fencing = 0;        // this grant's fencing number
  std::string owner;                // OWNER text (may be empty)
  std::uint64_t client_id = 0;      // the connection that acquired it (CLIENT ID)
  std::int64_t acquired_ms = 0;     // unix ms of the grant
  std::int64_t lease_until_ms = 0;  // unix ms the lease ends; 0: bound to the connection
  std::int64_t lease_ms = -1;       // the lease length last asked for (LOCK.INFO); -1: none
};

struct LockWaiter {
  std::uint64_t client_id = 0;
  std::string owner;
  std::int64_t since_ms = 0;
  bool async = false;  // LOCK.ACQUIRE ASYNC: told of its grant or timeout by a push
};

struct LockEntry {
  std::optional<LockHolder> holder;
  std::deque<LockWaiter> waiters;  // first come, first served
};

class LockTable {
 public:
  // null when the lock is neither held nor awaited.
  const LockEntry* Find(std::string_view name) const;
  const LockHolder* Holder(std::string_view name) const;

  // True when `client_id` may take the lock now: it is free and nobody waits, or the client
  // is the first in its queue (a waiter's re-run).
  bool CanGrant(std::string_view name, std::uint64_t client_id) const;
  // Gives the lock to the client (REQUIRES: CanGrant): the next fencing number, a new token;
  // the client leaves the queue. `lease_ms` > 0 makes a leased hold ending at now + lease_ms.
  const LockHolder& Grant(std::string_view name, std::uint64_t client_id, std::string owner,
                          std::int64_t lease_ms, std::int64_t now_ms);
  // Queues the client at the back (no-op when it already waits there). REQUIRES: it waits
  // nowhere else and does not hold the lock.
  void Enqueue(std::string_view name, LockWaiter waiter);
  // The client leaves the queue it waits in (timeout, close, CLIENT UNBLOCK); the lock's name,
  // or nullopt when it waited nowhere.
  std::optional<std::string> RemoveWaiter(std::uint64_t client_id);
  // The lock the client waits for, if any.
  const std::string* WaitingFor(std::uint64_t client_id) const;

  // The holder when `token` holds the lock, else null.
  const LockHolder* CheckToken(std::string_view name, std::string_view token) const;
  // Ends the hold (REQUIRES: held); returns the former holder.
  LockHolder Release(std::string_view name);
  // The lease now ends at until_ms (REQUIRES: held); a connection-bound hold becomes leased.
  void Extend(std::string_view name, std::int64_t lease_ms, std::int64_t until_ms);

  // The names of the connection-bound holds of a client (to release when it closes).
  std::vector<std::string> ConnectionHolds(std::uint64_t client_id) const;
  // Leased holds whose lease ended at or before now_ms, oldest first.
  std::vector<std::string> DueLeases(std::int64_t now_ms) const;

  // Names of every held or awaited lock, sorted.
  std::vector<std::string> Names() const;
  std::size_t size() const { return locks_.size(); }

  // Restart: a holder read back from the store, and the fencing counter.
  void Restore(std::string name, LockHolder holder);
  std::uint64_t last_fencing() const { return last_fencing_; }
  void set_last_fencing(std::uint64_t v) {
    if (v > last_fencing_) last_fencing_ = v;
  }

  // Verifies invariants 1-4 (tests); the first violation as an error.
  Status CheckInvariants() const;

 private:
  void Index(const std::string& name, const LockHolder& h);
  void Unindex(const std::string& name, const LockHolder& h);
  void DropIfUnused(std::map<std::string, LockEntry, std::less<>>::iterator it);

  std::map<std::string, LockEntry, std::less<>> locks_;
  std::map<std::uint64_t, std::string> waiting_;               // client -> lock it waits for
  std::map<std::uint64_t, std::set<std::string>> conn_holds_;  // client -> connection-bound
  std::set<std::pair<std::int64_t, std::string>> leases_;      // (lease end, name)
  std::uint64_t last_fencing_ = 0;
  // Kernel random bytes fetched 4 KiB at a time (one getrandom per 256 tokens), each byte used
  // once.
  std::string random_pool_;
  std::size_t random_used_ = 0;
  std::string NewTokenSecret();
};

}  // namespace larder::server

#endif  // LARDER_SERVER_LOCK_TABLE_H_
