// Keyspace: Redis's databases and types mapped onto an ordered kv::Store, with expiry, and the
// durability machinery (write-ahead log, group commit, checkpoints). The encoding is written down
// in docs/formats/larderd.md; the durability contract in docs/server.md.
//
// Execution model (the lock rule, stated before the code):
//   - The server holds one execution lock. A thread holding it calls BeginBatch(), runs any
//     number of commands through db(i), then EndBatch(), then releases the lock. Every Database
//     call happens between BeginBatch and EndBatch of the calling thread. So commands apply one
//     at a time, in the order the lock is taken, and a command sees every earlier command's
//     writes.
//   - EndBatch() makes the batch's writes recoverable after a kill -9 (written to the OS in the
//     log) before it returns, and returns a ticket. The caller releases the lock, then calls
//     WaitDurable(ticket) before sending the replies of the batch's writes: with appendfsync
//     always it waits for the fsync that covers the ticket (one fsync serves every batch written
//     before it: group commit); otherwise it returns at once.
//   - ActiveExpireCycle() and MaybeCheckpoint() are called with the execution lock held,
//     outside a batch. FlushDb(), FlushAll() and SwapDb() are called with the lock held, inside
//     a batch (a command: their writes join the batch, so MULTI/EXEC keeps them atomic) or
//     outside one (they then make their own, durable on return). Save() and BackgroundSave()
//     likewise (SAVE and BGSAVE are commands): inside a batch, the batch's writes before them
//     are logged first and held by the checkpoint, and EndBatch's ticket still covers them.
//   - Everything else in Keyspace is thread-safe unless stated.
#ifndef LARDER_SERVER_KEYSPACE_H_
#define LARDER_SERVER_KEYSPACE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "larder/file_system.h"
#include "larder/result.h"
#include "larder/status.h"
#include "server/rank_cache.h"

namespace larder {
class Clock;
}

namespace larder::server {

enum class ValueType : std::uint8_t {
  kString = 1,
  kHash = 2,
  kList = 3,
  kSet = 4,
  kZSet = 5,
  kStream = 6,
};
// "string", "hash", "list", "set", "zset", "stream" (TYPE's reply).
std::string_view TypeName(ValueType type);

struct KeyInfo {
  ValueType type = ValueType::kString;
  std::int64_t expire_at_ms = 0;    // unix ms; 0 = no expiry
  std::uint64_t size = 0;           // strings: byte length; collections: member count
  std::int64_t last_access_ms = 0;  // 0 when the keyspace does not track it (the server's
                                    // KeyAccessTimes answers OBJECT IDLETIME)
  // Collections: the version their records live under (see the raw record calls of Database),
  // and one integer the type's encoding keeps in the key's metadata (lists: the position of
  // the head element; 0 for hashes and sets). 0 for strings.
  std::uint64_t version = 0;
  std::uint64_t aux = 0;
};

// An ordered walk over the members of a collection (hash fields today) or the keys of a
// database. Views are valid until the next call on the cursor or until the batch ends; a cursor
// must not be used across a write to the same database (write after collecting what you need).
class Cursor {
 public:
  virtual ~Cursor() = default;
  virtual bool Valid() const = 0;
  virtual void Next() = 0;
  // `n` calls of Next in one (kv::Iterator::Skip); stops when not Valid().
  virtual void Skip(std::uint64_t n) {
    for (; n > 0 && Valid(); --n) Next();
  }
  virtual std::string_view key() const = 0;    // the field (collections) or user key (keys)
  virtual std::string_view value() const = 0;  // the field's value; empty for key walks
  virtual const Status& status() const = 0;
};

struct SetStringOptions {
  std::int64_t expire_at_ms = 0;  // 0: no expiry
  bool keep_ttl = false;          // keep an existing key's expiry (SET KEEPTTL, SETRANGE...)
  // What the caller's own Lookup of the key found earlier in this batch, when no write to the
  // key came between: nothing (kMissing), or a string expiring at `prior_expire_at_ms`
  // (kString). SetString then does not read the key's metadata again (INCR, APPEND, SETBIT:
  // read, then overwrite). A wrong prior is a caller bug: debug builds check it.
  enum class Prior : std::uint8_t { kUnread, kMissing, kString };
  Prior prior = Prior::kUnread;
  std::int64_t prior_expire_at_ms = 0;
};

// One logical database (SELECT index). Expired keys are invisible to every call (and deleted
// lazily when met). Calls that modify a key report it to the KeyspaceObserver (WATCH).
// Every method: only between BeginBatch and EndBatch (see the lock rule above).
class Database {
 public:
  virtual ~Database() = default;
  virtual int index() const = 0;

