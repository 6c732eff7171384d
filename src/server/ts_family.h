// Shared pieces of larderd's TS.* commands (ts_commands.cc, ts_range_commands.cc): argument
// parsing with RedisTimeSeries' error messages, FILTER label matchers, bucketing with ALIGN and
// GROUPBY reducers computed in the server, and access to TsService.
//
// Thread-safety: the parsers and aggregations are pure; the rest REQUIRES the execution lock
// (a command's context).
#ifndef LARDER_SERVER_TS_FAMILY_H_
#define LARDER_SERVER_TS_FAMILY_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "larder/status.h"
#include "larder/tsdb/db.h"
#include "server/command.h"
#include "server/ts_meta.h"

namespace larder::server::tsfamily {

using Labels = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::string_view kNoKey = "ERR TSDB: the key does not exist";
inline constexpr std::string_view kKeyExists = "ERR TSDB: key already exists";
inline constexpr std::string_view kBadTimestamp = "ERR TSDB: invalid timestamp";
inline constexpr std::string_view kBadValue = "ERR TSDB: invalid value";
inline constexpr std::string_view kOlderThanLast =
    "ERR TSDB: timestamp must be equal to or higher than the maximum existing timestamp";

// Case-insensitive RedisTimeSeries names: "avg", "std.p", ... and BLOCK, FIRST, ...
std::optional<tsdb::Aggregation> ParseAggregation(std::string_view name);
std::string_view AggregationName(tsdb::Aggregation aggregation);  // "avg", "std.p", ...
std::optional<DuplicatePolicy> ParseDuplicatePolicy(std::string_view name);
std::string_view DuplicatePolicyName(DuplicatePolicy policy);  // "block", ...
// A timestamp argument: an integer in [0, kMaxTime].
std::optional<std::int64_t> ParseTimestamp(std::string_view arg);
// A range's bound: a timestamp, or `-` (0) or `+` (kMaxTime).
std::optional<std::int64_t> ParseRangeBound(std::string_view arg);

// One FILTER matcher: label l's value (empty when the series lacks l) is one of `values`
// (l=v, l=, l=(a,b)), or with `negate` none of them (l!=v, l!=, l!=(a,b)).
struct Matcher {
  std::string label;
  bool negate = false;
  std::vector<std::string> values;
};
// Parses FILTER's arguments; on error returns the reply ("ERR TSDB: failed parsing labels", or
// "... please provide at least one matcher" when no matcher requires a non-empty value).
std::optional<std::string> ParseFilter(std::span<const std::string_view> args,
                                       std::vector<Matcher>* out);
bool MatchesAll(const std::vector<Matcher>& matchers, const Labels& labels);

// The aggregate of `values` (REQUIRES: not empty); std.p/var.p in two passes (a constant gives 0).
double AggregateValues(std::span<const double> values, tsdb::Aggregation aggregation);
// Buckets of `bucket_ms` whose starts are align_ms + k * bucket_ms, each reported at its start
// (clamped to 0), empty ones left out; `samples` oldest first, appended oldest first.
void Bucketize(std::span<const tsdb::Sample> samples, std::int64_t bucket_ms, std::int64_t align_ms,
               tsdb::Aggregation aggregation, std::vector<tsdb::Sample>* out);

// The start of the bucket holding t: align_ms + k * bucket_ms <= t (negative near 0 with ALIGN).
std::int64_t BucketStart(std::int64_t t, std::int64_t bucket_ms, std::int64_t align_ms);

// TS.RANGE's aggregation options (ts_buckets.cc).
enum class BucketTimestamp { kStart, kEnd, kMid };  // BUCKETTIMESTAMP - + ~
struct BucketSpec {
  std::int64_t bucket_ms = 1;
  std::int64_t align_ms = 0;
  tsdb::Aggregation aggregation = tsdb::Aggregation::kAvg;
  BucketTimestamp timestamp = BucketTimestamp::kStart;
  // EMPTY: also the empty buckets between the first and the last bucket with samples (for twa,
  // between the range's ends when samples lie beyond them): 0 for sum and count, the previous
  // sample's value for last, the interpolation for twa, NaN for the rest.
  bool empty = false;
  // The query's range and the samples just outside it (twa interpolates towards them; `last`
  // of an empty bucket may be `before`).
  std::int64_t from = 0;
  std::int64_t to = tsdb::kMaxTime;
  std::optional<tsdb::Sample> before, after;
};
// `samples` (oldest first, within [spec.from, spec.to]) into buckets, appended oldest first,
// each at its start, end or middle (clamped to 0). twa: the area under the line through the
// samples (and the neighbours interpolated to the bucket's edges) over the time it covers; a
// lone sample gives its value. False, appending nothing, when EMPTY would make more than
// kMaxBuckets buckets.
inline constexpr std::int64_t kMaxBuckets = std::int64_t{1} << 22;
bool Bucketize(std::span<const tsdb::Sample> samples, const BucketSpec& spec,
               std::vector<tsdb::Sample>* out);

// GROUPBY ... REDUCE: the samples of several series merged by timestamp, the values at one
// timestamp reduced; oldest first.
std::vector<tsdb::Sample> ReduceSeries(const std::vector<std::vector<tsdb::Sample>>& series,
                                       tsdb::Aggregation reducer);

// TS.RANGE TS.REVRANGE TS.MGET TS.MRANGE TS.MREVRANGE TS.QUERYINDEX (ts_range_commands.cc).
void RegisterTsRangeCommands(CommandTable& table);

// --- Service access (REQUIRE the execution lock) ---------------------------------------------

// The engine, or nullptr after replying why there is none.
tsdb::DB* TsDb(CommandContext& ctx);
// A series' metadata (the defaults when the table has none). Valid until the table changes
// (TS.CREATE, TS.ALTER, rules, a series created by TS.ADD).
const TsSeriesMeta& MetaOf(CommandContext& ctx, const std::string& name);
// The series named `name`; nullopt after replying kNoKey, or with *engine_error set.
std::optional<tsdb::SeriesId> FindOrReply(CommandContext& ctx, tsdb::DB* db, std::string_view name,
                                          Status* engine_error);
// Raw samples in [from, to] after the series' retention (last - retention_ms) is applied; with
// a limit, the first `limit` (the newest with reverse, appended newest first).
Status RawRange(tsdb::DB* db, tsdb::SeriesId id, const TsSeriesMeta& meta, std::int64_t from,
                std::int64_t to, std::vector<tsdb::Sample>* out, std::size_t limit = 0,
                bool reverse = false);
// LATEST: when `dest` is a rule's destination, the source's still-open bucket aggregated (at
// its start), if the destination has nothing at or after that time; else nullopt.
Result<std::optional<tsdb::Sample>> LatestBucket(CommandContext& ctx, tsdb::DB* db,
                                                 const std::string& dest);

// The newest sample RawRange would return (nullopt when none: empty, deleted or expired).
Result<std::optional<tsdb::Sample>> LastSample(tsdb::DB* db, tsdb::SeriesId id,
                                               const TsSeriesMeta& meta);

// Writes a sample: [time, value] (an empty array for nullopt).
void ReplySample(ReplyBuilder& reply, const std::optional<tsdb::Sample>& sample);
void ReplySamples(ReplyBuilder& reply, std::span<const tsdb::Sample> samples);
void ReplyLabels(ReplyBuilder& reply, const Labels& labels);

}  // namespace larder::server::tsfamily

#endif  // LARDER_SERVER_TS_FAMILY_H_
