// larder ts: inspection commands over a time-series engine directory (include/larder/tsdb/db.h).
//
//   info DIR [--json]     pairs, files, series (interval, first and last time, pages, samples),
//                         bytes per sample and compression ratio
//   check DIR [--json]    every extent's checksum and every page: "OK", or the problems, exit 1
//   dump DIR [--json]     every sample: "series time value" lines
//   query DIR SERIES [--from MS] [--to MS] [--reverse] [--aggregation NAME --bucket MS] [--json]
//
// Every command opens the engine read-only (Options::read_only): it never creates a directory
// nor writes into one, and it sees the samples of a crashed engine's hot log too. Values print
// as the shortest decimal that reads back as the same double. Exit codes: 0 done, 1 the command
// failed (missing directory or series, damage: "Error: ..." on stderr), 2 bad usage.
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common.h"
#include "larder/tsdb/db.h"

namespace larder::cli {
namespace {

using nlohmann::json;

struct TsArgs {
  std::string dir;
  std::string series;
  std::int64_t from = 0;
  std::int64_t to = tsdb::kMaxTime;
  bool reverse = false;
  std::string aggregation;
  std::int64_t bucket = 0;
  bool json = false;
};

Result<std::unique_ptr<tsdb::DB>> OpenTs(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return Status::NotFound(fmt::format("{}: no such engine directory", dir));
  }
  tsdb::Options options;
  options.read_only = true;
  return tsdb::DB::Open(dir, options);
}

std::string Value(double v) { return fmt::format("{}", v); }

// Every sample of `id`, oldest first.
Result<std::vector<tsdb::Sample>> AllSamples(tsdb::DB& db, tsdb::SeriesId id) {
  std::vector<tsdb::Sample> out;
  LARDER_RETURN_IF_ERROR(db.Range(id, 0, tsdb::kMaxTime, {}, &out));
  return out;
}

int RunInfo(const TsArgs& a) {
  auto db = OpenTs(a.dir);
  if (!db.ok()) return Fail(db.status());
  const tsdb::Stats st = (*db)->GetStats();
  std::uint64_t disk = 0;
  for (const auto& e : std::filesystem::directory_iterator(a.dir)) {
    if (e.is_regular_file()) disk += e.file_size();
  }
  json series = json::array();
  std::uint64_t samples = 0;
  std::string text;
  for (const tsdb::SeriesInfo& s : (*db)->ListSeries()) {
    auto all = AllSamples(**db, s.id);
    if (!all.ok()) return Fail(all.status());
    samples += all->size();
    const std::int64_t retention = s.first_time_ms < 0 ? 0 : s.last_time_ms - s.first_time_ms;
    series.push_back({{"name", s.name},
                      {"id", s.id},
                      {"interval_ms", s.interval_ms},
                      {"first_ms", s.first_time_ms},
                      {"last_ms", s.last_time_ms},
                      {"retention_ms", retention},
                      {"pages", s.pages_on_disk},
                      {"samples", all->size()}});
    text += fmt::format("  {}  interval {} ms  {} .. {}  ({} s kept)  {} pages  {} samples\n",
                        s.name, s.interval_ms, s.first_time_ms, s.last_time_ms, retention / 1000,
                        s.pages_on_disk, all->size());
  }
  const double per_sample =
      samples == 0 ? 0 : static_cast<double>(disk) / static_cast<double>(samples);
  const double ratio =
      disk == 0 ? 0 : 16.0 * static_cast<double>(samples) / static_cast<double>(disk);
  const Status c = (*db)->Close();
  if (!c.ok()) return Fail(c);
  if (a.json) {
    PrintJson({{"pairs", st.pairs},
               {"disk_bytes", disk},
               {"samples", samples},
               {"bytes_per_sample", per_sample},
               {"compression_ratio", ratio},
               {"series", series}});
    return kExitOk;
  }
  WriteOut(
      fmt::format("pairs: {}\ndisk bytes: {}\nsamples: {}\nbytes per sample: {:.3f}\n"
                  "compression ratio (16-byte samples): {:.1f}\nseries: {}\n",
                  st.pairs, disk, samples, per_sample, ratio, series.size()));
  WriteOut(text);
  return kExitOk;
}

int RunCheck(const TsArgs& a) {
  auto db = OpenTs(a.dir);
  if (!db.ok()) return Fail(db.status());
  std::uint64_t problems = 0;
  const Status s = (*db)->Check(&problems);
  (void)(*db)->Close();
  if (a.json) {
    PrintJson({{"ok", s.ok()}, {"problems", problems}, {"first", s.ok() ? "" : s.ToString()}});
  } else if (s.ok()) {
    WriteOut("OK\n");
  } else {
    WriteOut(fmt::format("{} problems; the first: {}\n", problems, s.ToString()));
  }
  return s.ok() ? kExitOk : kExitError;
}

int RunDump(const TsArgs& a) {
  auto db = OpenTs(a.dir);
  if (!db.ok()) return Fail(db.status());
  json out = json::object();
  for (const tsdb::SeriesInfo& s : (*db)->ListSeries()) {
    auto all = AllSamples(**db, s.id);
    if (!all.ok()) return Fail(all.status());
    json rows = json::array();
    std::string text;
    for (const tsdb::Sample& x : *all) {
      if (a.json) {
        rows.push_back({x.time_ms, x.value});
      } else {
        text += fmt::format("{} {} {}\n", s.name, x.time_ms, Value(x.value));
      }
    }
    if (a.json) {
      out[s.name] = rows;
    } else {
      WriteOut(text);
    }
  }
  (void)(*db)->Close();
  if (a.json) PrintJson(out);
  return kExitOk;
}

int RunQuery(const TsArgs& a, const CLI::App& sub) {
  static const std::vector<std::pair<std::string, tsdb::Aggregation>> kNames = {
      {"avg", tsdb::Aggregation::kAvg},     {"min", tsdb::Aggregation::kMin},
      {"max", tsdb::Aggregation::kMax},     {"sum", tsdb::Aggregation::kSum},
      {"count", tsdb::Aggregation::kCount}, {"first", tsdb::Aggregation::kFirst},
      {"last", tsdb::Aggregation::kLast},   {"range", tsdb::Aggregation::kRange},
      {"std.p", tsdb::Aggregation::kStdP},  {"var.p", tsdb::Aggregation::kVarP},
      {"std.s", tsdb::Aggregation::kStdS},  {"var.s", tsdb::Aggregation::kVarS}};
  tsdb::RangeOptions ro;
  ro.reverse = a.reverse;
  if (!a.aggregation.empty()) {
    auto it = std::find_if(kNames.begin(), kNames.end(),
                           [&](const auto& n) { return n.first == a.aggregation; });
    if (it == kNames.end()) return UsageError(sub, "unknown aggregation " + a.aggregation);
    if (a.bucket <= 0) return UsageError(sub, "--aggregation needs --bucket MS > 0");
    ro.aggregation = it->second;
    ro.bucket_ms = a.bucket;
  }
  auto db = OpenTs(a.dir);
  if (!db.ok()) return Fail(db.status());
  auto id = (*db)->FindSeries(a.series);
  if (!id.ok()) return Fail(id.status());
  std::vector<tsdb::Sample> out;
  const Status s = (*db)->Range(*id, a.from, a.to, ro, &out);
  (void)(*db)->Close();
  if (!s.ok()) return Fail(s);
  if (a.json) {
    json rows = json::array();
    for (const tsdb::Sample& x : out) rows.push_back({x.time_ms, x.value});
    PrintJson(rows);
    return kExitOk;
  }
  std::string text;
  for (const tsdb::Sample& x : out) text += fmt::format("{} {}\n", x.time_ms, Value(x.value));
  WriteOut(text);
  return kExitOk;
}

}  // namespace

