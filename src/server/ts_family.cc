#include "server/ts_family.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include "server/args.h"
#include "server/reply_builder.h"
#include "server/server.h"
#include "server/ts_service.h"

namespace larder::server::tsfamily {
namespace {

constexpr std::array<std::pair<std::string_view, tsdb::Aggregation>, 13> kAggregations = {{
    {"avg", tsdb::Aggregation::kAvg},
    {"min", tsdb::Aggregation::kMin},
    {"max", tsdb::Aggregation::kMax},
    {"sum", tsdb::Aggregation::kSum},
    {"count", tsdb::Aggregation::kCount},
    {"first", tsdb::Aggregation::kFirst},
    {"last", tsdb::Aggregation::kLast},
    {"range", tsdb::Aggregation::kRange},
    {"std.p", tsdb::Aggregation::kStdP},
    {"var.p", tsdb::Aggregation::kVarP},
    {"std.s", tsdb::Aggregation::kStdS},
    {"var.s", tsdb::Aggregation::kVarS},
    {"twa", tsdb::Aggregation::kTwa},
}};

constexpr std::array<std::pair<std::string_view, DuplicatePolicy>, 6> kPolicies = {{
    {"block", DuplicatePolicy::kBlock},
    {"first", DuplicatePolicy::kFirst},
    {"last", DuplicatePolicy::kLast},
    {"min", DuplicatePolicy::kMin},
    {"max", DuplicatePolicy::kMax},
    {"sum", DuplicatePolicy::kSum},
}};

// "a,b" -> {"a", "b"}.
std::vector<std::string> SplitList(std::string_view s) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (true) {
    const std::size_t comma = s.find(',', at);
    out.emplace_back(s.substr(at, comma == std::string_view::npos ? s.npos : comma - at));
    if (comma == std::string_view::npos) return out;
    at = comma + 1;
  }
}

}  // namespace

std::optional<tsdb::Aggregation> ParseAggregation(std::string_view name) {
  for (const auto& [n, a] : kAggregations) {
    if (EqualsIgnoreCase(name, n)) return a;
  }
  return std::nullopt;
}

std::string_view AggregationName(tsdb::Aggregation aggregation) {
  for (const auto& [n, a] : kAggregations) {
    if (a == aggregation) return n;
  }
  return "?";
}

std::optional<DuplicatePolicy> ParseDuplicatePolicy(std::string_view name) {
  for (const auto& [n, p] : kPolicies) {
    if (EqualsIgnoreCase(name, n)) return p;
  }
  return std::nullopt;
}

std::string_view DuplicatePolicyName(DuplicatePolicy policy) {
  for (const auto& [n, p] : kPolicies) {
    if (p == policy) return n;
  }
  return "?";
}

std::optional<std::int64_t> ParseTimestamp(std::string_view arg) {
  return ParseInt64InRange(arg, 0, tsdb::kMaxTime);
}

std::optional<std::int64_t> ParseRangeBound(std::string_view arg) {
  if (arg == "-") return std::int64_t{0};
  if (arg == "+") return tsdb::kMaxTime;
  return ParseTimestamp(arg);
}

std::optional<std::string> ParseFilter(std::span<const std::string_view> args,
                                       std::vector<Matcher>* out) {
  const std::string parse_error = "ERR TSDB: failed parsing labels";
  bool positive = false;
  for (std::string_view arg : args) {
    const std::size_t eq = arg.find('=');
    if (eq == std::string_view::npos || eq == 0) return parse_error;
    Matcher m;
    m.negate = arg[eq - 1] == '!';
    m.label = std::string(arg.substr(0, m.negate ? eq - 1 : eq));
    if (m.label.empty()) return parse_error;
    std::string_view value = arg.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '(' && value.back() == ')') {
      m.values = SplitList(value.substr(1, value.size() - 2));
    } else {
      m.values.emplace_back(value);
    }
    const bool needs_value =
        std::none_of(m.values.begin(), m.values.end(), [](const auto& v) { return v.empty(); });
    if (!m.negate && needs_value) positive = true;
    out->push_back(std::move(m));
  }
  if (!positive) return std::string("ERR TSDB: please provide at least one matcher");
  return std::nullopt;
}