  // The key's metadata, or nullopt when absent or expired. When `string_value` is non-null and
  // the key is a string, its value is read too (one engine lookup).
  virtual Result<std::optional<KeyInfo>> Lookup(std::string_view key,
                                                std::string* string_value = nullptr) = 0;

  // Strings. SetString replaces whatever the key holds, of any type.
  virtual Status SetString(std::string_view key, std::string_view value,
                           const SetStringOptions& options = {}) = 0;

  // Removes the key (any type); false when it did not exist. A huge collection is unlinked at
  // once and its members reclaimed in the background, so this never blocks other clients.
  virtual Result<bool> Delete(std::string_view key) = 0;
  // Sets (expire_at_ms > 0) or removes (0) the expiry of an existing key; false if absent.
  // An expiry at or before now deletes the key (and returns true).
  virtual Result<bool> SetExpire(std::string_view key, std::int64_t expire_at_ms) = 0;

  // Collections (hash today; list/set/zset later): members under a key, ordered by member bytes.
  // The caller has checked the key's type with Lookup (wrong type is the caller's reply).
  virtual Result<std::optional<std::string>> GetMember(std::string_view key,
                                                       std::string_view member) = 0;
  // Creates the key with `type` when absent. True when the member is new.
  virtual Result<bool> SetMember(std::string_view key, ValueType type, std::string_view member,
                                 std::string_view value) = 0;
  // True when the member existed. Removing the last member removes the key.
  virtual Result<bool> DeleteMember(std::string_view key, std::string_view member) = 0;
  // Members in order, from the first member >= start.
  virtual Result<std::unique_ptr<Cursor>> Members(std::string_view key,
                                                  std::string_view start = {}) = 0;

  // Keys in byte order from the first key >= start, expired keys skipped.
  virtual Result<std::unique_ptr<Cursor>> Keys(std::string_view start = {}) = 0;
  // DBSIZE: number of keys (keys expired but not yet reclaimed may count, as in Redis).
  virtual Result<std::uint64_t> KeyCount() = 0;
  // INFO keyspace "expires=": keys with an expiry (as KeyCount, unreclaimed expired keys may
  // count). The default, 0, is for a database that does not track it.
  virtual Result<std::uint64_t> ExpiringKeyCount() { return std::uint64_t{0}; }
  // A uniformly-ish random live key, or nullopt when the database is empty.
  virtual Result<std::optional<std::string>> RandomKey() = 0;

  // Copies src (any type, with its expiry) to dst in `target` (which may be this database).
  // False when src is absent, or when dst exists and !replace. MOVE/COPY/RENAME build on it.
  virtual Result<bool> CopyKey(std::string_view src, Database& target, std::string_view dst,
                               bool replace) = 0;
  // RENAME: moves src to dst in this database, replacing dst. False when src is absent.
  virtual Result<bool> RenameKey(std::string_view src, std::string_view dst) = 0;

  // Marks a key as read now (OBJECT IDLETIME, TOUCH).
  virtual void Touch(std::string_view key) = 0;

  // The in-memory rank indexes of sorted sets, sets and hashes (rank_cache.h), shared by the
  // keyspace's
  // databases (versions are unique across them). nullptr when the database keeps none (test
  // fakes): a rank query then builds the set's index for that one call.
  virtual RankCache* rank_cache() { return nullptr; }

