// TsMeta: what larderd's TS.* commands keep about a series beside the time-series engine, which
// stores only names, intervals and samples (larder/tsdb/db.h): labels, retention, duplicate
// policy and downsampling rules (docs/server.md, "Time series").
//
// Durability: a log of records, one per change of one series (the last record of a name wins),
// each appended and synced before the command replies (AppendTsMeta). A crash can leave a torn
// last record: LoadTsMeta drops it and reports it, and the caller rewrites the file
// (RewriteTsMeta: `<path>.tmp`, sync, rename, directory sync), as it does when the log holds
// many more records than series. So a change costs one small append, whatever the series count.
//
// Format (little-endian): "LTSM" magic, u32 version (2); then records: u32 CRC32C of the
// payload, u32 payload length, payload = length-prefixed name, varint retention_ms, u8
// duplicate policy, varint label count, length-prefixed key and value per label, varint rule
// count, per rule: length-prefixed destination, u8 aggregation, varint bucket_ms, varint
// align_ms. A record of the name alone (nothing after it) deletes the series' metadata (DEL of
// a series; larderd before it reads such a record as damage).
//
// Thread-safety: pure functions; the caller serialises calls on one path.
#ifndef LARDER_SERVER_TS_META_H_
#define LARDER_SERVER_TS_META_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "larder/file_system.h"
#include "larder/result.h"
#include "larder/status.h"
#include "larder/tsdb/db.h"

namespace larder::server {

// RedisTimeSeries' duplicate policies (what TS.ADD does with a sample at the last timestamp).
enum class DuplicatePolicy : std::uint8_t { kBlock, kFirst, kLast, kMin, kMax, kSum };

struct TsRule {
  std::string dest;
  tsdb::Aggregation aggregation = tsdb::Aggregation::kAvg;
  std::int64_t bucket_ms = 0;
  std::int64_t align_ms = 0;
  friend bool operator==(const TsRule&, const TsRule&) = default;
};

struct TsSeriesMeta {
  std::int64_t retention_ms = 0;  // 0: keep until the disk quota removes it
  DuplicatePolicy duplicate_policy = DuplicatePolicy::kBlock;
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<TsRule> rules;  // this series -> downsampled destinations
  friend bool operator==(const TsSeriesMeta&, const TsSeriesMeta&) = default;
};

using TsMetaTable = std::map<std::string, TsSeriesMeta>;

struct TsMetaLog {
  TsMetaTable table;
  std::uint64_t records = 0;  // records read (more than table.size() after changes)
  bool exists = false;
  bool torn_tail = false;  // the last record was cut short or its checksum fails: dropped
};

// The table at `path` (empty when the file does not exist). Corruption naming the file and the
// offset when the header or a record before the last one is damaged.
Result<TsMetaLog> LoadTsMeta(FileSystem* fs, const std::string& path);
// Replaces the file with one record per series of `table`.
Status RewriteTsMeta(FileSystem* fs, const std::string& path, const TsMetaTable& table);
// Appends the record of series `name` and syncs it. REQUIRES: the file exists (RewriteTsMeta)
// and ends on a whole record (not torn).
Status AppendTsMeta(FileSystem* fs, const std::string& path, const std::string& name,
                    const TsSeriesMeta& meta);

// Appends a record deleting series `name`'s metadata and syncs it (same REQUIRES).
Status AppendTsMetaDeletion(FileSystem* fs, const std::string& path, const std::string& name);

}  // namespace larder::server

#endif  // LARDER_SERVER_TS_META_H_
