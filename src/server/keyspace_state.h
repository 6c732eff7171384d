// KeyspaceState: what every part of the keyspace shares: the open engine transaction, the
// current batch's log of kv writes, the database map, the counters, and the key-level
// operations built on the encoding (key_encoding.h) that Database, flushes and the expiry cycle
// all use.
//
// Every kv write goes through Put/Delete here, into the transaction Durability hands out
// (durability.h), which also records it into the batch's log record: replaying the log onto
// the last checkpoint so rebuilds exactly the transaction's state (counters included: they are
// written as records too, once per batch, by FlushCounters).
//
// Thread-safety: none. Used only by the thread holding the server's execution lock.
// Iterators from Range are invalidated by any Put/Delete (kv::Transaction's rule): collect,
// then write.
#ifndef LARDER_SERVER_KEYSPACE_STATE_H_
#define LARDER_SERVER_KEYSPACE_STATE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "larder/kv.h"
#include "larder/result.h"
#include "server/key_encoding.h"
#include "server/keyspace.h"
#include "server/rank_cache.h"

namespace larder {
class Clock;
}

namespace larder::server {

// A collection with at most this many members is deleted at once (its members with it); a
// bigger one is unlinked and its members reclaimed later by ActiveExpireCycle in bounded steps
// (Redis's lazyfree threshold is the same number).
inline constexpr std::uint64_t kInlineDropMembers = 64;

class KeyspaceState {
 public:
  KeyspaceState(Clock* clock, int databases,
                std::size_t rank_cache_bytes = RankCache::kDefaultBudget)
      : clock_(clock), databases_(databases), rank_cache_(rank_cache_bytes) {}

  // --- the engine ---
  // The transaction to use from now on (Durability replaces it at each checkpoint).
  void set_tx(kv::Transaction* tx) {
    tx_ = tx;
    meta_memo_valid_ = false;
  }
  // kv writes made so far (tests count the engine work of an operation with it).
  std::uint64_t writes() const { return writes_; }
  // The first engine error: once set, the keyspace refuses every call (a batch half applied
  // must not be logged or committed).
  const Status& broken() const { return broken_; }
  Status Fail(Status s) {
    if (!s.ok() && broken_.ok()) broken_ = s;
    return s;
  }

  // Reads through the transaction. *value is valid until the next write.
  Status Get(std::string_view key, std::string_view* value);
  Status Put(std::string_view key, std::string_view value);
  Status Delete(std::string_view key);
  // Deletes `key`, handing back its value (kv::Transaction::Take): NotFound when absent.
  Status Take(std::string_view key, std::string* value);
  // An iterator over [lower, upper) of the transaction's state.
  Result<std::unique_ptr<kv::Iterator>> Range(std::string_view lower, std::string_view upper);
  // Deletes up to `budget` keys of [lower, upper); returns how many (fewer: the range is empty).
  Result<std::uint64_t> DeleteRange(std::string_view lower, std::string_view upper,
                                    std::uint64_t budget);

  // --- the databases ---
  int databases() const { return databases_; }
  std::vector<std::uint32_t>& db_map() { return db_map_; }
  std::uint32_t pdb(int db) const { return db_map_[static_cast<std::size_t>(db)]; }
  // Loads the map and counters from the transaction; initializes them in a new store.
  Status Load();
  // A fresh physical database (never used before).
  std::uint32_t NewPdb();
  std::uint64_t NewVersion();
  void MarkDbMapDirty() { db_map_dirty_ = true; }
  // Meta records (keys) of pdb, and those of them with an expiry.
  std::uint64_t Count(std::uint32_t pdb) const { return CountsOf(pdb).keys; }
  std::uint64_t ExpiresCount(std::uint32_t pdb) const { return CountsOf(pdb).expires; }
  void AddCount(std::uint32_t pdb, std::int64_t delta);
  void AddExpires(std::uint32_t pdb, std::int64_t delta);
  void ForgetCount(std::uint32_t pdb);
  // Writes the changed counters and map (end of a batch, or of a flush).
  Status FlushCounters();