  // ---- Raw collection records ----
  // For encodings that are not one record per member: lists (members at positions), sorted
  // sets (a member record and a score record per member, plus a rank index). Every record of
  // a collection lives under its version (KeyInfo::version, from Lookup or NewCollection); a
  // `record` here is the bytes after the version, in any layout the type's encoding chooses
  // (written down in docs/formats/larderd.md). These calls do not read or write the key's
  // metadata: the caller keeps KeyInfo::size (the member count Redis reports: LLEN, ZCARD) and
  // aux right and writes them once per command with WriteCollection, which also reports the
  // modification (WATCH, blocked clients). The defaults fail with NotSupported (test fakes).
  //
  // A fresh, empty collection of `type` (a new version, size 0, no expiry). Nothing is written
  // until WriteCollection(key, info, /*created=*/true).
  virtual Result<KeyInfo> NewCollection(ValueType type);
  // The record's value, or nullopt when absent.
  virtual Result<std::optional<std::string>> GetRecord(std::uint64_t version,
                                                       std::string_view record);
  virtual Status PutRecord(std::uint64_t version, std::string_view record, std::string_view value);
  virtual Status DeleteRecord(std::uint64_t version, std::string_view record);
  // Deletes the record and hands back its value, or nullopt when absent (nothing written). The
  // default reads with GetRecord then deletes; DatabaseImpl makes one kv::Transaction::Take
  // (one descent on bolt).
  virtual Result<std::optional<std::string>> TakeRecord(std::uint64_t version,
                                                        std::string_view record);
  // Records in order from the first record >= start; with `reverse`, in reverse order from the
  // last record < start (an empty start: from the last record). Views as for any Cursor.
  virtual Result<std::unique_ptr<Cursor>> Records(std::uint64_t version, std::string_view start,
                                                  bool reverse = false);
  // Writes the key's metadata from `info` (type, version, size, aux; the expiry it has, or
  // info.expire_at_ms when `created`). info.size == 0 removes the key and every record under
  // its version (an emptied collection disappears, as in Redis). `created`: the key did not
  // exist (NewCollection) and is counted now. Reports the key as modified. Streams are the
  // exception to "size 0 removes the key": an empty stream stays (as in Redis).
  virtual Status WriteCollection(std::string_view key, const KeyInfo& info, bool created);
};

// Told about every modified key, from the thread holding the execution lock (WATCH, blocked
// clients, later client-side caching). A flush reports key = nullopt for the whole db.
class KeyspaceObserver {
 public:
  virtual ~KeyspaceObserver() = default;
  virtual void OnKeyModified(int db, std::optional<std::string_view> key) = 0;
  // A key removed because its time ran out (met lazily or by the expiry cycle), before the
  // OnKeyModified of its removal (keyspace notifications' "expired" event).
  virtual void OnKeyExpired(int db, std::string_view key) {}
  // A key that did not exist was created (SET of an absent key, the first member of a
  // collection, the destination of RENAME, COPY or MOVE even when it replaced a key), before
  // the OnKeyModified of that write (keyspace notifications' "new" event, as Redis's dbAdd).
  virtual void OnKeyCreated(int db, std::string_view key) {}
};

enum class AppendFsync { kAlways, kEverySec, kNo };

struct KeyspaceOptions {
  std::string dir = "./larder-data";  // data directory (created if missing)
  std::string engine = "bolt";        // "bolt" or "lsm" (engine.h)
  int databases = 16;
  AppendFsync appendfsync = AppendFsync::kEverySec;
  FileSystem* fs = nullptr;  // null: the default POSIX file system
  Clock* clock = nullptr;    // null: the system clock
  // The rank indexes' budget (RankCache, rank_cache.h; the rank-cache-mb directive).
  std::size_t rank_cache_bytes = RankCache::kDefaultBudget;
  // The checkpoints' period when something was written (DurabilityOptions; the
  // checkpoint-interval-ms directive).
  std::uint64_t checkpoint_interval_ms = 1000;
};

struct KeyspaceStats {
  std::uint64_t expired_keys = 0;
  // Modifications (one per key written, one per flush) since the last SAVE or BGSAVE, or since
  // the keyspace opened: INFO's rdb_changes_since_last_save. The automatic checkpoints do not
  // reset it (every write is in the log already; an explicit save is what a client asks for).
  std::uint64_t changes_since_save = 0;
  std::uint64_t commits = 0;  // log writes (batches with writes)
  std::uint64_t fsyncs = 0;
  std::uint64_t checkpoints = 0;
  std::uint64_t checkpoint_last_usec = 0;  // DurabilityStats's
  std::uint64_t checkpoint_total_usec = 0;
  std::uint64_t log_bytes = 0;  // current log size
  std::uint64_t data_file_bytes = 0;
  // Memory the engine keeps for its next transactions (kv::Store::CachedMemoryBytes; released
  // once the server is idle, durability.h).
  std::uint64_t engine_cached_bytes = 0;
  std::int64_t last_save_unix = 0;
  bool bgsave_in_progress = false;
  Status last_bgsave_status;
};

class Keyspace {
 public:
  virtual ~Keyspace() = default;