void RegisterTsCommands(CLI::App& app, Action& action) {
  CLI::App* ts = app.add_subcommand("ts", "Inspect a time-series engine directory (read-only)");
  ts->require_subcommand(1);
  auto a = std::make_shared<TsArgs>();
  auto add = [&](const char* name, const char* help, int (*run)(const TsArgs&)) {
    CLI::App* sub = ts->add_subcommand(name, help);
    sub->add_option("dir", a->dir, "Engine directory")->required();
    sub->add_flag("--json", a->json, "JSON output");
    sub->callback([&action, a, run] { action = [a, run] { return run(*a); }; });
    return sub;
  };
  add("info", "Pairs, series, retention, bytes per sample, compression ratio", RunInfo);
  add("check", "Verify every extent's checksum and every page", RunCheck);
  add("dump", "Every sample as \"series time value\" lines", RunDump);
  CLI::App* query = ts->add_subcommand("query", "The samples (or buckets) of one series");
  query->add_option("dir", a->dir, "Engine directory")->required();
  query->add_option("series", a->series, "Series name")->required();
  query->add_option("--from", a->from, "First time, ms (default 0)");
  query->add_option("--to", a->to, "Last time, ms (default: the end)");
  query->add_flag("--reverse", a->reverse, "Newest first");
  query->add_option("--aggregation", a->aggregation,
                    "avg, min, max, sum, count, first, last, range, std.p, var.p, std.s, var.s");
  query->add_option("--bucket", a->bucket, "Bucket width in ms, with --aggregation");
  query->add_flag("--json", a->json, "JSON output");
  query->callback([&action, a, query] { action = [a, query] { return RunQuery(*a, *query); }; });
}

}  // namespace larder::cli
