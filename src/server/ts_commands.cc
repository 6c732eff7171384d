// larderd's TS.* writes and single-series reads (docs/server.md, "Time series"): TS.CREATE
// TS.ALTER TS.ADD TS.MADD TS.INCRBY TS.DECRBY TS.GET TS.INFO TS.DEL TS.CREATERULE TS.DELETERULE,
// with RedisTimeSeries' replies and error messages. The multi-series and range reads are in
// ts_range_commands.cc. Series live beside the keyspace (ts_service.h).
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/args.h"
#include "server/reply_builder.h"
#include "server/server.h"
#include "server/ts_family.h"
#include "server/ts_service.h"

namespace larder::server {
namespace {

using namespace tsfamily;  // NOLINT: the family's own helpers

// The options TS.CREATE, TS.ALTER, TS.ADD and TS.INCRBY share (what was given).
struct SeriesArgs {
  std::optional<std::int64_t> retention_ms;
  std::optional<DuplicatePolicy> policy;
  std::optional<DuplicatePolicy> on_duplicate;  // TS.ADD
  std::optional<Labels> labels;
  std::optional<std::int64_t> timestamp;  // TS.INCRBY/DECRBY
};

enum ArgsFlags : unsigned { kAllowOnDuplicate = 1, kAllowTimestamp = 2 };

// Parses argv[from..]; false after replying an error.
bool ParseSeriesArgs(CommandContext& ctx, std::size_t from, unsigned flags, SeriesArgs* out) {
  const auto& a = ctx.argv;
  auto fail = [&](std::string_view error) {
    ctx.reply.Error(error);
    return false;
  };
  for (std::size_t i = from; i < a.size(); ++i) {
    const std::string_view opt = a[i];
    const bool has_value = i + 1 < a.size();
    if (EqualsIgnoreCase(opt, "RETENTION")) {
      std::optional<std::int64_t> v;
      if (!has_value || !(v = ParseTimestamp(a[++i]))) {
        return fail("ERR TSDB: Couldn't parse RETENTION");
      }
      out->retention_ms = *v;
    } else if (EqualsIgnoreCase(opt, "CHUNK_SIZE")) {
      if (!has_value || !ParseInt64InRange(a[++i], 48, 1 << 20)) {
        return fail("ERR TSDB: invalid chunk size");
      }
    } else if (EqualsIgnoreCase(opt, "ENCODING")) {
      if (!has_value || !(EqualsIgnoreCase(a[i + 1], "COMPRESSED") ||
                          EqualsIgnoreCase(a[i + 1], "UNCOMPRESSED"))) {
        return fail("ERR TSDB: unknown ENCODING parameter");
      }
      ++i;
    } else if (EqualsIgnoreCase(opt, "UNCOMPRESSED")) {
    } else if (EqualsIgnoreCase(opt, "DUPLICATE_POLICY") ||
               ((flags & kAllowOnDuplicate) && EqualsIgnoreCase(opt, "ON_DUPLICATE"))) {
      std::optional<DuplicatePolicy> p;
      if (!has_value || !(p = ParseDuplicatePolicy(a[++i]))) {
        return fail("ERR TSDB: Unknown DUPLICATE_POLICY");
      }
      (EqualsIgnoreCase(opt, "ON_DUPLICATE") ? out->on_duplicate : out->policy) = *p;
    } else if ((flags & kAllowTimestamp) && EqualsIgnoreCase(opt, "TIMESTAMP")) {
      std::optional<std::int64_t> t;
      if (!has_value) return fail(kBadTimestamp);
      if (a[i + 1] == "*") {
        t = ctx.now_ms;
      } else if (!(t = ParseTimestamp(a[i + 1]))) {
        return fail(kBadTimestamp);
      }
      ++i;
      out->timestamp = *t;
    } else if (EqualsIgnoreCase(opt, "LABELS")) {
      // LABELS takes the rest of the arguments as pairs.
      if ((a.size() - i - 1) % 2 != 0) return fail("ERR TSDB: Couldn't parse LABELS");
      Labels labels;
      for (++i; i < a.size(); i += 2) {
        if (a[i].empty() || a[i + 1].empty()) return fail("ERR TSDB: Couldn't parse LABELS");
        labels.emplace_back(std::string(a[i]), std::string(a[i + 1]));
      }
      out->labels = std::move(labels);
    } else {
      return fail(errors::kSyntax);
    }
  }
  return true;
}

void ApplySeriesArgs(const SeriesArgs& args, TsSeriesMeta* meta) {
  if (args.retention_ms) meta->retention_ms = *args.retention_ms;
  if (args.policy) meta->duplicate_policy = *args.policy;
  if (args.labels) meta->labels = *args.labels;
}

// Creates `name` with `args`; the id, or the engine's error.
Result<tsdb::SeriesId> CreateSeries(CommandContext& ctx, tsdb::DB* db, const std::string& name,
                                    const SeriesArgs& args) {
  // Irregular timestamps: RedisTimeSeries' samples carry their own times (docs/server.md).
  LARDER_ASSIGN_OR_RETURN(tsdb::SeriesId id, db->CreateSeries(name, 0));
  TsService& service = ctx.server.Service<TsService>();
  TsSeriesMeta meta;
  ApplySeriesArgs(args, &meta);
  service.meta()[name] = std::move(meta);
  LARDER_RETURN_IF_ERROR(service.SaveMeta(name));
  return id;
}

// The value of the sample at `time_ms`, if any.
Result<std::optional<double>> ValueAt(tsdb::DB* db, tsdb::SeriesId id, std::int64_t time_ms) {
  std::vector<tsdb::Sample> out;
  LARDER_RETURN_IF_ERROR(db->Range(id, time_ms, time_ms, {}, &out));
  if (out.empty()) return std::optional<double>();
  return std::optional<double>(out.back().value);
}

// Downsampling: when a sample opens a new bucket of a rule, the source's previous bucket is
// complete: its aggregate goes to the destination at the bucket's start. Stateless (it reads
// the bucket back from the engine), so it works alike after a restart.
Status ApplyRules(tsdb::DB* db, tsdb::SeriesId id, const TsSeriesMeta& meta, std::int64_t prev_last,
                  std::int64_t time_ms) {
  if (prev_last < 0) return Status::Ok();
  for (const TsRule& rule : meta.rules) {
    std::vector<tsdb::Sample> prev_bucket, fresh;
    Bucketize(std::vector<tsdb::Sample>{{prev_last, 0}, {time_ms, 0}}, rule.bucket_ms,
              rule.align_ms, tsdb::Aggregation::kFirst, &prev_bucket);
    if (prev_bucket.size() < 2) continue;  // still the same bucket
    const std::int64_t start = prev_bucket[0].time_ms;
    LARDER_RETURN_IF_ERROR(db->Range(id, start, prev_bucket[1].time_ms - 1, {}, &fresh));
    std::vector<tsdb::Sample> agg;
    Bucketize(fresh, rule.bucket_ms, rule.align_ms, rule.aggregation, &agg);
    Result<tsdb::SeriesId> dest = db->FindSeries(rule.dest);
    if (!dest.ok() || agg.empty()) continue;  // the destination was never created
    Result<tsdb::SeriesInfo> info = db->Info(*dest);
    if (!info.ok()) return info.status();
    if (info->last_time_ms >= agg[0].time_ms) continue;  // written by hand meanwhile
    LARDER_RETURN_IF_ERROR(db->Add(*dest, agg[0].time_ms, agg[0].value));
  }
  return Status::Ok();
}

// After a late sample or a deletion at `time_ms`: the rule's bucket holding it, if closed (the
// source's newest sample, `source_last`, lies in a later bucket), recomputed from the source and
// written to the destination, or deleted there when nothing is left in it. The open bucket is
// written when it closes (ApplyRules).
Status RecomputeBucket(tsdb::DB* db, tsdb::SeriesId id, const TsRule& rule, std::int64_t time_ms,
                       std::int64_t source_last) {
  const std::int64_t start = BucketStart(time_ms, rule.bucket_ms, rule.align_ms);
  if (BucketStart(source_last, rule.bucket_ms, rule.align_ms) == start) return Status::Ok();
  Result<tsdb::SeriesId> dest = db->FindSeries(rule.dest);
  if (!dest.ok()) return Status::Ok();  // the destination was never created
  std::vector<tsdb::Sample> raw, agg;
  const std::int64_t from = std::max<std::int64_t>(start, 0);
  LARDER_RETURN_IF_ERROR(db->Range(id, from, start + rule.bucket_ms - 1, {}, &raw));
  Bucketize(raw, rule.bucket_ms, rule.align_ms, rule.aggregation, &agg);
  if (agg.empty()) return db->Delete(*dest, from, from).status();
  return db->Upsert(*dest, agg[0].time_ms, agg[0].value);
}

// Writes (time_ms, value) to series `id`: appended after its newest sample; at or before it
// (out of order) the duplicate policy decides when a sample is at that time, and the rules'
// closed buckets are recomputed. A user error goes to *error; an engine error is returned.
Status AddSample(tsdb::DB* db, tsdb::SeriesId id, const TsSeriesMeta& meta, std::int64_t time_ms,
                 double value, DuplicatePolicy policy, std::optional<std::string>* error) {
  LARDER_ASSIGN_OR_RETURN(tsdb::SeriesInfo info, db->Info(id));
  if (time_ms > info.last_time_ms) {
    LARDER_RETURN_IF_ERROR(db->Add(id, time_ms, value));
    return ApplyRules(db, id, meta, info.last_time_ms, time_ms);
  }
  if (meta.retention_ms > 0 && time_ms < info.last_time_ms - meta.retention_ms) {
    *error = "ERR TSDB: Timestamp is older than retention";
    return Status::Ok();
  }
  LARDER_ASSIGN_OR_RETURN(std::optional<double> old, ValueAt(db, id, time_ms));
  double v = value;
  if (old) {
    switch (policy) {
      case DuplicatePolicy::kBlock:
        *error =
            "ERR TSDB: Error at upsert, update is not supported when DUPLICATE_POLICY is set to "
            "BLOCK mode";
        return Status::Ok();
      case DuplicatePolicy::kFirst:
        return Status::Ok();
      case DuplicatePolicy::kLast:
        break;
      case DuplicatePolicy::kMin:
        v = std::min(*old, value);
        break;
      case DuplicatePolicy::kMax:
        v = std::max(*old, value);
        break;
      case DuplicatePolicy::kSum:
        v = *old + value;
        break;
    }
    if (std::bit_cast<std::uint64_t>(v) == std::bit_cast<std::uint64_t>(*old)) {
      return Status::Ok();
    }
  }
  LARDER_RETURN_IF_ERROR(db->Upsert(id, time_ms, v));
  for (const TsRule& rule : meta.rules) {
    LARDER_RETURN_IF_ERROR(RecomputeBucket(db, id, rule, time_ms, info.last_time_ms));
  }
  return Status::Ok();
}

// The series `name`, created with `args` when missing (TS.ADD, TS.INCRBY).
Result<tsdb::SeriesId> FindOrCreate(CommandContext& ctx, tsdb::DB* db, const std::string& name,
                                    const SeriesArgs& args) {
  Result<tsdb::SeriesId> id = db->FindSeries(name);
  if (id.ok() || !id.status().IsNotFound()) return id;
  return CreateSeries(ctx, db, name, args);
}

Status CreateCommand(CommandContext& ctx) {
  SeriesArgs args;
  if (!ParseSeriesArgs(ctx, 2, 0, &args)) return Status::Ok();
  tsdb::DB* db = TsDb(ctx);
  if (db == nullptr) return Status::Ok();
  const std::string name(ctx.argv[1]);
  if (db->FindSeries(name).ok()) {
    ctx.reply.Error(kKeyExists);
    return Status::Ok();
  }
  LARDER_RETURN_IF_ERROR(CreateSeries(ctx, db, name, args).status());
  ctx.reply.Ok();
  return Status::Ok();
}

Status AlterCommand(CommandContext& ctx) {
  SeriesArgs args;
  if (!ParseSeriesArgs(ctx, 2, 0, &args)) return Status::Ok();
  tsdb::DB* db = TsDb(ctx);
  if (db == nullptr) return Status::Ok();
  Status engine;
  if (!FindOrReply(ctx, db, ctx.argv[1], &engine)) return engine;
  TsService& service = ctx.server.Service<TsService>();
  ApplySeriesArgs(args, &service.meta()[std::string(ctx.argv[1])]);
  LARDER_RETURN_IF_ERROR(service.SaveMeta(std::string(ctx.argv[1])));
  ctx.reply.Ok();
  return Status::Ok();
}

Status AddCommand(CommandContext& ctx) {
  SeriesArgs args;
  if (!ParseSeriesArgs(ctx, 4, kAllowOnDuplicate, &args)) return Status::Ok();
  std::optional<std::int64_t> t =
      ctx.argv[2] == "*" ? std::optional<std::int64_t>(ctx.now_ms) : ParseTimestamp(ctx.argv[2]);
  if (!t) {
    ctx.reply.Error(kBadTimestamp);
    return Status::Ok();
  }
  const std::optional<double> v = ParseDouble(ctx.argv[3]);
  if (!v || std::isnan(*v)) {
    ctx.reply.Error(kBadValue);
    return Status::Ok();
  }
  tsdb::DB* db = TsDb(ctx);
  if (db == nullptr) return Status::Ok();
  const std::string name(ctx.argv[1]);
  LARDER_ASSIGN_OR_RETURN(tsdb::SeriesId id, FindOrCreate(ctx, db, name, args));
  const TsSeriesMeta& meta = MetaOf(ctx, name);
  std::optional<std::string> error;
  LARDER_RETURN_IF_ERROR(
      AddSample(db, id, meta, *t, *v, args.on_duplicate.value_or(meta.duplicate_policy), &error));
  if (error) {
    ctx.reply.Error(*error);
  } else {
    ctx.reply.Integer(*t);
  }
  return Status::Ok();
}

Status MAddCommand(CommandContext& ctx) {
  const auto& a = ctx.argv;
  if ((a.size() - 1) % 3 != 0) {
    ctx.reply.Error(WrongArityError("ts.madd"));
    return Status::Ok();
  }
  tsdb::DB* db = TsDb(ctx);
  if (db == nullptr) return Status::Ok();
  ctx.reply.ArrayHeader((a.size() - 1) / 3);
  for (std::size_t i = 1; i < a.size(); i += 3) {
    const std::string name(a[i]);
    std::optional<std::int64_t> t =
        a[i + 1] == "*" ? std::optional<std::int64_t>(ctx.now_ms) : ParseTimestamp(a[i + 1]);
    const std::optional<double> v = ParseDouble(a[i + 2]);
    Result<tsdb::SeriesId> id = db->FindSeries(name);
    std::optional<std::string> error;
    if (!id.ok()) {
      if (!id.status().IsNotFound()) return id.status();
      error = std::string(kNoKey);
    } else if (!t) {
      error = std::string(kBadTimestamp);
    } else if (!v || std::isnan(*v)) {
      error = std::string(kBadValue);
    } else {
      const TsSeriesMeta& meta = MetaOf(ctx, name);
      LARDER_RETURN_IF_ERROR(AddSample(db, *id, meta, *t, *v, meta.duplicate_policy, &error));
    }
    if (error) {
      ctx.reply.Error(*error);
    } else {
      ctx.reply.Integer(*t);
    }
  }
  return Status::Ok();
}

Status IncrByCommand(CommandContext& ctx, double sign) {
  SeriesArgs args;
  if (!ParseSeriesArgs(ctx, 3, kAllowTimestamp, &args)) return Status::Ok();
  const std::optional<double> by = ParseDouble(ctx.argv[2]);
  if (!by || !std::isfinite(*by)) {
    ctx.reply.Error(kBadValue);
    return Status::Ok();
  }
  tsdb::DB* db = TsDb(ctx);
  if (db == nullptr) return Status::Ok();
  const std::string name(ctx.argv[1]);
  LARDER_ASSIGN_OR_RETURN(tsdb::SeriesId id, FindOrCreate(ctx, db, name, args));
  const std::int64_t t = args.timestamp.value_or(ctx.now_ms);
  const TsSeriesMeta& meta = MetaOf(ctx, name);
  LARDER_ASSIGN_OR_RETURN(tsdb::SeriesInfo info, db->Info(id));
  if (t < info.last_time_ms) {  // TS.INCRBY never writes out of order
    ctx.reply.Error(kOlderThanLast);
    return Status::Ok();
  }
  LARDER_ASSIGN_OR_RETURN(std::optional<tsdb::Sample> newest, LastSample(db, id, meta));
  const double last = newest ? newest->value : 0;
  std::optional<std::string> error;
  // At the last timestamp the sum replaces the sample: LAST, as RedisTimeSeries does.
  LARDER_RETURN_IF_ERROR(
      AddSample(db, id, meta, t, last + sign * *by, DuplicatePolicy::kLast, &error));
  if (error) {
    ctx.reply.Error(*error);
  } else {
    ctx.reply.Integer(t);
  }
  return Status::Ok();
}

Status IncrCommand(CommandContext& ctx) { return IncrByCommand(ctx, 1); }
Status DecrCommand(CommandContext& ctx) { return IncrByCommand(ctx, -1); }

Status GetCommand(CommandContext& ctx) {
  if (ctx.argv.size() > 3 || (ctx.argv.size() == 3 && !EqualsIgnoreCase(ctx.argv[2], "LATEST"))) {
    ctx.reply.Error(errors::kSyntax);
    return Status::Ok();
  }
  tsdb::DB* db = TsDb(ctx);
  if (db == nullptr) return Status::Ok();
  Status engine;
  std::optional<tsdb::SeriesId> id = FindOrReply(ctx, db, ctx.argv[1], &engine);
  if (!id) return engine;
  const std::string name(ctx.argv[1]);
  LARDER_ASSIGN_OR_RETURN(std::optional<tsdb::Sample> sample,
                          LastSample(db, *id, MetaOf(ctx, name)));
  if (ctx.argv.size() == 3) {  // LATEST: a rule destination's still-open bucket
    LARDER_ASSIGN_OR_RETURN(std::optional<tsdb::Sample> open, LatestBucket(ctx, db, name));
    if (open) sample = open;
  }
  ReplySample(ctx.reply, sample);
  return Status::Ok();
}

Status InfoCommand(CommandContext& ctx) {
  tsdb::DB* db = TsDb(ctx);
  if (db == nullptr) return Status::Ok();
  Status engine;
  std::optional<tsdb::SeriesId> id = FindOrReply(ctx, db, ctx.argv[1], &engine);
  if (!id) return engine;
  const std::string name(ctx.argv[1]);
  LARDER_ASSIGN_OR_RETURN(tsdb::SeriesInfo info, db->Info(*id));
  const TsSeriesMeta& meta = MetaOf(ctx, name);
  std::vector<tsdb::Sample> samples;
  LARDER_RETURN_IF_ERROR(RawRange(db, *id, meta, 0, tsdb::kMaxTime, &samples));
  std::string source;
  for (const auto& [src, m] : ctx.server.Service<TsService>().meta()) {
    for (const TsRule& r : m.rules) {
      if (r.dest == name) source = src;
    }
  }
  ReplyBuilder& r = ctx.reply;
  r.MapHeader(13);
  r.Bulk("totalSamples");
  r.Integer(static_cast<std::int64_t>(samples.size()));
  r.Bulk("memoryUsage");
  r.Integer(static_cast<std::int64_t>(info.hot_samples) * 16);
  r.Bulk("firstTimestamp");
  r.Integer(samples.empty() ? 0 : samples.front().time_ms);
  r.Bulk("lastTimestamp");
  r.Integer(samples.empty() ? 0 : samples.back().time_ms);
  r.Bulk("retentionTime");
  r.Integer(meta.retention_ms);
  r.Bulk("chunkCount");
  r.Integer(static_cast<std::int64_t>(info.pages_on_disk + (info.hot_samples > 0 ? 1 : 0)));
  r.Bulk("chunkSize");
  r.Integer(4096);
  r.Bulk("chunkType");
  r.Bulk("compressed");
  r.Bulk("duplicatePolicy");
  r.Bulk(DuplicatePolicyName(meta.duplicate_policy));
  r.Bulk("labels");
  ReplyLabels(r, meta.labels);
  r.Bulk("sourceKey");
  if (source.empty()) {
    r.Null();
  } else {
    r.Bulk(source);
  }
  r.Bulk("rules");
  r.ArrayHeader(meta.rules.size());
  for (const TsRule& rule : meta.rules) {
    r.ArrayHeader(4);
    r.Bulk(rule.dest);
    r.Integer(rule.bucket_ms);
    std::string agg(AggregationName(rule.aggregation));
    std::transform(agg.begin(), agg.end(), agg.begin(), ::toupper);
    r.Bulk(agg);
    r.Integer(rule.align_ms);
  }
  r.Bulk("engine");  // larderd's own: the engine's view of the series
  r.MapHeader(2);
  r.Bulk("pagesOnDisk");
  r.Integer(static_cast<std::int64_t>(info.pages_on_disk));
  r.Bulk("hotSamples");
  r.Integer(info.hot_samples);
  return Status::Ok();
}

// TS.DEL key from to: the number of samples deleted. Rules' destinations get the closed buckets
// the range touches recomputed (or deleted when emptied), as RedisTimeSeries does.
Status DelCommand(CommandContext& ctx) {
  const std::optional<std::int64_t> from = ParseRangeBound(ctx.argv[2]);
  const std::optional<std::int64_t> to = ParseRangeBound(ctx.argv[3]);
  if (!from) {
    ctx.reply.Error("ERR TSDB: wrong fromTimestamp");
    return Status::Ok();
  }
  if (!to) {
    ctx.reply.Error("ERR TSDB: wrong toTimestamp");
    return Status::Ok();
  }
  tsdb::DB* db = TsDb(ctx);
  if (db == nullptr) return Status::Ok();
  Status engine;
  std::optional<tsdb::SeriesId> id = FindOrReply(ctx, db, ctx.argv[1], &engine);
  if (!id) return engine;
  const TsSeriesMeta& meta = MetaOf(ctx, std::string(ctx.argv[1]));
  LARDER_ASSIGN_OR_RETURN(tsdb::SeriesInfo info, db->Info(*id));
  std::int64_t start = *from;
  if (meta.retention_ms > 0 && info.last_time_ms >= 0) {
    const std::int64_t oldest = info.last_time_ms - meta.retention_ms;
    if (*from < oldest && !meta.rules.empty()) {
      ctx.reply.Error(
          "ERR TSDB: When a series has compactions, deleting samples or compaction buckets "
          "beyond the series retention period is not possible");
      return Status::Ok();
    }
    start = std::max(start, oldest);  // expired samples are not counted
  }
  std::uint64_t deleted = 0;
  if (start <= *to) {
    LARDER_ASSIGN_OR_RETURN(deleted, db->Delete(*id, start, *to));
  }
  for (const TsRule& rule : deleted > 0 ? meta.rules : std::vector<TsRule>{}) {
    // Each destination bucket the range touches, recomputed from what is left.
    Result<tsdb::SeriesId> dest = db->FindSeries(rule.dest);
    if (!dest.ok()) continue;
    std::vector<tsdb::Sample> buckets;
    const std::int64_t first =
        std::max<std::int64_t>(BucketStart(start, rule.bucket_ms, rule.align_ms), 0);
    LARDER_RETURN_IF_ERROR(db->Range(*dest, first, *to, {}, &buckets));
    for (const tsdb::Sample& b : buckets) {
      LARDER_RETURN_IF_ERROR(RecomputeBucket(db, *id, rule, b.time_ms, info.last_time_ms));
    }
  }
  ctx.reply.Integer(static_cast<std::int64_t>(deleted));
  return Status::Ok();
}

Status CreateRuleCommand(CommandContext& ctx) {
  const auto& a = ctx.argv;
  if (a.size() > 7 || !EqualsIgnoreCase(a[3], "AGGREGATION")) {
    ctx.reply.Error(errors::kSyntax);
    return Status::Ok();
  }
  TsRule rule;
  rule.dest = std::string(a[2]);
  const std::optional<tsdb::Aggregation> agg = ParseAggregation(a[4]);
  const std::optional<std::int64_t> bucket = ParseInt64InRange(a[5], 1, tsdb::kMaxTime);
  const std::optional<std::int64_t> align =
      a.size() == 7 ? ParseTimestamp(a[6]) : std::optional<std::int64_t>(0);
  if (!agg) {
    ctx.reply.Error("ERR TSDB: Unknown aggregation type");
    return Status::Ok();
  }
  if (!bucket || !align) {
    ctx.reply.Error("ERR TSDB: bucketDuration must be greater than zero");
    return Status::Ok();
  }
  rule.aggregation = *agg;
  rule.bucket_ms = *bucket;
  rule.align_ms = *align;
  tsdb::DB* db = TsDb(ctx);
  if (db == nullptr) return Status::Ok();
  Status engine;
  if (!FindOrReply(ctx, db, a[1], &engine) || !FindOrReply(ctx, db, a[2], &engine)) return engine;
  if (a[1] == a[2]) {
    ctx.reply.Error("ERR TSDB: the source key and destination key should be different");
    return Status::Ok();
  }
  TsService& service = ctx.server.Service<TsService>();
  for (const auto& [src, m] : service.meta()) {
    for (const TsRule& r : m.rules) {
      if (r.dest == a[2]) {
        ctx.reply.Error("ERR TSDB: the destination key already has a src rule");
        return Status::Ok();
      }
    }
  }
  service.meta()[std::string(a[1])].rules.push_back(std::move(rule));
  LARDER_RETURN_IF_ERROR(service.SaveMeta(std::string(a[1])));
  ctx.reply.Ok();
  return Status::Ok();
}

Status DeleteRuleCommand(CommandContext& ctx) {
  tsdb::DB* db = TsDb(ctx);
  if (db == nullptr) return Status::Ok();
  Status engine;
  if (!FindOrReply(ctx, db, ctx.argv[1], &engine)) return engine;
  TsService& service = ctx.server.Service<TsService>();
  auto& rules = service.meta()[std::string(ctx.argv[1])].rules;
  auto it = std::find_if(rules.begin(), rules.end(),
                         [&](const TsRule& r) { return r.dest == ctx.argv[2]; });
  if (it == rules.end()) {
    ctx.reply.Error("ERR TSDB: compaction rule does not exist");
    return Status::Ok();
  }
  rules.erase(it);
  LARDER_RETURN_IF_ERROR(service.SaveMeta(std::string(ctx.argv[1])));
  ctx.reply.Ok();
  return Status::Ok();
}

}  // namespace

void RegisterTsCommands(CommandTable& table) {
  constexpr std::uint32_t kW = kCmdWrite | kCmdDenyOom;
  constexpr std::uint32_t kR = kCmdReadOnly;
  auto add = [&](std::string_view name, int arity, std::uint32_t flags, CommandHandler handler,
                 std::string_view summary) {
    // No key spec: series are not keyspace keys (as the queues' names are not).
    table.Add(
        CommandSpec{name, arity, flags, 0, 0, 0, handler, "timeseries", summary, "1.0.0", {}});
  };
  add("ts.create", -2, kW, CreateCommand, "Creates a time series");
  add("ts.alter", -2, kW, AlterCommand, "Changes a series' retention, labels or policy");
  add("ts.add", -4, kW, AddCommand, "Appends a sample, creating the series");
  add("ts.madd", -4, kW, MAddCommand, "Appends samples to several series");
  add("ts.incrby", -3, kW, IncrCommand, "Appends the last value plus an increment");
  add("ts.decrby", -3, kW, DecrCommand, "Appends the last value minus a decrement");
  add("ts.get", -2, kR, GetCommand, "The last sample of a series");
  add("ts.info", -2, kR, InfoCommand, "A series' samples, retention, labels and rules");
  add("ts.del", 4, kW, DelCommand, "Deletes the samples of a time range");
  add("ts.createrule", -6, kW, CreateRuleCommand, "Downsamples a series into another");
  add("ts.deleterule", 3, kW, DeleteRuleCommand, "Removes a downsampling rule");
  tsfamily::RegisterTsRangeCommands(table);
}

}  // namespace larder::server
