// The time-series engine's bytes per sample and speed (docs/benchmarks.md, "Time-series
// engine"; docs/tsdb.md explains the encodings).
//
//   tsdb_bench [--dir DIR] [--series N] [--prometheus N] [--proc FIXTURE] [--only-proc]
//
// Part 1, encodings: each data set (one day of 1 s samples of one series) cut into pages of 512
// samples, packed 64 pages to an extent, encoded with each value codec (forced) and the
// automatic choice, each extent stored raw, with lz4 and with zstd: bytes per sample. The
// Gorilla line is XOR values with delta-of-delta timestamps (the irregular page form) and no
// extent compression, the paper's layout.
// Part 2, the engine: the same data sets through tsdb::DB in DIR (a real directory), closed
// cleanly, every file of the directory counted: bytes per sample on disk; the ingest rate of
// Add on one thread (background flush off: flushing is included, on the same core); query
// latency for one day of one series (raw, and avg over 60 s buckets), and for N series.
// Part 3 (--prometheus N): N series of each data set through the engine and through Prometheus's
// TSDB (Debian's promtool, create-blocks-from openmetrics), bytes per sample of every file.
// Part 4 (--proc FIXTURE): a recording of a machine's real metrics (bench/record_proc.py, a
// zstd-compressed wide CSV; bench/fixtures/proc-metrics.csv.zst) replayed over its real length
// through the engine and through Prometheus's TSDB, as part 3. --only-proc runs part 4 alone.
#include <fmt/format.h>

#include <time.h>
#include <zstd.h>

#include <bit>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "larder/file_system.h"
#include "larder/tsdb/db.h"
#include "tsdb/extent.h"
#include "tsdb/page_codec.h"

using namespace larder;
using namespace larder::tsdb;

namespace {

constexpr int kDay = 86400;

struct DataSet {
  std::string name;
  std::function<double(int, std::mt19937_64&)> next;
};

std::vector<DataSet> DataSets() {
  return {
      {"float gauge (random walk, 2 decimals, steps of -0.05..+0.05)",
       [v = 50.0](int, std::mt19937_64& rng) mutable {
         v = std::round((v + static_cast<double>(static_cast<int>(rng() % 11) - 5) / 100) * 100) /
             100;
         return v;
       }},
      {"monotonic counter (+0..+20 a second, uniform)",
       [c = 0.0](int, std::mt19937_64& rng) mutable {
         return c += static_cast<double>(rng() % 21);
       }},
      {"monotonic counter (+0..+2000 a second, uniform)",
       [c = 0.0](int, std::mt19937_64& rng) mutable {
         return c += static_cast<double>(rng() % 2001);
       }},
      {"constant", [](int, std::mt19937_64&) { return 42.0; }},
      {"on/off (flips about every 10 minutes)",
       [s = 0.0](int, std::mt19937_64& rng) mutable {
         if (rng() % 600 == 0) s = 1 - s;
         return s;
       }},
      {"noisy double (random bits of a 0..1 uniform)",
       [](int, std::mt19937_64& rng) { return std::uniform_real_distribution<double>(0, 1)(rng); }},
  };
}

std::vector<Sample> Generate(const DataSet& d, int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto next = d.next;
  std::vector<Sample> s;
  for (int i = 0; i < n; ++i)
    s.push_back({1'700'000'000'000 + std::int64_t{i} * 1000, next(i, rng)});
  return s;
}

double BytesPerSample(const std::vector<Sample>& s, const EncodeChoice& choice,
                      ExtentCompression compression, bool regular_ok) {
  std::size_t total = 0;
  std::string raw;
  int pages = 0;
  auto flush = [&] {
    if (pages > 0)
      total += EncodeExtent(raw, static_cast<std::uint16_t>(pages), compression).size();
    raw.clear();
    pages = 0;
  };
  for (std::size_t i = 0; i < s.size(); i += 512) {
    const std::size_t n = std::min<std::size_t>(512, s.size() - i);
    raw += EncodePage({s.data() + i, n}, regular_ok ? 1000 : 0, choice);
    if (++pages == 64) flush();
  }
  flush();
  return static_cast<double>(total) / static_cast<double>(s.size());
}

std::uint64_t DirBytes(const std::string& dir) {
  std::uint64_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.file_size();
  return n;
}

// This process's resident set (VmRSS), in bytes.
std::uint64_t Rss() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("VmRSS:")) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

