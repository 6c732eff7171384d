// Partition: one queue partition, its items in one kv::Store (item_format.h) and the little it
// keeps in memory so that no operation's cost grows with the items already queued:
//   - the ready head (meta.ready_head): a lease seeks straight to it, past the deleted entries
//     below it, and reads only the entries it hands out;
//   - every leased item (in-flight items are bounded by the consumers), by seq and by deadline;
//   - the floor and the earliest time of the scheduled range and of the expiry index, so the
//     cron scans only entries that are due.
//
// Every change of state is one atomic kv::WriteBatch that also rewrites the meta record, so the
// counters are exact after any crash. Writes use sync = false and buffer = true (kv.h): they
// stay in the process until FlushWrites, which the owner calls before it acknowledges them
// (larderd: once per batch of commands, under its lock, before any reply), or until
// SyncThrough, which makes them durable (the server calls it per appendfsync, after releasing
// its lock: group commit). Close writes out what is left.
//
// Lock rule: every method except SyncThrough and written() REQUIRES the owner's lock (larderd's
// execution lock), which serializes all use of the in-memory state and of the store's writes.
// SyncThrough and written() are thread-safe (written_ is atomic; sync_mu_ serializes syncs).
#ifndef LARDER_QUEUE_PARTITION_H_
#define LARDER_QUEUE_PARTITION_H_

#include <atomic>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "larder/kv.h"
#include "larder/result.h"
#include "larder/status.h"
#include "queue/item_format.h"

namespace larder::queue {

// A queue's settings as a partition needs them (the queue manager owns the rest).
struct QueueSettings {
  std::int64_t lease_timeout_ms = 60'000;
  std::int64_t expire_timeout_ms = 0;  // 0: items never expire
  std::uint32_t max_attempts = 0;      // 0: unlimited deliveries
};

struct ProduceOptions {
  std::int64_t due_ms = 0;  // scheduled until then; <= now: ready at once
  std::string_view reference{};
  std::string_view kind{};
};

struct LeasedItem {
  std::string id;
  std::uint32_t attempts = 0;
  std::int64_t deadline_ms = 0;
  std::string payload;
};

struct PartitionStats {
  std::uint64_t ready = 0, leased = 0, scheduled = 0, dead_lettered = 0;
  std::int64_t oldest_ms = 0;  // age of the item at the ready head (since it became ready)
};

// An item in the outbox, on its way to the dead-letter queue.
struct OutboxItem {
  std::uint64_t outbox_seq = 0;
  std::uint32_t attempts = 0;
  std::int64_t created_ms = 0;
  std::string reference, kind, payload, reason;
};

class Partition {
 public:
  // Loads the meta record, the leases and the scan floors of `store` (a new store starts
  // empty). Corruption when a record does not decode.
  static Result<std::unique_ptr<Partition>> Open(std::uint32_t number,
                                                 std::unique_ptr<kv::Store> store);
  ~Partition();

  std::uint32_t number() const { return number_; }
  kv::Store* store() { return store_.get(); }
  const PartitionMeta& meta() const { return meta_; }
  // "<partition>-<seq>".
  std::string IdOf(std::uint64_t seq) const;

