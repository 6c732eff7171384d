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

constexpr std::array<std::pair<std::string_view, tsdb::Aggregation>, 10> kAggregations = {{
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
    case tsdb::Aggregation::kVarP: {
      const double mean = sum / n;
      double squares = 0;
      for (double v : values) squares += (v - mean) * (v - mean);
      const double var = squares / n;
      return aggregation == tsdb::Aggregation::kVarP ? var : std::sqrt(var);
    }
  }
  return 0;
}

void Bucketize(std::span<const tsdb::Sample> samples, std::int64_t bucket_ms, std::int64_t align_ms,
               tsdb::Aggregation aggregation, std::vector<tsdb::Sample>* out) {
  const std::int64_t offset = align_ms % bucket_ms;
  auto start_of = [&](std::int64_t t) {
    std::int64_t d = (t - offset) % bucket_ms;
    if (d < 0) d += bucket_ms;
    return t - d;
  };
  std::vector<double> values;
  std::int64_t start = 0;
  for (std::size_t i = 0; i <= samples.size(); ++i) {
    const bool end = i == samples.size();
    if (!values.empty() && (end || start_of(samples[i].time_ms) != start)) {
      out->push_back({std::max<std::int64_t>(start, 0), AggregateValues(values, aggregation)});
      values.clear();
    }
    if (end) break;
    start = start_of(samples[i].time_ms);
    values.push_back(samples[i].value);
  }
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

Status RawRange(tsdb::DB* db, tsdb::SeriesId id, const TsSeriesMeta& meta, std::int64_t from,
                std::int64_t to, std::vector<tsdb::Sample>* out) {
  if (meta.retention_ms > 0) {
    LARDER_ASSIGN_OR_RETURN(tsdb::SeriesInfo info, db->Info(id));
    if (info.last_time_ms >= 0) from = std::max(from, info.last_time_ms - meta.retention_ms);
  }
  if (from > to) return Status::Ok();
  return db->Range(id, from, to, {}, out);
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
