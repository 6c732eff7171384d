// The comparison benchmark's driver: what it measured, shared by driver.cc (runs the engines in
// alternating pairs and probes the machine) and report.cc (tables, targets, plots).
#ifndef LARDER_BENCH_DRIVER_H_
#define LARDER_BENCH_DRIVER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace larder::bench {

// One result line of one runner process.
struct Record {
  std::string group;     // "main", "big", "sweep"
  std::string engine;    // larder, lmdb, bbolt, sqlite, rocksdb
  std::string workload;  // as printed by the runner
  std::uint64_t n = 0;
  std::uint64_t value_size = 0;
  int round = 0;
  // Runs that are compared share this id: per step, peer A, LarderDB, peer B ran in that order,
  // so each peer run is next to the LarderDB run of its pair.
  int pair = 0;
  std::uint64_t ops = 0;
  double seconds = 0;
  std::uint64_t write_ops = 0;
  std::uint64_t max_rss_kb = 0;  // of the whole process (wait4 ru_maxrss)
  std::uint64_t db_bytes = 0;    // size of the data directory after the run
  std::string command;           // the runner command line
  double ops_per_sec() const { return seconds > 0 ? static_cast<double>(ops) / seconds : 0; }
};

struct Machine {
  std::string cpu, kernel, disk, fs, thp, date;
  int cores = 0;
  std::uint64_t mem_kb = 0;
  std::string load_before, load_after;  // /proc/loadavg
};

struct Probes {
  double fdatasync_random_per_sec = 0;  // 4 KiB pwrite at a random block of 64 MiB + fdatasync
  double fdatasync_random_p50_us = 0;
  double fdatasync_overwrite_per_sec = 0;  // 4 KiB pwrite at offset 0 + fdatasync
  double fdatasync_overwrite_p50_us = 0;
  double fdatasync_append_per_sec = 0;  // 4 KiB append + fdatasync
  double fdatasync_append_p50_us = 0;
  double mem_latency_ns = 0;  // dependent random loads over mem_latency_bytes
  std::uint64_t mem_latency_bytes = 0;
};

struct Report {
  bool quick = false;
  std::string invocation;  // how the driver was started
  Machine machine;
  Probes probes;
  std::vector<Record> records;
  std::vector<std::string> failures;
  double wall_seconds = 0;
  std::map<std::string, std::string> repro;  // group -> command that reruns it
};

// Writes results.json and the gnuplot data/scripts/PNGs into out_dir, and the generated section
// of `markdown` (replacing the text between the markers, or the whole file if they are absent).
void WriteReport(const Report& report, const std::string& out_dir, const std::string& markdown);
// Loads a results.json that WriteReport wrote; false when it cannot be read.
bool ReadReport(const std::string& json_path, Report* report);

}  // namespace larder::bench

#endif  // LARDER_BENCH_DRIVER_H_
