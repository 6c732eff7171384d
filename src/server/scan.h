// The SCAN cursor scheme shared by SCAN and HSCAN (and later SSCAN/ZSCAN).
//
// Redis's cursors are numbers that encode a position in a hash table. larderd walks ordered
// keys instead, and the position to resume from is the last key (or member) a call returned.
// A key can be long, so it is not put in the number: the server keeps a table from cursor
// numbers to resume positions, and the client holds only the number.
//
// Guarantees (docs/server.md, "Keys, expiry and hashes"):
//   - Every element present from the first call of a scan to its last is returned at least
//     once: a call resumes at the first element greater than the last one it returned, so
//     inserts and deletes between calls move nothing already passed.
//   - An element is returned at most once per scan unless the cursor was lost (below).
//   - Elements added or removed during the scan may or may not be returned.
//   - A cursor the table does not know (0, a number never issued, one issued by an earlier
//     process, one evicted from the bounded table, or one already used once) restarts the scan
//     from the beginning: elements may then be returned again, but none is skipped. The table
//     keeps kDefaultMaxCursors cursors (about 64 MiB of positions at most); a cursor is dropped
//     when used (its call issues a new one) or, oldest first, when the table is full.
//   - A cursor is valid only for the scope it was issued for (the database of a SCAN, the
//     database and key of an HSCAN); used elsewhere it restarts the scan.
//
// Scopes: "db:<index>" for SCAN, "hash:<db>:<key>" for HSCAN; SSCAN/ZSCAN should use their own
// prefix ("set:", "zset:") so that a cursor of one is never taken for another's.
//
// Thread-safety: ScanCursorTable is safe for concurrent use (one internal mutex); the commands
// reach it with the execution lock held anyway.
#ifndef LARDER_SERVER_SCAN_H_
#define LARDER_SERVER_SCAN_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "larder/result.h"
#include "server/command.h"
#include "server/keyspace.h"
#include "server/server.h"

namespace larder::server {

class ScanCursorTable {
 public:
  static constexpr std::size_t kDefaultMaxCursors = 65536;
  static constexpr std::size_t kDefaultMaxBytes = 64u << 20;

  // `seed` picks the high bits of the numbers this table issues, so numbers of another process
  // (another seed) are most likely unknown here; 0 draws a random seed.
  explicit ScanCursorTable(std::size_t max_cursors = kDefaultMaxCursors,
                           std::size_t max_bytes = kDefaultMaxBytes, std::uint64_t seed = 0);

  // The element after which the scan of `cursor` resumes, and forgets the cursor. nullopt: start
  // from the beginning (cursor 0, unknown, or issued for another scope).
  std::optional<std::string> Take(std::uint64_t cursor, std::string_view scope);
  // Remembers that the scan of `scope` resumes after `last`; returns the new cursor (never 0,
  // below 2^63 so that clients parsing a signed 64-bit number read it too).
  std::uint64_t Issue(std::string_view scope, std::string last);

  std::size_t size() const;

 private:
  struct Entry {
    std::string scope;
    std::string last;
    std::list<std::uint64_t>::iterator order;  // its place in order_
  };
  void EvictLocked() REQUIRES(mu_);

  const std::size_t max_cursors_;
  const std::size_t max_bytes_;
  const std::uint64_t prefix_;  // bits 40..62 of every issued number, never 0
  mutable Mutex mu_;
  std::uint64_t next_ GUARDED_BY(mu_) = 0;  // low 40 bits of the next number
  std::unordered_map<std::uint64_t, Entry> entries_ GUARDED_BY(mu_);
  std::list<std::uint64_t> order_ GUARDED_BY(mu_);  // oldest first
  std::size_t bytes_ GUARDED_BY(mu_) = 0;           // scope + last of every entry
};

// The server's table (a ServerService, so one per Server), used by the SCAN family's commands.
class ScanCursorService : public ServerService {
 public:
  explicit ScanCursorService(Server& server) {}
  ScanCursorTable& table() { return table_; }

 private:
  ScanCursorTable table_;
};
ScanCursorTable& ScanCursors(CommandContext& ctx);

// A cursor argument as Redis reads it (strtoull: no leading space, the whole string, no
// overflow); nullopt means "ERR invalid cursor".
std::optional<std::uint64_t> ParseScanCursor(std::string_view s);
// ParseScanCursor, replying "ERR invalid cursor" (and returning nullopt) when it fails.
std::optional<std::uint64_t> ParseScanCursorOrReply(CommandContext& ctx, std::string_view s);

struct ScanOptions {
  std::optional<std::string> pattern;  // MATCH; none when absent or "*"
  std::uint64_t count = 10;            // COUNT: elements visited per call
  std::optional<std::string> type;     // TYPE (SCAN only), as given
};

// Parses [MATCH p] [COUNT n] [TYPE t] from argv[first...]. On a bad option it replies with
// Redis's error and returns false.
bool ParseScanOptions(CommandContext& ctx, std::size_t first, bool allow_type,
                      ScanOptions* options);

// One call's walk: up to `limit` elements from `cursor` (pairs of key and value; the value is
// empty for key walks). `more` is false when the walk reached the end.
struct ScanBatch {
  std::vector<std::pair<std::string, std::string>> items;
  bool more = false;
};
Result<ScanBatch> CollectScanBatch(Cursor& cursor, std::uint64_t limit);

// Where a walk starts after `last`: the least string greater than it.
std::string ScanStartAfter(const std::optional<std::string>& last);

// The reply to a scan of a missing key: [0, []].
void ReplyEmptyScan(CommandContext& ctx);
// The scope of a collection's scan: "<type>:<db>:<key>" (type "hash", "set", "zset").
std::string CollectionScanScope(std::string_view type, int db, std::string_view key);

// Writes the reply [next-cursor, [elements...]] where next-cursor is 0 when !batch.more, and
// otherwise a new cursor of `scope` resuming after the batch's last element. `emit` lists the
// elements to return (after filtering) as flat strings.
void ReplyScan(CommandContext& ctx, ScanCursorTable& table, std::string_view scope,
               const ScanBatch& batch, const std::vector<std::string_view>& elements);

// ReplyScan of a walk over pairs (HSCAN's field and value, ZSCAN's member and score): every
// pair whose key matches `pattern` (all when none), flat.
void ReplyScanPairs(CommandContext& ctx, ScanCursorTable& table, std::string_view scope,
                    const ScanBatch& batch, const std::optional<std::string>& pattern);

}  // namespace larder::server

#endif  // LARDER_SERVER_SCAN_H_