bool MatchesAll(const std::vector<Matcher>& matchers, const Labels& labels) {
  for (const Matcher& m : matchers) {
    std::string_view value;
    for (const auto& [k, v] : labels) {
      if (k == m.label) value = v;
    }
    const bool in = std::find(m.values.begin(), m.values.end(), value) != m.values.end();
    if (in == m.negate) return false;
  }
  return true;
}

double AggregateValues(std::span<const double> values, tsdb::Aggregation aggregation) {
  const double n = static_cast<double>(values.size());
  double sum = 0;
  for (double v : values) sum += v;
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  switch (aggregation) {
    case tsdb::Aggregation::kAvg:
      return sum / n;
    case tsdb::Aggregation::kMin:
      return *lo;
    case tsdb::Aggregation::kMax:
      return *hi;
    case tsdb::Aggregation::kSum:
      return sum;
    case tsdb::Aggregation::kCount:
      return n;
    case tsdb::Aggregation::kFirst:
      return values.front();
    case tsdb::Aggregation::kLast:
      return values.back();
    case tsdb::Aggregation::kRange:
      return *hi - *lo;
    case tsdb::Aggregation::kStdP:
    case tsdb::Aggregation::kVarP:
    case tsdb::Aggregation::kStdS:
    case tsdb::Aggregation::kVarS: {
      const bool sample =
          aggregation == tsdb::Aggregation::kStdS || aggregation == tsdb::Aggregation::kVarS;
      if (sample && values.size() == 1) return 0;
      const double mean = sum / n;
      double squares = 0;
      for (double v : values) squares += (v - mean) * (v - mean);
      const double var = squares / (sample ? n - 1 : n);
      return aggregation == tsdb::Aggregation::kVarP || aggregation == tsdb::Aggregation::kVarS
                 ? var
                 : std::sqrt(var);
    }
    case tsdb::Aggregation::kTwa:
      return sum / n;  // without times (a reducer): the plain average
  }
  return 0;
}

void Bucketize(std::span<const tsdb::Sample> samples, std::int64_t bucket_ms, std::int64_t align_ms,
               tsdb::Aggregation aggregation, std::vector<tsdb::Sample>* out) {
  BucketSpec spec;
  spec.bucket_ms = bucket_ms;
  spec.align_ms = align_ms;
  spec.aggregation = aggregation;
  (void)Bucketize(samples, spec, out);  // without EMPTY it always succeeds
}

std::vector<tsdb::Sample> ReduceSeries(const std::vector<std::vector<tsdb::Sample>>& series,
                                       tsdb::Aggregation reducer) {
  std::map<std::int64_t, std::vector<double>> at;
  for (const auto& samples : series) {
    for (const tsdb::Sample& s : samples) at[s.time_ms].push_back(s.value);
  }
  std::vector<tsdb::Sample> out;
  out.reserve(at.size());
  for (const auto& [t, values] : at) out.push_back({t, AggregateValues(values, reducer)});
  return out;
}

tsdb::DB* TsDb(CommandContext& ctx) {
  Result<tsdb::DB*> db = ctx.server.Service<TsService>().Db();
  if (!db.ok()) {
    ctx.reply.Error("ERR TSDB: time series are unavailable: " + db.status().ToString());
    return nullptr;
  }
  return *db;
}

const TsSeriesMeta& MetaOf(CommandContext& ctx, const std::string& name) {
  static const TsSeriesMeta kDefaults;
  const TsMetaTable& table = ctx.server.Service<TsService>().meta();
  auto it = table.find(name);
  return it == table.end() ? kDefaults : it->second;
}

std::optional<tsdb::SeriesId> FindOrReply(CommandContext& ctx, tsdb::DB* db, std::string_view name,
                                          Status* engine_error) {
  Result<tsdb::SeriesId> id = db->FindSeries(name);
  if (id.ok()) return *id;
  if (id.status().IsNotFound()) {
    ctx.reply.Error(kNoKey);
  } else {
    *engine_error = id.status();
  }
  return std::nullopt;
}

