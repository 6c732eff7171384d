// The stream type's encoding (docs/formats/larderd.md, "Streams"): a stream's entries, its
// consumer groups, their pending entries and consumers are raw collection records of its key
// (Database::GetRecord...), so that no command reads more of the stream than it returns:
//
//   "M"                               -> the stream's metadata (StreamMeta below)
//   "e" ms(8) seq(8)                  -> an entry: its field/value strings
//   "n" ms(8) seq(8)                  -> a node: Redis's listpack boundaries, emulated (below)
//   "g" group-name                    -> a consumer group (GroupMeta)
//   "p" gid(8) ms(8) seq(8)           -> a pending entry of group gid (PendingEntry)
//   "c" gid(8) consumer-name          -> a consumer (ConsumerMeta)
//   "q" gid(8) len(4) name ms(8) seq(8) -> "" (the consumer's own pending entries, by ID)
//
// Integers are big-endian, so entries and pending entries sort by ID. Seeks at the head start
// from the first entry's and the first node's IDs kept in the metadata (no entry and no node
// lies below them), so the records trimmed away before them are never walked over, whatever
// deletion markers an engine keeps for them until it compacts. KeyInfo::size is the
// entry count (XLEN reads only the key's metadata); unlike the other types an empty stream stays
// a key (Redis keeps it: XDEL/XTRIM to zero, XADD MAXLEN 0, XGROUP CREATE MKSTREAM).
//
// Nodes: Redis keeps entries in listpacks of at most stream-node-max-entries entries (and
// stream-node-max-bytes bytes), and approximate trimming (MAXLEN ~, MINID ~) removes only whole
// listpacks. To give the same replies, every entry belongs to a node record keyed by its first
// ID, with the node's live and deleted entry counts and its last ID; XADD appends to the last
// node or opens one, XDEL/XTRIM update the node of the entry (found by one reverse seek), and a
// node whose entries are all deleted disappears, as Redis frees the listpack.
//
// StreamKey is the stream of one key opened for one command: edits write records at once and the
// metadata in memory; Commit() writes both (the "M" record and the key's KeyInfo).
// Lifetime: one command; the Database outlives it. Thread-safety: as command handlers (the
// execution lock, inside a batch).
#ifndef LARDER_SERVER_STREAM_STORE_H_
#define LARDER_SERVER_STREAM_STORE_H_

#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "larder/result.h"
#include "larder/status.h"
#include "server/keyspace.h"

namespace larder::server::streams {

struct StreamId {
  std::uint64_t ms = 0;
  std::uint64_t seq = 0;
  // clang-tidy 14 reads the defaulted <=>'s comparison with 0 as a null pointer constant.
  // NOLINTNEXTLINE(modernize-use-nullptr)
  friend auto operator<=>(const StreamId&, const StreamId&) = default;
  bool zero() const { return ms == 0 && seq == 0; }
  std::string ToString() const;  // "ms-seq"
};
inline constexpr StreamId kMaxId{UINT64_MAX, UINT64_MAX};
// The next / previous ID; false at the end of the ID space (the ID is left unchanged).
bool Increment(StreamId* id);
bool Decrement(StreamId* id);

// Redis's ID syntax: "ms", "ms-seq" (missing seq: `missing_seq`), "-" and "+" unless `strict`,
// and "ms-*" when `seq_given` is non-null (*seq_given false then). nullopt when invalid.
std::optional<StreamId> ParseId(std::string_view s, std::uint64_t missing_seq, bool strict,
                                bool* seq_given = nullptr);

struct Entry {
  StreamId id;
  std::vector<std::string> fields;  // field, value, field, value...
};

struct StreamMeta {
  StreamId last_id;
  StreamId max_deleted;
  StreamId first_id;  // Redis's recorded-first-entry-id: 0-0 when empty
  std::uint64_t entries_added = 0;
  std::uint64_t next_group_id = 1;
  std::uint64_t groups = 0;
  std::uint64_t nodes = 0;  // node records (XINFO's radix-tree-keys)
  StreamId first_node;      // the first node record's ID (when nodes > 0)
};

struct GroupMeta {
  std::uint64_t gid = 0;
  StreamId last_id;
  std::int64_t entries_read = -1;  // -1: unknown (Redis's SCG_INVALID_ENTRIES_READ)
  std::uint64_t pending = 0;
  std::uint64_t consumers = 0;
};

struct PendingEntry {
  StreamId id;
  std::int64_t delivery_time = 0;  // unix ms
  std::uint64_t delivery_count = 0;
  std::string consumer;
};

struct ConsumerMeta {
  std::string name;
  std::int64_t seen_time = 0;
  std::uint64_t pending = 0;
};

// Node limits: the server's stream-node-max-entries / -bytes (0: no limit).
struct NodeLimits {
  std::uint64_t max_entries = 100;
  std::uint64_t max_bytes = 4096;
};

enum class TrimStrategy { kNone, kMaxLen, kMinId };
struct TrimSpec {
  TrimStrategy strategy = TrimStrategy::kNone;
  std::uint64_t maxlen = 0;
  StreamId minid;
  bool approx = false;
  std::int64_t limit = 0;  // 0: none
};

class StreamKey {
 public:
  // An existing stream (`info` from Lookup, type kStream): reads its "M" record.
  static Result<StreamKey> Open(Database& db, std::string_view key, const KeyInfo& info);
  // A new, empty stream: written by Commit.
  static Result<StreamKey> Create(Database& db, std::string_view key);

