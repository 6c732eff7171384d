// WatchRegistry: WATCH's bookkeeping. Which clients watch which (db, key), and whether a
// watching client's transaction must fail at EXEC (Redis's CLIENT_DIRTY_CAS).
//
// Semantics (Redis 7.0's, checked against redis-server 7.0.15):
//   - Any modification of a watched key after WATCH (by any client, the watcher included, and
//     whatever the value ends up being) makes the watcher dirty: EXEC then replies a null array.
//   - A watched key that was live at WATCH and has expired by EXEC makes the watcher dirty, even
//     though nothing modified it (Redis's isWatchedKeyExpired). A key already expired at WATCH is
//     simply absent: its reclamation is no logical change.
//   - FLUSHDB/FLUSHALL touch only the watched keys that existed. SWAPDB a b touches a watched key
//     of a (or b) when it exists in a or in b.
//   - EXEC, DISCARD, UNWATCH, RESET and disconnecting unwatch everything (and clear the dirty
//     state).
//
// How the flush rules are met without looking into the data at flush time: the keyspace reports
// a whole database (key = nullopt) for FLUSHDB, FLUSHALL (each db) and SWAPDB (both dbs). A
// watcher that has not become dirty since WATCH still sees every watched key exactly as it was at
// WATCH (otherwise a modification would have made it dirty), so "existed" as recorded at WATCH is
// its existence just before the flush. Such a key is marked dirty when it existed; otherwise it is
// marked for a re-check, and EXEC compares its existence then with "existed at WATCH" (Check()
// returns those keys; the caller looks them up). After a flush the key is absent unless written
// since (a modification anyway); after a swap it exists exactly when it existed in the other db.
//
// Lock rules (invariants before code):
//   - Every member is thread-safe; one internal mutex (mu_) guards all state. Callers are usually
//     under the server's execution lock (WATCH, EXEC, OnKeyModified from the keyspace), but a
//     client disconnecting from an I/O thread calls UnwatchAll without it.
//   - Lock order: execution lock -> mu_. No method calls out (into the keyspace or a client) with
//     mu_ held, so a keyspace call made by the caller after Check() may report modifications here
//     again without deadlock.
//   - watched_keys_ is 0 exactly when no client watches anything; OnKeyModified reads it without
//     mu_ first, so writes pay one relaxed atomic load when nobody watches. A Watch racing with an
//     OnKeyModified cannot be lost: both run under the execution lock.
//   - Index consistency: index_[db][key] holds id exactly when watchers_[id].keys holds
//     {db, key}; no empty vector or KeyIndex stays in index_, and no Watcher without keys stays
//     in watchers_ (so a dirty watcher always has keys).
#ifndef LARDER_SERVER_WATCH_REGISTRY_H_
#define LARDER_SERVER_WATCH_REGISTRY_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "server/keyspace.h"

namespace larder::server {

class WatchRegistry final : public KeyspaceObserver {
 public:
  using WatcherId = std::uint64_t;  // the client's id (CLIENT ID)

  // A watched key as WATCH saw it.
  struct WatchedKey {
    int db = 0;
    std::string key;
    bool existed = false;           // live at WATCH
    std::int64_t expire_at_ms = 0;  // its expiry at WATCH (unix ms; 0: none or absent)
    bool recheck = false;           // a flush/swap happened: compare existence at EXEC
  };

  // EXEC's verdict before the caller's look-ups.
  struct Verdict {
    bool dirty = false;
    // When !dirty: keys whose existence now must still equal `existed` (else the transaction
    // fails). Copies, owned by the caller.
    std::vector<WatchedKey> recheck;
  };

  // `on_dirty`, when set, is called once each time a watcher turns dirty (to mirror the state in
  // the client, CLIENT LIST's 'd' flag), with mu_ held and from the thread that reported the
  // modification: it must not call into the registry.
  explicit WatchRegistry(std::function<void(WatcherId)> on_dirty = {})
      : on_dirty_(std::move(on_dirty)) {}
  WatchRegistry(const WatchRegistry&) = delete;
  WatchRegistry& operator=(const WatchRegistry&) = delete;

  // WATCH of one key. `existed`/`expire_at_ms`: the key's state now (Database::Lookup). Watching
  // a key twice keeps the first record, as Redis does.
  void Watch(WatcherId id, int db, std::string_view key, bool existed, std::int64_t expire_at_ms);

  // EXEC's check: dirty when a watched key was modified, or was live at WATCH with an expiry at
  // or before now_ms. Does not unwatch (call UnwatchAll after).
  Verdict Check(WatcherId id, std::int64_t now_ms) const;

  // Forgets the client's watched keys and dirty state. Idempotent; thread-safe.
  void UnwatchAll(WatcherId id);

  // Number of keys the client watches (tests, CLIENT LIST's "watch=" field).
  std::size_t WatchedKeyCount(WatcherId id) const;
  // Total over all clients (INFO's watching_clients / total_watched_keys figures).
  std::size_t TotalWatchedKeys() const { return watched_keys_.load(std::memory_order_relaxed); }
  std::size_t WatchingClients() const;

  // KeyspaceObserver: called from the thread holding the execution lock.
  void OnKeyModified(int db, std::optional<std::string_view> key) override;

 private:
  struct Watcher {
    bool dirty = false;
    std::vector<WatchedKey> keys;
  };
  // Heterogeneous lookup by string_view, so a write does not build a std::string per key.
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using KeyIndex =
      std::unordered_map<std::string, std::vector<WatcherId>, KeyHash, std::equal_to<>>;

  void MarkDirtyLocked(Watcher& watcher, WatcherId id) REQUIRES(mu_);
  void FlushedDbLocked(int db) REQUIRES(mu_);

  const std::function<void(WatcherId)> on_dirty_;

  mutable Mutex mu_;
  std::unordered_map<WatcherId, Watcher> watchers_ GUARDED_BY(mu_);
  std::unordered_map<int, KeyIndex> index_ GUARDED_BY(mu_);  // db -> key -> watchers
  std::atomic<std::size_t> watched_keys_{0};  // written under mu_ (see the lock rules)
};

}  // namespace larder::server

#endif  // LARDER_SERVER_WATCH_REGISTRY_H_