  // Adds one item per payload; appends their ids to *ids.
  Status Produce(std::span<const std::string_view> payloads, const ProduceOptions& options,
                 const QueueSettings& settings, std::int64_t now_ms, std::vector<std::string>* ids);
  // Leases up to n ready items to `client`, oldest first; appends them to *out. An item found
  // past its expiry goes to the outbox instead.
  Status Lease(std::uint32_t n, std::string_view client, const QueueSettings& settings,
               std::int64_t now_ms, std::vector<LeasedItem>* out);
  bool IsLeased(std::uint64_t seq) const { return leases_.contains(seq); }
  // Removes leased items. REQUIRES: IsLeased(seq) for each.
  Status Complete(std::span<const std::uint64_t> seqs);
  // Ends the leases of `seqs` (REQUIRES: leased): each goes to the outbox when `dead`, when its
  // deliveries reached max_attempts or when it expired; else back to the tail, or scheduled
  // delay_ms from now.
  Status Retry(std::span<const std::uint64_t> seqs, std::int64_t delay_ms, bool dead,
               const QueueSettings& settings, std::int64_t now_ms);
  // The time the cron's Tick has work: a lease ending, a scheduled item due, an item expiring.
  std::int64_t NextDue() const;
  // Ends the leases due, makes the scheduled items due ready and sends expired items to the
  // outbox; at most `limit` entries per call (NextDue() stays due while work is left).
  Status Tick(const QueueSettings& settings, std::int64_t now_ms, std::size_t limit = 10'000);

  // Up to `max` outbox items, oldest first.
  Result<std::vector<OutboxItem>> Outbox(std::size_t max);
  // Drops outbox items and their payloads (they reached the dead-letter queue or were dropped).
  Status DropFromOutbox(std::span<const std::uint64_t> outbox_seqs);
  // Takes in a dead-lettered item (this partition belongs to the dead-letter queue) under a new
  // id, unless marker `source_id` says it already arrived; *id receives its id either way.
  Status AcceptDeadLetter(std::string_view source_id, const OutboxItem& item,
                          const QueueSettings& settings, std::int64_t now_ms, std::string* id);
  // Forgets the markers of items whose sources dropped them durably.
  Status ForgetDeadLetterMarkers(std::span<const std::string> source_ids);

  // Deletes every item (ready, leased, scheduled, outbox), in batches of `chunk` items.
  Status Clear(std::size_t chunk = 1000);
  Result<PartitionStats> Stats(std::int64_t now_ms);

  // Durability (thread-safe). written(): the number of batches written so far;
  // SyncThrough(w): makes every batch up to number w durable (one store sync serves every
  // caller waiting meanwhile: group commit).
  std::uint64_t written() const { return written_.load(std::memory_order_acquire); }
  // Hands every batch written so far to the OS: a crash of the process alone then loses none
  // (a power loss still may, until SyncThrough). Errors: the store's (it is then Poisoned).
  // REQUIRES: the owner's lock, and the partition not closed.
  Status FlushWrites() { return store_->FlushWrites(); }
  Status SyncThrough(std::uint64_t w) EXCLUDES(sync_mu_);
  // Closes the store (its partition is being deleted or the server stops); a SyncThrough
  // running meanwhile or later returns OK without touching it. Thread-safe.
  Status Close() EXCLUDES(sync_mu_);

 private:
  struct LeaseState {
    std::uint64_t origin = 0;
    std::uint32_t attempts = 0;
    std::int64_t deadline_ms = 0;
    std::int64_t expires_ms = 0;
  };
  // The floor and the earliest entry time of a time-ordered range ("S" or "E").
  struct TimedRange {
    char tag = 0;
    std::string floor{};  // every key of the range below it is gone
    std::int64_t next_ms = std::numeric_limits<std::int64_t>::max();  // earliest entry
    void Added(std::string_view key, std::int64_t at_ms);
    // A scan of the range stopped at `it` (its first entry not taken, or the end): the floor
    // moves there and next_ms becomes that entry's time. Corruption for a key of another shape.
    Status StopAt(const kv::Iterator& it);
  };

  Partition(std::uint32_t number, std::unique_ptr<kv::Store> store);
  Status Load();
  Status LoadTimedRange(TimedRange* range);
  // Writes `batch` plus the meta record, counts it in written_.
  Status Commit(kv::WriteBatch* batch);
  // Puts the entry of an item that becomes ready (delay 0) or scheduled, with its expiry index.
  void Enqueue(kv::WriteBatch* b, const EntryRecord& e, std::int64_t delay_ms, std::int64_t now_ms);
  void ToOutbox(kv::WriteBatch* b, std::uint64_t origin, std::uint32_t attempts,
                std::int64_t expires_ms, std::string_view reason);
  // Ends the lease of seq: to the outbox or back in (Retry and the cron).
  void EndLease(kv::WriteBatch* b, std::uint64_t seq, std::int64_t delay_ms, bool dead,
                const QueueSettings& settings, std::int64_t now_ms);
  Status TickScheduled(kv::WriteBatch* b, std::int64_t now_ms, std::size_t* budget);
  Status TickExpiry(kv::WriteBatch* b, std::int64_t now_ms, std::size_t* budget);

  const std::uint32_t number_;
  std::unique_ptr<kv::Store> store_;
  PartitionMeta meta_;
  std::map<std::uint64_t, LeaseState> leases_;
  std::set<std::pair<std::int64_t, std::uint64_t>> lease_deadlines_;  // (deadline, seq)
  TimedRange scheduled_{.tag = kScheduledTag};
  TimedRange expiry_{.tag = kExpiryTag};

  std::atomic<std::uint64_t> written_{0};
  Mutex sync_mu_;
  std::uint64_t synced_ GUARDED_BY(sync_mu_) = 0;
  bool closed_ GUARDED_BY(sync_mu_) = false;
};

}  // namespace larder::queue

#endif  // LARDER_QUEUE_PARTITION_H_
