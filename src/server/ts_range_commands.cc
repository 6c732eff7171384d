// larderd's TS.* range and multi-series reads (docs/server.md, "Time series"): TS.RANGE
// TS.REVRANGE TS.MGET TS.MRANGE TS.MREVRANGE TS.QUERYINDEX, with FILTER label matchers,
// FILTER_BY_TS, FILTER_BY_VALUE, COUNT, ALIGN, AGGREGATION (EMPTY, BUCKETTIMESTAMP), LATEST and
// GROUPBY ... REDUCE. Buckets are computed here (ts_family.h, ts_buckets.cc) so that ALIGN and
// the reducers share one code path.
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/args.h"
#include "server/reply_builder.h"
#include "server/server.h"
#include "server/ts_family.h"
#include "server/ts_service.h"

namespace larder::server::tsfamily {
namespace {

struct RangeArgs {
  std::int64_t from = 0;
  std::int64_t to = tsdb::kMaxTime;
  bool reverse = false;
  std::optional<std::int64_t> count;
  std::optional<std::vector<std::int64_t>> filter_ts;
  std::optional<std::pair<double, double>> filter_value;
  std::optional<tsdb::Aggregation> aggregation;
  std::int64_t bucket_ms = 0;
  std::int64_t align_ms = 0;
  bool empty = false;
  BucketTimestamp bucket_timestamp = BucketTimestamp::kStart;
  bool latest = false;
  // Multi-series commands.
  bool with_labels = false;
  std::optional<std::vector<std::string>> selected_labels;
  std::vector<Matcher> matchers;
  std::optional<std::string> group_by;
  tsdb::Aggregation reducer = tsdb::Aggregation::kSum;
};

bool IsKeyword(std::string_view a) {
  for (std::string_view k :
       {"LATEST", "FILTER_BY_TS", "FILTER_BY_VALUE", "COUNT", "ALIGN", "AGGREGATION",
        "BUCKETTIMESTAMP", "WITHLABELS", "SELECTED_LABELS", "FILTER", "GROUPBY", "EMPTY"}) {
    if (EqualsIgnoreCase(a, k)) return true;
  }
  return false;
}

// Parses argv[at..] (after the key or the from/to pair); false after replying an error.
// `multi`: the M* commands (WITHLABELS, SELECTED_LABELS, FILTER, GROUPBY; FILTER required).
bool ParseRangeArgs(CommandContext& ctx, std::size_t at, bool multi, bool range, RangeArgs* out) {
  const auto& a = ctx.argv;
  auto fail = [&](std::string_view error) {
    ctx.reply.Error(error);
    return false;
  };
  if (range) {
    std::optional<std::int64_t> from = ParseRangeBound(a[at]), to = ParseRangeBound(a[at + 1]);
    if (!from) return fail("ERR TSDB: wrong fromTimestamp");
    if (!to) return fail("ERR TSDB: wrong toTimestamp");
    out->from = *from;
    out->to = *to;
    at += 2;
  }
  std::string_view align_arg;
  bool has_filter = false;
  for (std::size_t i = at; i < a.size(); ++i) {
    const std::string_view opt = a[i];
    const std::size_t left = a.size() - i - 1;
    if (EqualsIgnoreCase(opt, "LATEST")) {
      out->latest = true;
    } else if (range && EqualsIgnoreCase(opt, "EMPTY")) {
      out->empty = true;
    } else if (EqualsIgnoreCase(opt, "FILTER_BY_TS")) {
      std::vector<std::int64_t> ts;
      while (i + 1 < a.size() && !IsKeyword(a[i + 1])) {
        std::optional<std::int64_t> t = ParseTimestamp(a[++i]);
        if (!t) return fail("ERR TSDB: invalid timestamp");
        ts.push_back(*t);
      }
      if (ts.empty()) return fail("ERR TSDB: FILTER_BY_TS one or more arguments are missing");
      std::sort(ts.begin(), ts.end());
      out->filter_ts = std::move(ts);
    } else if (EqualsIgnoreCase(opt, "FILTER_BY_VALUE")) {
      std::optional<double> lo, hi;
      if (left < 2 || !(lo = ParseDouble(a[i + 1])) || !(hi = ParseDouble(a[i + 2]))) {
        return fail("ERR TSDB: wrong value at FILTER_BY_VALUE");
      }
      out->filter_value = {*lo, *hi};
      i += 2;
    } else if (EqualsIgnoreCase(opt, "COUNT")) {
      std::optional<std::int64_t> n;
      if (left < 1 || !(n = ParseInt64InRange(a[++i], 1, INT64_MAX))) {
        return fail("ERR TSDB: Couldn't parse COUNT");
      }
      out->count = *n;
    } else if (EqualsIgnoreCase(opt, "ALIGN")) {
      if (left < 1) return fail("ERR TSDB: unknown ALIGN parameter");
      align_arg = a[++i];
    } else if (EqualsIgnoreCase(opt, "AGGREGATION")) {
      if (left < 2) return fail("ERR TSDB: wrong number of arguments for AGGREGATION");
      out->aggregation = ParseAggregation(a[i + 1]);
      if (!out->aggregation) return fail("ERR TSDB: Unknown aggregation type");
      std::optional<std::int64_t> b = ParseInt64InRange(a[i + 2], 1, tsdb::kMaxTime);
      if (!b) return fail("ERR TSDB: bucketDuration must be greater than zero");
      out->bucket_ms = *b;
      i += 2;
    } else if (range && EqualsIgnoreCase(opt, "BUCKETTIMESTAMP")) {
      const std::string_view v = left < 1 ? std::string_view() : a[++i];
      if (v == "-" || EqualsIgnoreCase(v, "start")) {
        out->bucket_timestamp = BucketTimestamp::kStart;
      } else if (v == "+" || EqualsIgnoreCase(v, "end")) {
        out->bucket_timestamp = BucketTimestamp::kEnd;
      } else if (v == "~" || EqualsIgnoreCase(v, "mid")) {
        out->bucket_timestamp = BucketTimestamp::kMid;
      } else {
        return fail("ERR TSDB: unknown BUCKETTIMESTAMP parameter");
      }
    } else if (multi && EqualsIgnoreCase(opt, "WITHLABELS")) {
      out->with_labels = true;
    } else if (multi && EqualsIgnoreCase(opt, "SELECTED_LABELS")) {
      std::vector<std::string> labels;
      while (i + 1 < a.size() && !IsKeyword(a[i + 1])) labels.emplace_back(a[++i]);
      if (labels.empty()) return fail(errors::kSyntax);
      out->selected_labels = std::move(labels);
    } else if (multi && EqualsIgnoreCase(opt, "FILTER")) {
      std::size_t end = i + 1;
      while (end < a.size() && !EqualsIgnoreCase(a[end], "GROUPBY")) ++end;
      if (std::optional<std::string> e =
              ParseFilter(a.subspan(i + 1, end - i - 1), &out->matchers)) {
        return fail(*e);
      }
      has_filter = true;
      i = end - 1;
    } else if (multi && range && EqualsIgnoreCase(opt, "GROUPBY")) {
      if (left < 3 || !EqualsIgnoreCase(a[i + 2], "REDUCE")) {
        return fail("ERR TSDB: missing REDUCE");
      }
      out->group_by = std::string(a[i + 1]);
      std::optional<tsdb::Aggregation> r = ParseAggregation(a[i + 3]);
      if (!r || *r == tsdb::Aggregation::kFirst || *r == tsdb::Aggregation::kLast) {
        return fail("ERR TSDB: Unknown REDUCE type");
      }
      out->reducer = *r;
      i += 3;
    } else {
      return fail(errors::kSyntax);
    }
  }
  if (multi && !has_filter) return fail("ERR TSDB: missing FILTER argument");
  if (out->empty && !out->aggregation) {
    return fail("ERR TSDB: EMPTY is only supported with AGGREGATION");
  }
  if (out->with_labels && out->selected_labels) {
    return fail("ERR TSDB: cannot accept WITHLABELS and SELECT_LABELS together");
  }
  if (!align_arg.empty()) {
    if (!out->aggregation) return fail("ERR TSDB: ALIGN is only supported with AGGREGATION");
    std::optional<std::int64_t> v;
    if (align_arg == "-" || EqualsIgnoreCase(align_arg, "start")) {
      out->align_ms = out->from;
    } else if (align_arg == "+" || EqualsIgnoreCase(align_arg, "end")) {
      out->align_ms = out->to;
    } else if ((v = ParseTimestamp(align_arg))) {
      out->align_ms = *v;
    } else {
      return fail("ERR TSDB: unknown ALIGN parameter");
    }
  }
  return true;
}

// One sample next to the range: the newest before `from` (before) or the oldest after `to`.
Result<std::optional<tsdb::Sample>> Neighbour(tsdb::DB* db, tsdb::SeriesId id,
                                              const TsSeriesMeta& meta, const RangeArgs& args,
                                              bool before) {
  std::vector<tsdb::Sample> out;
  if (before && args.from > 0) {
    LARDER_RETURN_IF_ERROR(RawRange(db, id, meta, 0, args.from - 1, &out, /*limit=*/1, true));
  } else if (!before && args.to < tsdb::kMaxTime) {
    LARDER_RETURN_IF_ERROR(RawRange(db, id, meta, args.to + 1, tsdb::kMaxTime, &out, 1, false));
  }
  if (out.empty()) return std::optional<tsdb::Sample>();
  return std::optional<tsdb::Sample>(out[0]);
}

// One series' samples (or buckets) for `args`, oldest first (reverse and COUNT not applied).
// A reply error (too many EMPTY buckets) goes to *error.
Status SeriesSamples(CommandContext& ctx, tsdb::DB* db, const std::string& name, tsdb::SeriesId id,
                     const TsSeriesMeta& meta, const RangeArgs& args,
                     std::vector<tsdb::Sample>* out, std::optional<std::string>* error) {
  std::vector<tsdb::Sample> raw;
  LARDER_RETURN_IF_ERROR(RawRange(db, id, meta, args.from, args.to, &raw));
  if (args.latest) {
    // A rule's destination: the source's still-open bucket, when it falls in the range.
    LARDER_ASSIGN_OR_RETURN(std::optional<tsdb::Sample> open, LatestBucket(ctx, db, name));
    if (open && open->time_ms >= args.from && open->time_ms <= args.to &&
        (raw.empty() || raw.back().time_ms < open->time_ms)) {
      raw.push_back(*open);
    }
  }
  auto keep = [&](const tsdb::Sample& s) {
    if (args.filter_ts &&
        !std::binary_search(args.filter_ts->begin(), args.filter_ts->end(), s.time_ms)) {
      return false;
    }
    return !args.filter_value ||
           (s.value >= args.filter_value->first && s.value <= args.filter_value->second);
  };
  std::erase_if(raw, [&](const tsdb::Sample& s) { return !keep(s); });
  if (!args.aggregation) {
    *out = std::move(raw);
    return Status::Ok();
  }
  BucketSpec spec;
  spec.bucket_ms = args.bucket_ms;
  spec.align_ms = args.align_ms;
  spec.aggregation = *args.aggregation;
  spec.timestamp = args.bucket_timestamp;
  spec.empty = args.empty;
  spec.from = args.from;
  spec.to = args.to;
  if (spec.aggregation == tsdb::Aggregation::kTwa) {
    LARDER_ASSIGN_OR_RETURN(spec.before, Neighbour(db, id, meta, args, true));
    LARDER_ASSIGN_OR_RETURN(spec.after, Neighbour(db, id, meta, args, false));
    if (spec.before && !keep(*spec.before)) spec.before.reset();
    if (spec.after && !keep(*spec.after)) spec.after.reset();
  }
  if (!Bucketize(raw, spec, out)) {
    *error = "ERR TSDB: too many empty buckets (narrow the range or widen the buckets)";
  }
  return Status::Ok();
}

void Finish(const RangeArgs& args, std::vector<tsdb::Sample>* samples) {
  if (args.reverse) std::reverse(samples->begin(), samples->end());
  if (args.count && static_cast<std::uint64_t>(*args.count) < samples->size()) {
    samples->resize(static_cast<std::size_t>(*args.count));
  }
}

struct Matched {
  std::string name;
  tsdb::SeriesId id;
  TsSeriesMeta meta;
};

// The series matching args.matchers, by name, found through the label index.
std::vector<Matched> MatchSeries(CommandContext& ctx, tsdb::DB* db, const RangeArgs& args) {
  std::vector<Matched> out;
  for (std::string& name : ctx.server.Service<TsService>().label_index().Match(args.matchers)) {
    Result<tsdb::SeriesId> id = db->FindSeries(name);
    if (!id.ok()) continue;  // metadata of a series the engine lost (not expected)
    TsSeriesMeta meta = MetaOf(ctx, name);
    out.push_back({std::move(name), *id, std::move(meta)});
  }
  return out;
}

void ReplySeriesLabels(ReplyBuilder& reply, const RangeArgs& args, const Labels& labels) {
  if (args.with_labels) {
    ReplyLabels(reply, labels);
    return;
  }
  if (!args.selected_labels) {
    reply.ArrayHeader(0);
    return;
  }
  reply.ArrayHeader(args.selected_labels->size());
  for (const std::string& l : *args.selected_labels) {
    reply.ArrayHeader(2);
    reply.Bulk(l);
    auto it =
        std::find_if(labels.begin(), labels.end(), [&](const auto& kv) { return kv.first == l; });
    if (it == labels.end()) {
      reply.Null();
    } else {
      reply.Bulk(it->second);
    }
  }
}

Status RangeCommand(CommandContext& ctx, bool reverse) {
  RangeArgs args;
  args.reverse = reverse;
  if (!ParseRangeArgs(ctx, 2, false, true, &args)) return Status::Ok();
  tsdb::DB* db = TsDb(ctx);
  if (db == nullptr) return Status::Ok();
  Status engine;
  std::optional<tsdb::SeriesId> id = FindOrReply(ctx, db, ctx.argv[1], &engine);
  if (!id) return engine;
  std::vector<tsdb::Sample> samples;
  std::optional<std::string> error;
  const std::string name(ctx.argv[1]);
  LARDER_RETURN_IF_ERROR(
      SeriesSamples(ctx, db, name, *id, MetaOf(ctx, name), args, &samples, &error));
  if (error) {
    ctx.reply.Error(*error);
    return Status::Ok();
  }
  Finish(args, &samples);
  ReplySamples(ctx.reply, samples);
  return Status::Ok();
}

Status ForwardRange(CommandContext& ctx) { return RangeCommand(ctx, false); }
Status ReverseRange(CommandContext& ctx) { return RangeCommand(ctx, true); }

Status MRangeCommand(CommandContext& ctx, bool reverse) {
  RangeArgs args;
  args.reverse = reverse;
  if (!ParseRangeArgs(ctx, 1, true, true, &args)) return Status::Ok();
  tsdb::DB* db = TsDb(ctx);
  if (db == nullptr) return Status::Ok();
  std::vector<Matched> series = MatchSeries(ctx, db, args);
  std::vector<std::vector<tsdb::Sample>> samples(series.size());
  for (std::size_t i = 0; i < series.size(); ++i) {
    std::optional<std::string> error;
    LARDER_RETURN_IF_ERROR(SeriesSamples(ctx, db, series[i].name, series[i].id, series[i].meta,
                                         args, &samples[i], &error));
    if (error) {
      ctx.reply.Error(*error);
      return Status::Ok();
    }
  }
  ReplyBuilder& r = ctx.reply;
  if (!args.group_by) {
    r.ArrayHeader(series.size());
    for (std::size_t i = 0; i < series.size(); ++i) {
      r.ArrayHeader(3);
      r.Bulk(series[i].name);
      ReplySeriesLabels(r, args, series[i].meta.labels);
      Finish(args, &samples[i]);
      ReplySamples(r, samples[i]);
    }
    return Status::Ok();
  }
  // GROUPBY label REDUCE r: one result per value of the label (series without it left out).
  std::map<std::string, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < series.size(); ++i) {
    for (const auto& [k, v] : series[i].meta.labels) {
      if (k == *args.group_by) groups[v].push_back(i);
    }
  }
  r.ArrayHeader(groups.size());
  for (const auto& [value, members] : groups) {
    std::vector<std::vector<tsdb::Sample>> of_group;
    std::string sources;
    for (std::size_t i : members) {
      of_group.push_back(samples[i]);
      sources += (sources.empty() ? "" : ",") + series[i].name;
    }
    std::vector<tsdb::Sample> reduced = ReduceSeries(of_group, args.reducer);
    Finish(args, &reduced);
    r.ArrayHeader(3);
    r.Bulk(*args.group_by + "=" + value);
    ReplyLabels(r, {{*args.group_by, value},
                    {"__reducer__", std::string(AggregationName(args.reducer))},
                    {"__source__", sources}});
    ReplySamples(r, reduced);
  }
  return Status::Ok();
}

Status ForwardMRange(CommandContext& ctx) { return MRangeCommand(ctx, false); }
Status ReverseMRange(CommandContext& ctx) { return MRangeCommand(ctx, true); }

Status MGetCommand(CommandContext& ctx) {
  RangeArgs args;
  if (!ParseRangeArgs(ctx, 1, true, false, &args)) return Status::Ok();
  tsdb::DB* db = TsDb(ctx);
  if (db == nullptr) return Status::Ok();
  std::vector<Matched> series = MatchSeries(ctx, db, args);
  ReplyBuilder& r = ctx.reply;
  const std::size_t mark = r.Mark();
  r.ArrayHeader(series.size());
  for (const Matched& m : series) {
    Result<std::optional<tsdb::Sample>> last = LastSample(db, m.id, m.meta);
    if (last.ok() && args.latest) {
      Result<std::optional<tsdb::Sample>> open = LatestBucket(ctx, db, m.name);
      if (!open.ok()) last = open.status();
      if (open.ok() && *open) last = *open;
    }
    if (!last.ok()) {
      r.Rollback(mark);
      return last.status();
    }
    r.ArrayHeader(3);
    r.Bulk(m.name);
    ReplySeriesLabels(r, args, m.meta.labels);
    ReplySample(r, *last);
  }
  return Status::Ok();
}

Status QueryIndexCommand(CommandContext& ctx) {
  RangeArgs args;
  if (std::optional<std::string> e = ParseFilter(ctx.argv.subspan(1), &args.matchers)) {
    ctx.reply.Error(*e);
    return Status::Ok();
  }
  tsdb::DB* db = TsDb(ctx);
  if (db == nullptr) return Status::Ok();
  std::vector<std::string> names;
  for (Matched& m : MatchSeries(ctx, db, args)) names.push_back(std::move(m.name));
  ctx.reply.BulkArray(names);
  return Status::Ok();
}

// No key spec: series are not keyspace keys.
CommandSpec Spec(std::string_view name, int arity, CommandHandler handler,
                 std::string_view summary) {
  return CommandSpec{name,    arity,        kCmdReadOnly, 0,       0, 0,
                     handler, "timeseries", summary,      "1.0.0", {}};
}

}  // namespace

void RegisterTsRangeCommands(CommandTable& table) {
  table.Add(Spec("ts.range", -4, ForwardRange, "Samples or buckets of a series, oldest first"));
  table.Add(Spec("ts.revrange", -4, ReverseRange, "Samples or buckets, newest first"));
  table.Add(Spec("ts.mrange", -5, ForwardMRange, "Ranges of the series a FILTER matches"));
  table.Add(Spec("ts.mrevrange", -5, ReverseMRange, "TS.MRANGE, newest first"));
  table.Add(Spec("ts.mget", -3, MGetCommand, "The last sample of the series a FILTER matches"));
  table.Add(Spec("ts.queryindex", -2, QueryIndexCommand, "The series a FILTER matches"));
}

}  // namespace larder::server::tsfamily
