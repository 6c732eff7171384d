// The records of one queue partition in its kv::Store (docs/formats/queue.md). Every state has
// its own key range, ordered for the scan that state needs, and an item's payload is written
// once, when it is produced, and deleted once, when it leaves the partition:
//
//   "M"                          partition meta: sequence, ready head, counters
//   "P" origin(8)                payload record: created, expires, reference, kind, payload
//   "R" seq(8)                   ready entry: origin, attempts, ready since     (FIFO by seq)
//   "L" seq(8)                   leased entry: origin, attempts, deadline, client
//   "S" due(8) seq(8)            scheduled entry: origin, attempts              (by due time)
//   "E" expires(8) origin(8)     expiry index: the key of the item's ready/scheduled entry
//   "X" seq(8)                   outbox: an item on its way to the dead-letter queue
//   "D" source-id                dead-letter marker (in the dead-letter queue's partition):
//                                the source item arrived here (value: its id); removed once
//                                the source has durably dropped it
//
// Numbers in keys are 8-byte big-endian, so byte order is numeric order. `seq` numbers come from
// one counter per partition (meta next_seq) and name an item's turn: an item's id is
// "<partition>-<seq>" of its ready/leased entry; it gets a new seq (so a new id) each time it
// goes back to ready. `origin` is the seq it was produced under, the key of its payload.
#ifndef LARDER_QUEUE_ITEM_FORMAT_H_
#define LARDER_QUEUE_ITEM_FORMAT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "larder/result.h"

namespace larder::queue {

inline constexpr char kMetaKey[] = "M";
inline constexpr char kPayloadTag = 'P';
inline constexpr char kReadyTag = 'R';
inline constexpr char kLeasedTag = 'L';
inline constexpr char kScheduledTag = 'S';
inline constexpr char kExpiryTag = 'E';
inline constexpr char kOutboxTag = 'X';
inline constexpr char kDeadMarkerTag = 'D';

// "<tag>" + big-endian numbers.
std::string TagKey(char tag, std::uint64_t a);
std::string TagKey(char tag, std::uint64_t a, std::uint64_t b);
// "<tag>" + bytes (the dead-letter marker and queue record keys).
std::string TagKey(char tag, std::string_view rest);
// The smallest key above every key of `tag`'s range: an iterator's upper bound.
std::string TagEnd(char tag);
// The numbers of a TagKey of the given width (1 or 2 numbers); nullopt for another shape.
std::optional<std::uint64_t> KeyNumber(std::string_view key, char tag, int index = 0,
                                       int count = 1);

struct PartitionMeta {
  std::uint64_t next_seq = 1;
  std::uint64_t ready_head = 1;  // every "R" key below it is gone
  std::uint64_t ready = 0;
  std::uint64_t leased = 0;
  std::uint64_t scheduled = 0;
  std::uint64_t dead_lettered = 0;  // moved out to the dead-letter queue (or dropped) so far
  std::uint64_t outbox = 0;
};
std::string EncodeMeta(const PartitionMeta& m);
Result<PartitionMeta> DecodeMeta(std::string_view v);

struct PayloadRecord {
  std::int64_t created_ms = 0;
  std::int64_t expires_ms = 0;  // 0: never
  std::string_view reference{};
  std::string_view kind{};
  std::string_view payload{};
};
std::string EncodePayload(const PayloadRecord& r);
// Views into `v`.
Result<PayloadRecord> DecodePayload(std::string_view v);

// The reasons an outbox entry carries (its `client` field).
inline constexpr std::string_view kReasonRetryDead = "retry dead";
inline constexpr std::string_view kReasonMaxAttempts = "max attempts";
inline constexpr std::string_view kReasonExpired = "expired";

// Ready, leased, scheduled and outbox entries share one shape.
struct EntryRecord {
  std::uint64_t origin = 0;
  std::uint32_t attempts = 0;   // deliveries so far
  std::int64_t time_ms = 0;     // ready: ready since; leased: deadline; others: 0
  std::int64_t expires_ms = 0;  // the payload's expiry (a copy: no payload read to requeue)
  std::string_view client{};    // leased: the client id; outbox: the reason
};
std::string EncodeEntry(const EntryRecord& e);
Result<EntryRecord> DecodeEntry(std::string_view v);

}  // namespace larder::queue

#endif  // LARDER_QUEUE_ITEM_FORMAT_H_