namespace {

// The oldest time RETENTION lets a read see (0 without retention).
Result<std::int64_t> RetentionStart(tsdb::DB* db, tsdb::SeriesId id, const TsSeriesMeta& meta) {
  if (meta.retention_ms <= 0) return std::int64_t{0};
  LARDER_ASSIGN_OR_RETURN(tsdb::SeriesInfo info, db->Info(id));
  return std::max<std::int64_t>(0, info.last_time_ms - meta.retention_ms);
}

}  // namespace

Status RawRange(tsdb::DB* db, tsdb::SeriesId id, const TsSeriesMeta& meta, std::int64_t from,
                std::int64_t to, std::vector<tsdb::Sample>* out, std::size_t limit, bool reverse) {
  LARDER_ASSIGN_OR_RETURN(std::int64_t start, RetentionStart(db, id, meta));
  from = std::max(from, start);
  if (from > to) return Status::Ok();
  tsdb::RangeOptions options;
  options.limit = limit;
  options.reverse = reverse;
  return db->Range(id, from, to, options, out);
}

Result<std::optional<tsdb::Sample>> LatestBucket(CommandContext& ctx, tsdb::DB* db,
                                                 const std::string& dest) {
  for (const auto& [src, m] : ctx.server.Service<TsService>().meta()) {
    for (const TsRule& rule : m.rules) {
      if (rule.dest != dest) continue;
      Result<tsdb::SeriesId> src_id = db->FindSeries(src);
      Result<tsdb::SeriesId> dest_id = db->FindSeries(dest);
      if (!src_id.ok() || !dest_id.ok()) return std::optional<tsdb::Sample>();
      LARDER_ASSIGN_OR_RETURN(std::optional<tsdb::Sample> last, LastSample(db, *src_id, m));
      if (!last) return std::optional<tsdb::Sample>();
      std::vector<tsdb::Sample> bucket, open;
      Bucketize(std::vector<tsdb::Sample>{*last}, rule.bucket_ms, rule.align_ms,
                tsdb::Aggregation::kFirst, &bucket);
      LARDER_RETURN_IF_ERROR(RawRange(db, *src_id, m, bucket[0].time_ms, last->time_ms, &open));
      bucket.clear();
      Bucketize(open, rule.bucket_ms, rule.align_ms, rule.aggregation, &bucket);
      if (bucket.empty()) return std::optional<tsdb::Sample>();
      LARDER_ASSIGN_OR_RETURN(tsdb::SeriesInfo info, db->Info(*dest_id));
      if (info.last_time_ms >= bucket.back().time_ms) return std::optional<tsdb::Sample>();
      return std::optional<tsdb::Sample>(bucket.back());
    }
  }
  return std::optional<tsdb::Sample>();
}

Result<std::optional<tsdb::Sample>> LastSample(tsdb::DB* db, tsdb::SeriesId id,
                                               const TsSeriesMeta& meta) {
  LARDER_ASSIGN_OR_RETURN(std::int64_t start, RetentionStart(db, id, meta));
  tsdb::RangeOptions options;
  options.reverse = true;
  options.limit = 1;
  std::vector<tsdb::Sample> out;
  LARDER_RETURN_IF_ERROR(db->Range(id, start, tsdb::kMaxTime, options, &out));
  if (out.empty()) return std::optional<tsdb::Sample>();
  return std::optional<tsdb::Sample>(out[0]);
}

void ReplySample(ReplyBuilder& reply, const std::optional<tsdb::Sample>& sample) {
  if (!sample) {
    reply.ArrayHeader(0);
    return;
  }
  reply.ArrayHeader(2);
  reply.Integer(sample->time_ms);
  reply.Double(sample->value);
}

void ReplySamples(ReplyBuilder& reply, std::span<const tsdb::Sample> samples) {
  reply.ArrayHeader(samples.size());
  for (const tsdb::Sample& s : samples) ReplySample(reply, s);
}

void ReplyLabels(ReplyBuilder& reply, const Labels& labels) {
  reply.ArrayHeader(labels.size());
  for (const auto& [k, v] : labels) {
    reply.ArrayHeader(2);
    reply.Bulk(k);
    reply.Bulk(v);
  }
}

}  // namespace larder::server::tsfamily