// CPU seconds of the calling thread: the ingest rate "on one core", steady on a shared machine.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// The bytes of every file under `dir`; `named`: only files with that name.
std::uint64_t TreeBytes(const std::string& dir, const std::string& named = "") {
  std::uint64_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && (named.empty() || e.path().filename() == named)) n += e.file_size();
  }
  return n;
}

// The bytes of every file Prometheus's TSDB writes for `data` (series i labelled
// s="names[i]" of one metric), through promtool tsdb create-blocks-from openmetrics in `dir`
// (emptied first, then removed); -1 when promtool fails. `index`: the bytes of the blocks'
// index files alone.
double PrometheusBytes(const std::string& dir, const std::vector<std::string>& names,
                       const std::vector<std::vector<Sample>>& data, double* index = nullptr) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    std::ofstream om(dir + "/input.om");
    om << "# TYPE m gauge\n";
    for (std::size_t i = 0; i < data.size(); ++i) {
      for (const Sample& x : data[i]) {
        om << fmt::format("m{{s=\"{}\"}} {} {}.{:03}\n", names[i], x.value, x.time_ms / 1000,
                          x.time_ms % 1000);
      }
    }
    om << "# EOF\n";
  }
  const std::string cmd = fmt::format(
      "promtool tsdb create-blocks-from openmetrics --quiet {0}/input.om {0}/blocks >/dev/null",
      dir);
  const bool ok = std::system(cmd.c_str()) == 0;
  const double bytes = ok ? static_cast<double>(TreeBytes(dir + "/blocks")) : -1;
  if (index != nullptr) *index = ok ? static_cast<double>(TreeBytes(dir + "/blocks", "index")) : 0;
  std::filesystem::remove_all(dir);
  return bytes;
}

// Part 3: the same samples (`series` series of each data set, one day each) through this engine
// and through Prometheus's TSDB (promtool tsdb create-blocks-from openmetrics, which writes 2 h
// blocks), every file counted.
int ComparePrometheus(const std::string& dir, int series) {
  fmt::print(
      "\n## Against Prometheus's TSDB: {} series x one day of 1 s samples per data set\n\n"
      "| data set | LarderDB tsdb (bytes/sample) | Prometheus 2.42 blocks (bytes/sample) |\n"
      "|---|---|---|\n",
      series);
  for (const DataSet& d : DataSets()) {
    std::vector<std::vector<Sample>> data;
    for (int i = 0; i < series; ++i)
      data.push_back(Generate(d, kDay, 500 + static_cast<std::uint64_t>(i)));
    std::filesystem::remove_all(dir);
    Options o;
    o.background_flush = false;
    auto db = std::move(*DB::Open(dir, o));
    for (int i = 0; i < series; ++i) (void)*db->CreateSeries(fmt::format("m{}", i), 1000);
    for (int k = 0; k < kDay; ++k) {
      for (int i = 0; i < series; ++i) {
        if (!db->Add(static_cast<SeriesId>(i), data[i][k].time_ms, data[i][k].value).ok()) return 1;
      }
    }
    if (!db->Close().ok()) return 1;
    const double ours = static_cast<double>(DirBytes(dir)) / (series * double{kDay});
    std::vector<std::string> names;
    for (int i = 0; i < series; ++i) names.push_back(fmt::format("{}", i));
    const double prom = PrometheusBytes(dir, names, data) / (series * double{kDay});
    if (prom < 0) {
      fmt::print("| {} | {:.3f} | (promtool failed) |\n", d.name, ours);
      continue;
    }
    fmt::print("| {} | {:.3f} | {:.3f} |\n", d.name, ours, prom);
  }
  std::filesystem::remove_all(dir);
  return 0;
}

// A recording of real metrics (bench/record_proc.py): series names and each one's samples.
struct Recording {
  std::vector<std::string> names;
  std::vector<std::vector<Sample>> data;
  std::int64_t first = 0, last = 0;  // ms
  std::size_t rows = 0, samples = 0;
};