  std::uint64_t length() const { return info_.size; }
  const StreamMeta& meta() const { return meta_; }
  StreamMeta& mutable_meta() { return meta_; }
  const KeyInfo& info() const { return info_; }

  // Appends an entry with `id` (REQUIRES id > meta().last_id).
  Status Append(StreamId id, std::span<const std::string_view> fields, const NodeLimits& limits);
  // True when the entry existed.
  Result<bool> Delete(StreamId id);
  // Redis's streamTrim; returns the entries removed.
  Result<std::int64_t> Trim(const TrimSpec& spec);

  // Entries with start <= id <= end in ID order (reverse: from end down), at most `count`
  // (0: all).
  Result<std::vector<Entry>> Range(StreamId start, StreamId end, std::uint64_t count,
                                   bool reverse = false);
  Result<std::optional<Entry>> Get(StreamId id);
  // The first (or last) entry's ID, nullopt when empty.
  Result<std::optional<StreamId>> EdgeId(bool first);

  // ---- Consumer groups ----
  Result<std::optional<GroupMeta>> GetGroup(std::string_view name);
  Status PutGroup(std::string_view name, const GroupMeta& group);
  // Removes the group with its pending entries and consumers.
  Status DestroyGroup(std::string_view name, const GroupMeta& group);
  // Every group in name order.
  Result<std::vector<std::pair<std::string, GroupMeta>>> Groups();

  Result<std::optional<PendingEntry>> GetPending(std::uint64_t gid, StreamId id);
  // Writes the PEL entry and the consumer's index record (the caller keeps the counts).
  Status PutPending(std::uint64_t gid, const PendingEntry& pe);
  Status DeletePending(std::uint64_t gid, const PendingEntry& pe);
  // Pending entries of the group (or of one consumer when `consumer` is set) with
  // start <= id <= end, in order (or reverse), at most `count` (0: all).
  Result<std::vector<PendingEntry>> PendingRange(std::uint64_t gid,
                                                 const std::optional<std::string>& consumer,
                                                 StreamId start, StreamId end, std::uint64_t count,
                                                 bool reverse = false);

  Result<std::optional<ConsumerMeta>> GetConsumer(std::uint64_t gid, std::string_view name);
  Status PutConsumer(std::uint64_t gid, const ConsumerMeta& consumer);
  Status DeleteConsumer(std::uint64_t gid, std::string_view name);
  Result<std::vector<ConsumerMeta>> Consumers(std::uint64_t gid);

  // Writes the "M" record and the key's metadata (the key is created when new).
  Status Commit();

  // A node record (see the file comment): its first ID, live and deleted entries, an estimate
  // of its listpack's bytes, and the last ID appended to it.
  struct Node {
    StreamId first;
    std::uint64_t live = 0;
    std::uint64_t deleted = 0;
    std::uint64_t bytes = 0;
    StreamId last;
  };

 private:
  StreamKey(Database& db, std::string_view key, const KeyInfo& info, bool created)
      : db_(&db), key_(key), info_(info), created_(created) {}
  // The node holding `id`: the node record with the greatest first ID <= id.
  Result<std::optional<Node>> NodeOf(StreamId id);
  Result<std::optional<Node>> FirstNode();
  Status PutNode(const Node& node);
  Status DeleteNode(const Node& node);
  // Removes an entry known to exist from its node and the records.
  Status RemoveEntry(StreamId id, Node* node);

  Database* db_;
  std::string key_;
  KeyInfo info_;
  StreamMeta meta_;
  bool created_ = false;
};

// Redis's streamRangeHasTombstones: whether an entry deleted by XDEL may lie in [start, end].
bool RangeHasTombstones(const StreamMeta& meta, std::uint64_t length, StreamId start, StreamId end);
// Redis's streamEstimateDistanceFromFirstEverEntry: the logical read counter of `id` (entries
// added up to it), or -1 when it cannot be known.
std::int64_t EstimateDistance(const StreamMeta& meta, std::uint64_t length, StreamId id);
// A group's lag (XINFO GROUPS), nullopt when unknown.
std::optional<std::int64_t> GroupLag(const StreamMeta& meta, std::uint64_t length,
                                     const GroupMeta& group);

// Record names (exposed for tests).
std::string EntryRecord(StreamId id);

}  // namespace larder::server::streams

#endif  // LARDER_SERVER_STREAM_STORE_H_