  // --- time, observer, stats ---
  void set_now_ms(std::int64_t now) { now_ms_ = now; }
  std::int64_t now_ms() const { return now_ms_; }
  Clock* clock() const { return clock_; }
  void AddObserver(KeyspaceObserver* o) { observers_.push_back(o); }
  void RemoveObserver(KeyspaceObserver* o) { std::erase(observers_, o); }
  void Notify(int db, std::optional<std::string_view> key) {
    ++changes_since_save;
    for (KeyspaceObserver* o : observers_) o->OnKeyModified(db, key);
  }
  void NotifyExpired(int db, std::string_view key) {
    for (KeyspaceObserver* o : observers_) o->OnKeyExpired(db, key);
  }
  void NotifyCreated(int db, std::string_view key) {
    for (KeyspaceObserver* o : observers_) o->OnKeyCreated(db, key);
  }
  std::uint64_t expired_keys = 0;
  std::uint64_t changes_since_save = 0;  // KeyspaceStats::changes_since_save

  // --- keys ---
  // The key's meta record whatever its expiry (raw): false when absent. *buf holds the bytes
  // meta->value views.
  Result<bool> ReadMeta(std::uint32_t pdb, std::string_view key, enc::Meta* meta, std::string* buf);
  // Like ReadMeta, but an expired key is deleted (and reported) and reads as absent.
  Result<bool> ReadLiveMeta(int db, std::string_view key, enc::Meta* meta, std::string* buf);
  bool Expired(const enc::Meta& m) const {
    return m.expire_at_ms != 0 && m.expire_at_ms <= now_ms_;
  }
  // Writes `meta` for the key, moving its expiry index entry from `old_expire_at_ms`.
  Status WriteMeta(std::uint32_t pdb, std::string_view key, const enc::Meta& meta,
                   std::int64_t old_expire_at_ms);
  // Removes the key described by `meta` (its meta and expiry records, its members: at once when
  // few, else through a garbage record), decrements the count. Does not notify.
  Status RemoveKey(std::uint32_t pdb, std::string_view key, const enc::Meta& meta);
  // Removes an expired key: RemoveKey, the expired count, the observer.
  Status Expire(int db, std::string_view key, const enc::Meta& meta);
  // Drops a collection version's members: deletes them when few, else leaves a garbage record.
  // Also drops the version's cached rank index.
  Status DropMembers(std::uint64_t version, std::uint64_t size);

  // --- derived data ---
  // The rank indexes of sorted sets, sets and hashes (rank_cache.h); a flush clears it.
  RankCache& rank_cache() { return rank_cache_; }

 private:
  Clock* clock_;
  const int databases_;
  kv::Transaction* tx_ = nullptr;
  std::uint64_t writes_ = 0;
  Status broken_;
  std::vector<KeyspaceObserver*> observers_;
  std::int64_t now_ms_ = 0;
  RankCache rank_cache_;

  std::vector<std::uint32_t> db_map_;
  bool db_map_dirty_ = false;
  std::uint32_t next_pdb_ = 0;
  bool next_pdb_dirty_ = false;
  std::uint64_t next_version_ = 1;
  bool next_version_dirty_ = false;
  struct DbCounts {
    std::uint64_t keys = 0, expires = 0;
  };
  DbCounts CountsOf(std::uint32_t pdb) const {
    auto it = counts_.find(pdb);
    return it == counts_.end() ? DbCounts{} : it->second;
  }
  std::unordered_map<std::uint32_t, DbCounts> counts_;
  std::set<std::uint32_t> dirty_counts_;
  std::string key_buf_;         // reused for keys built per call
  std::string meta_bytes_buf_;  // reused for meta records encoded per call
  // The last collection meta record ReadMeta read (its key and bytes), kept equal to the
  // transaction's by Put and Delete of that key, and dropped when the transaction is replaced:
  // a command reads its key's meta record, then WriteCollection reads it again, and the next
  // pipelined command on that key reads it once more. Strings are not kept (their meta record
  // holds the value).
  std::string meta_memo_key_;
  std::string meta_memo_value_;
  bool meta_memo_valid_ = false;
};

}  // namespace larder::server

#endif  // LARDER_SERVER_KEYSPACE_STATE_H_