  // Opens (and recovers) the data in options.dir; takes the directory's lock (a second larderd
  // on the same dir fails with a clear error).
  static Result<std::unique_ptr<Keyspace>> Open(const KeyspaceOptions& options);

  virtual int databases() const = 0;
  // Observers are told in the order they were added. REQUIRES: the execution lock.
  virtual void AddObserver(KeyspaceObserver* observer) = 0;
  virtual void RemoveObserver(KeyspaceObserver* observer) = 0;

  using Ticket = std::uint64_t;
  virtual Status BeginBatch() = 0;
  // REQUIRES: inside a batch; 0 <= index < databases().
  virtual Database& db(int index) = 0;
  virtual Result<Ticket> EndBatch() = 0;
  // Without the execution lock. OK once the writes up to `ticket` are as durable as
  // appendfsync promises.
  virtual Status WaitDurable(Ticket ticket) = 0;

  // With the execution lock, outside a batch.
  virtual Status FlushDb(int index) = 0;
  virtual Status FlushAll() = 0;
  virtual Status SwapDb(int a, int b) = 0;
  virtual Status Save() = 0;            // SAVE: checkpoint now, synced
  virtual Status BackgroundSave() = 0;  // BGSAVE: consistent copy into dir/backup.db, online
  // Reclaims up to `budget` expired keys and dead collection members; returns how many.
  virtual Result<std::uint64_t> ActiveExpireCycle(std::uint64_t budget) = 0;
  virtual Status MaybeCheckpoint() = 0;  // called about every 100 ms by the server's cron

  // ---- Service records ----
  // State of server services that is not a database's (the lock table: lock_store.h), kept
  // as records `s:` name (docs/formats/larderd.md, "Service records"): outside every database
  // (FLUSHALL, SWAPDB and the expiry cycle do not touch them), logged with the batch that wrote
  // them and checkpointed like every record, so they survive a restart and a kill -9 exactly
  // as the keys written in the same batch do. REQUIRES: inside a batch. The defaults fail with
  // NotSupported (test fakes).
  virtual Result<std::optional<std::string>> GetSystemRecord(std::string_view name);
  virtual Status PutSystemRecord(std::string_view name, std::string_view value);
  virtual Status DeleteSystemRecord(std::string_view name);
  // Every record whose name starts with `prefix`, in name order.
  virtual Result<std::vector<std::pair<std::string, std::string>>> ScanSystemRecords(
      std::string_view prefix);

  virtual void SetAppendFsync(AppendFsync mode) = 0;  // CONFIG SET appendfsync
  virtual KeyspaceStats stats() const = 0;
  // Final checkpoint, releases the directory lock.
  virtual Status Close() = 0;
};

}  // namespace larder::server

#endif  // LARDER_SERVER_KEYSPACE_H_
