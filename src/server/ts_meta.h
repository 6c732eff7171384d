// TsMeta: what larderd's TS.* commands keep about a series beside the time-series engine, which
// stores only names, intervals and samples (larder/tsdb/db.h): labels, retention, duplicate
// policy and downsampling rules (docs/server.md, "Time series").
//
// Durability: SaveTsMeta writes the whole table to `<path>.tmp`, syncs it, renames it over
// `path` and syncs the directory, so a crash leaves the old table or the new one. The file is
// small (one record per series) and rewritten on TS.CREATE, TS.ALTER and rule changes only.
//
// Format (little-endian): "LTSM" magic, u32 version (1), u32 CRC32C of the body, u32 body
// length, body = varint series count, per series: length-prefixed name, varint retention_ms,
// u8 duplicate policy, varint label count, length-prefixed key and value per label, varint rule
// count, per rule: length-prefixed destination, u8 aggregation, varint bucket_ms, varint
// align_ms.
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

// The table at `path`: empty when the file does not exist; Corruption naming the file and the
// offset when it is damaged.
Result<TsMetaTable> LoadTsMeta(FileSystem* fs, const std::string& path);
Status SaveTsMeta(FileSystem* fs, const std::string& path, const TsMetaTable& table);

}  // namespace larder::server

#endif  // LARDER_SERVER_TS_META_H_