// Reads a zstd-compressed wide CSV: `time_ms,name...`, then `time,value...` lines; an empty
// cell is no sample. False (with a message) when the file is missing or malformed.
bool ReadRecording(const std::string& path, Recording* r) {
  std::ifstream in(path, std::ios::binary);
  const std::string z((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return false;
  std::string csv;
  ZSTD_DStream* ds = ZSTD_createDStream();
  ZSTD_inBuffer zin{z.data(), z.size(), 0};
  std::string buf(ZSTD_DStreamOutSize(), '\0');
  while (zin.pos < zin.size) {
    ZSTD_outBuffer zout{buf.data(), buf.size(), 0};
    const std::size_t rc = ZSTD_decompressStream(ds, &zout, &zin);
    if (ZSTD_isError(rc)) {
      ZSTD_freeDStream(ds);
      fmt::print(stderr, "{}: {}\n", path, ZSTD_getErrorName(rc));
      return false;
    }
    csv.append(buf.data(), zout.pos);
  }
  ZSTD_freeDStream(ds);
  std::size_t pos = 0;
  auto next_line = [&](std::string_view* line) {
    if (pos >= csv.size()) return false;
    std::size_t e = csv.find('\n', pos);
    if (e == std::string::npos) e = csv.size();
    *line = std::string_view(csv).substr(pos, e - pos);
    pos = e + 1;
    return true;
  };
  auto split = [](std::string_view line) {
    std::vector<std::string_view> f;
    std::size_t b = 0;
    for (std::size_t e; (e = line.find(',', b)) != std::string_view::npos; b = e + 1)
      f.push_back(line.substr(b, e - b));
    f.push_back(line.substr(b));
    return f;
  };
  std::string_view line;
  if (!next_line(&line) || !line.starts_with("time_ms,")) {
    fmt::print(stderr, "{}: not a recording (no time_ms header)\n", path);
    return false;
  }
  for (std::string_view n : split(line)) r->names.emplace_back(n);
  r->names.erase(r->names.begin());
  r->data.resize(r->names.size());
  while (next_line(&line)) {
    const auto f = split(line);
    if (f.size() != r->names.size() + 1) {
      fmt::print(stderr, "{}: line {} has {} fields\n", path, r->rows + 2, f.size());
      return false;
    }
    const std::int64_t t = std::stoll(std::string(f[0]));
    if (r->rows++ == 0) r->first = t;
    r->last = t;
    for (std::size_t i = 0; i < r->names.size(); ++i) {
      if (f[i + 1].empty()) continue;
      r->data[i].push_back({t, std::strtod(std::string(f[i + 1]).c_str(), nullptr)});
      ++r->samples;
    }
  }
  return r->rows > 0;
}

// Part 4: the recording through this engine (every series at 1 s, samples added row by row as a
// collector would) and through Prometheus's TSDB, every file counted, over its real length.
int CompareRecording(const std::string& dir, const std::string& path) {
  Recording r;
  if (!ReadRecording(path, &r)) {
    fmt::print(stderr, "tsdb_bench: cannot read the recording {}\n", path);
    return 1;
  }
  std::filesystem::remove_all(dir);
  Options o;
  o.background_flush = false;
  auto db = std::move(*DB::Open(dir, o));
  for (const std::string& n : r.names) (void)*db->CreateSeries(n, 1000);
  std::vector<std::size_t> at(r.names.size(), 0);
  for (std::size_t row = 0; row < r.rows; ++row) {
    for (std::size_t i = 0; i < r.names.size(); ++i) {
      if (at[i] >= r.data[i].size()) continue;
      const Sample& x = r.data[i][at[i]];
      if (x.time_ms != r.first + static_cast<std::int64_t>(row) * 1000) continue;
      ++at[i];
      if (!db->Add(static_cast<SeriesId>(i), x.time_ms, x.value).ok()) return 1;
    }
  }
  if (!db->Close().ok()) return 1;
  const double n = static_cast<double>(r.samples);
  const double ours = static_cast<double>(DirBytes(dir)) / n;
  const double meta = static_cast<double>(TreeBytes(dir, "series.meta")) / n;
  std::filesystem::remove_all(dir);
  double index = 0;
  const double prom = PrometheusBytes(dir, r.names, r.data, &index) / n;
  fmt::print(
      "\n## A recording of real metrics: {} series from /proc, {} rows at 1 s ({:.1f} minutes), "
      "{} samples\n\n| engine | bytes/sample on disk | of which series names and index |\n"
      "|---|---|---|\n| LarderDB tsdb | {:.3f} | {:.3f} (series.meta) |\n"
      "| Prometheus 2.42 blocks | {} | {:.3f} (index) |\n",
      r.names.size(), r.rows, static_cast<double>(r.last - r.first + 1000) / 60000, r.samples, ours,
      meta, prom < 0 ? std::string("(promtool failed)") : fmt::format("{:.3f}", prom), index / n);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "/tmp/tsdb_bench";
  int series = 1000;
  int prometheus_series = 0;  // --prometheus N: part 3 with N series per data set
  std::string proc;           // --proc FIXTURE: part 4
  bool only_proc = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--only-proc") {
      only_proc = true;
      continue;
    }
    if (i + 1 >= argc) break;
    if (a == "--proc") proc = argv[i + 1];
    if (a == "--dir") dir = argv[i + 1];
    if (a == "--series") series = std::atoi(argv[i + 1]);
    if (a == "--prometheus") prometheus_series = std::atoi(argv[i + 1]);
    ++i;
  }
  if (only_proc) return proc.empty() ? 1 : CompareRecording(dir, proc);
  fmt::print("## Encodings: bytes per sample, one day of 1 s samples (86,400)\n\n");
  fmt::print(
      "| data set | Gorilla (XOR, dod times, no zstd) | XOR+zstd | scaled varint+zstd | "
      "scaled bit-packed, raw | +lz4 | +zstd | automatic+zstd "
      "|\n|---|---|---|---|---|---|---|---|\n");
  const auto forced = [](ValueCodec c) { return EncodeChoice{.force_codec = true, .codec = c}; };
  for (const DataSet& d : DataSets()) {
    const auto s = Generate(d, kDay, 1);
    fmt::print(
        "| {} | {:.3f} | {:.3f} | {:.3f} | {:.3f} | {:.3f} | {:.3f} | {:.3f} |\n", d.name,
        BytesPerSample(s, forced(ValueCodec::kXor), ExtentCompression::kNone, false),
        BytesPerSample(s, forced(ValueCodec::kXor), ExtentCompression::kZstd, true),
        BytesPerSample(s, forced(ValueCodec::kScaledVarint), ExtentCompression::kZstd, true),
        BytesPerSample(s, forced(ValueCodec::kScaledBitpack), ExtentCompression::kNone, true),
        BytesPerSample(s, forced(ValueCodec::kScaledBitpack), ExtentCompression::kLz4, true),
        BytesPerSample(s, forced(ValueCodec::kScaledBitpack), ExtentCompression::kZstd, true),
        BytesPerSample(s, {}, ExtentCompression::kZstd, true));
  }

  fmt::print(
      "\n## The engine: one series per data set, one day of 1 s samples, files on disk "
      "after Close\n\n| data set | bytes/sample on disk | ingest (samples per CPU second of the "
      "adding thread) | ingest (samples per wall second) |\n|---|---|---|---|\n");
  for (const DataSet& d : DataSets()) {
    std::filesystem::remove_all(dir);
    const auto s = Generate(d, kDay, 2);
    Options o;
    o.background_flush = false;
    o.hot_log_sync_ms = 1000;
    auto db = std::move(*DB::Open(dir, o));
    const SeriesId id = *db->CreateSeries("m", 1000);
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = ThreadCpuSeconds();
    for (const Sample& x : s) {
      if (!db->Add(id, x.time_ms, x.value).ok()) return 1;
    }
    const double cpu = ThreadCpuSeconds() - c0;
    const double secs = Seconds(t0);
    if (!db->Close().ok()) return 1;
    fmt::print("| {} | {:.3f} | {:.2f} M | {:.2f} M |\n", d.name,
               static_cast<double>(DirBytes(dir)) / kDay, kDay / cpu / 1e6, kDay / secs / 1e6);
  }

  fmt::print("\n## {} series x one day of 1 s float-gauge samples ({:.1f} M samples)\n\n", series,
             series * static_cast<double>(kDay) / 1e6);
  std::filesystem::remove_all(dir);
  Options o;
  o.background_flush = false;
  o.disk_space_mb = 4096;
  std::vector<std::vector<Sample>> data;
  const DataSet gauge = DataSets()[0];
  for (int i = 0; i < series; ++i) {
    data.push_back(Generate(gauge, kDay, 100 + static_cast<std::uint64_t>(i)));
  }
  const std::uint64_t rss_before = Rss();
  auto db = std::move(*DB::Open(dir, o));
  for (int i = 0; i < series; ++i) (void)*db->CreateSeries(fmt::format("gauge.{}", i), 1000);
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = ThreadCpuSeconds();
  for (int k = 0; k < kDay; ++k) {
    for (int i = 0; i < series; ++i) {
      if (!db->Add(static_cast<SeriesId>(i), data[i][k].time_ms, data[i][k].value).ok()) return 1;
    }
  }
  const double ingest = Seconds(t0);
  const double ingest_cpu = ThreadCpuSeconds() - c0;
  const std::uint64_t rss_ingest = Rss() - rss_before;
  if (!db->Close().ok()) return 1;
  const double bytes = static_cast<double>(DirBytes(dir));
  db = std::move(*DB::Open(dir, o));
  std::vector<Sample> out;
  auto t1 = std::chrono::steady_clock::now();
  (void)db->Range(0, 0, kMaxTime, {}, &out);
  const double one_cold = Seconds(t1);
  out.clear();
  t1 = std::chrono::steady_clock::now();
  (void)db->Range(0, 0, kMaxTime, {}, &out);
  const double one_warm = Seconds(t1);
  std::vector<Sample> agg;
  t1 = std::chrono::steady_clock::now();
  (void)db->Range(0, 0, kMaxTime, {.bucket_ms = 60000, .aggregation = Aggregation::kAvg}, &agg);
  const double one_agg = Seconds(t1);
  t1 = std::chrono::steady_clock::now();
  std::size_t all = 0;
  for (int i = 0; i < series; ++i) {
    out.clear();
    (void)db->Range(static_cast<SeriesId>(i), 0, kMaxTime, {}, &out);
    all += out.size();
  }
  const double every = Seconds(t1);
  const std::uint64_t rss_query = Rss() - rss_before;
  const Stats st = db->GetStats();
  fmt::print("- on disk: {:.3f} bytes/sample ({:.1f} MiB)\n", bytes / (series * double{kDay}),
             bytes / (1 << 20));
  fmt::print(
      "- ingest: {:.2f} M samples per CPU second of the adding thread, {:.2f} M per wall "
      "second (Add, flushing included)\n",
      series * double{kDay} / ingest_cpu / 1e6, series * double{kDay} / ingest / 1e6);
  fmt::print(
      "- one series, one day raw ({} samples): {:.2f} ms from disk, {:.2f} ms from the page "
      "cache; avg over 60 s buckets: {:.2f} ms\n",
      out.size(), one_cold * 1e3, one_warm * 1e3, one_agg * 1e3);
  fmt::print("- all {} series, one day raw ({:.1f} M samples): {:.0f} ms\n", series,
             static_cast<double>(all) / 1e6, every * 1e3);
  fmt::print(
      "- engine RSS (growth of the process's VmRSS over the data held by the benchmark): "
      "{:.1f} MiB after ingest, {:.1f} MiB after the queries (page cache {:.1f} MiB of its "
      "32)\n",
      static_cast<double>(rss_ingest) / (1 << 20), static_cast<double>(rss_query) / (1 << 20),
      static_cast<double>(st.cache_bytes) / (1 << 20));
  (void)db->Close();
  std::filesystem::remove_all(dir);
  if (prometheus_series > 0 && ComparePrometheus(dir, prometheus_series) != 0) return 1;
  return proc.empty() ? 0 : CompareRecording(dir, proc);
}
