// bench_driver: runs the comparison benchmark. Every workload of every engine is a separate
// runner process (peak RSS from wait4), LarderDB and each peer run alternately (LarderDB, peer,
// LarderDB, peer, ...) so that machine drift cancels in the per-run ratio, and the machine's
// physical limits (fdatasync rate, random memory latency) are measured in the same run.
// See docs/benchmarks.md; `bench/run.sh BUILD_DIR [--quick] [driver flags]` is the entry point.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <sstream>

#include "driver.h"
#include "larder/file_system.h"

namespace larder::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct Config {
  std::string bin_dir = "build-bench/bin";
  std::string data_dir;
  std::string out_dir;
  std::string markdown;
  bool quick = false;
  int rounds = 5;
  int big_rounds = 3;
  int sweep_rounds = 3;
  std::vector<std::string> groups{"main", "sweep", "big"};
  std::vector<std::string> peers{"lmdb", "bbolt", "sqlite", "rocksdb"};
  std::vector<std::string> big_peers{"lmdb", "bbolt"};
  std::vector<std::string> workloads;  // empty: all
  std::uint64_t n = 1000000;
  std::uint64_t big_n = 10000000;
  std::uint64_t read_ops = 200000;
  std::uint64_t write_ops = 50000;
  std::uint64_t commits = 4000;
  double rww_seconds = 1.5;
  double durable_seconds = 1;
  std::uint64_t sweep_n = 100000;
  std::uint64_t sweep_bytes = 32 << 20;
  std::vector<std::uint64_t> sweep_sizes{16, 128, 1024, 8192, 65536};
};

std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

Machine DescribeMachine(const std::string& data_dir) {
  Machine m;
  std::ifstream cpu("/proc/cpuinfo");
  for (std::string line; std::getline(cpu, line);) {
    if (line.rfind("model name", 0) == 0) {
      m.cpu = line.substr(line.find(':') + 2);
      break;
    }
  }
  m.cores = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  std::ifstream mem("/proc/meminfo");
  for (std::string key; mem >> key;) {
    if (key == "MemTotal:") {
      mem >> m.mem_kb;
      break;
    }
  }
  utsname u{};
  if (uname(&u) == 0) m.kernel = std::string(u.sysname) + " " + u.release;
  // The mount holding the data directory: longest mount point that prefixes it.
  std::string abs = fs::weakly_canonical(data_dir).string();
  std::ifstream mounts("/proc/self/mounts");
  std::size_t best = 0;
  for (std::string dev, mnt, type, rest;
       mounts >> dev >> mnt >> type && std::getline(mounts, rest);) {
    if (abs.rfind(mnt, 0) == 0 && mnt.size() >= best) {
      best = mnt.size();
      m.disk = dev;
      m.fs = type;
    }
  }
  std::string base = fs::path(m.disk).filename().string();
  std::string rot = ReadFirstLine("/sys/block/" + base + "/queue/rotational");
  if (!rot.empty()) m.disk += " (rotational=" + rot + ")";
  m.thp = ReadFirstLine("/sys/kernel/mm/transparent_hugepage/enabled");
  std::time_t now = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  m.date = buf;
  return m;
}

// How the fdatasync probe writes its 4 KiB block before each sync.
enum class SyncPattern { kSameBlock, kRandomBlock, kAppend };

// fdatasync rate of the data disk, through LarderDB's FileSystem (the engine's own I/O path).
// kRandomBlock overwrites random blocks of a preallocated 64 MiB file: what a copy-on-write
// commit does once its file has stopped growing, so it is the bound the targets use.
void ProbeSync(const std::string& dir, SyncPattern pattern, int max_syncs, double max_seconds,
               double* per_sec, double* p50_us) {
  FileSystem* fs = DefaultFileSystem();
  std::string path = dir + "/sync-probe";
  (void)fs->Remove(path);
  auto file = fs->Open(path, OpenOptions{.create = true});
  if (!file.ok()) {
    std::fprintf(stderr, "bench_driver: %s\n", file.status().ToString().c_str());
    return;
  }
  constexpr std::uint64_t kBlocks = 16384;  // 64 MiB
  std::vector<std::uint8_t> block(4096, 0x5a);
  if (pattern == SyncPattern::kRandomBlock) {
    std::vector<std::uint8_t> chunk(1 << 20, 0x33);
    for (std::uint64_t off = 0; off < kBlocks * 4096; off += chunk.size()) {
      if (!(*file)->WriteAt(off, chunk).ok()) return;
    }
  } else if (!(*file)->WriteAt(0, block).ok()) {
    return;
  }
  if (!(*file)->SyncAll().ok()) return;
  std::mt19937_64 rng(7);
  std::vector<double> lat;
  auto t0 = Clock::now();
  for (int i = 0; i < max_syncs && Since(t0) < max_seconds; ++i) {
    auto s0 = Clock::now();
    std::uint64_t off = 0;
    if (pattern == SyncPattern::kAppend)
      off = std::uint64_t{4096} * static_cast<std::uint64_t>(i + 1);
    if (pattern == SyncPattern::kRandomBlock) off = 4096 * (rng() % kBlocks);
    block[0] = static_cast<std::uint8_t>(i);
    if (!(*file)->WriteAt(off, block).ok() || !(*file)->Sync().ok()) return;
    lat.push_back(Since(s0) * 1e6);
  }
  double total = Since(t0);
  file->reset();
  (void)fs->Remove(path);
  std::sort(lat.begin(), lat.end());
  *per_sec = static_cast<double>(lat.size()) / total;
  *p50_us = lat.empty() ? 0 : lat[lat.size() / 2];
}

// Dependent loads through a random cyclic permutation of 64-byte slots.
double ProbeMemoryLatency(std::uint64_t bytes, std::uint64_t steps) {
  const std::size_t slots = bytes / 64;
  std::vector<std::uint64_t> mem(slots * 8);
  std::vector<std::uint32_t> order(slots);
  std::iota(order.begin(), order.end(), 0u);
  std::mt19937_64 rng(99);
  for (std::size_t i = slots - 1; i > 0; --i) {  // Sattolo: one cycle through every slot
    std::swap(order[i], order[rng() % i]);
  }
  for (std::size_t i = 0; i < slots; ++i) {
    mem[std::size_t{order[i]} * 8] = std::uint64_t{order[(i + 1) % slots]} * 8;
  }
  std::uint64_t p = 0;
  auto t0 = Clock::now();
  for (std::uint64_t i = 0; i < steps; ++i) p = mem[p];
  double secs = Since(t0);
  if (p == ~std::uint64_t{0}) std::puts("");  // keep the chase
  return secs * 1e9 / static_cast<double>(steps);
}

std::uint64_t DirBytes(const std::string& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  }
  return total;
}

class Driver {
 public:
  explicit Driver(Config cfg) : cfg_(std::move(cfg)) {}

  // Runs one runner process; appends its result lines to the report.
  void RunOne(const std::string& group, const std::string& engine, int round, int pair,
              const std::vector<std::string>& args, const std::string& dir) {
    std::vector<std::string> argv{cfg_.bin_dir + "/bench_" + engine};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--dir");
    argv.push_back(dir);
    std::string command;
    for (const auto& a : argv) command += (command.empty() ? "" : " ") + a;
    int out[2];
    if (pipe(out) != 0) std::abort();
    pid_t pid = fork();
    if (pid == 0) {
      dup2(out[1], 1);
      close(out[0]);
      close(out[1]);
      std::vector<char*> cargv;
      for (auto& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      execv(cargv[0], cargv.data());
      std::perror("execv");
      _exit(127);
    }
    close(out[1]);
    std::string text;
    char buf[4096];
    for (ssize_t r; (r = read(out[0], buf, sizeof buf)) > 0;)
      text.append(buf, static_cast<std::size_t>(r));
    close(out[0]);
    int status = 0;
    rusage usage{};
    wait4(pid, &status, 0, &usage);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      report_.failures.push_back(command + " (status " + std::to_string(status) + ")");
      std::fprintf(stderr, "bench_driver: FAILED %s\n", command.c_str());
      return;
    }
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (line.empty() || line[0] != '{') continue;
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded()) continue;
      Record r;
      r.group = group;
      r.engine = engine;
      r.round = round;
      r.pair = pair;
      r.workload = j.value("workload", "");
      r.n = j.value("n", std::uint64_t{0});
      r.value_size = j.value("value_size", std::uint64_t{0});
      r.ops = j.value("ops", std::uint64_t{0});
      r.seconds = j.value("seconds", 0.0);
      r.write_ops = j.value("write_ops", std::uint64_t{0});
      r.max_rss_kb = static_cast<std::uint64_t>(usage.ru_maxrss);
      r.db_bytes = DirBytes(dir);
      r.command = command;
      std::fprintf(stderr, "  %-6s r%d %-8s %-17s %8llu vs%-6llu %12.0f ops/s  rss %6.1f MiB\n",
                   group.c_str(), round, engine.c_str(), r.workload.c_str(),
                   static_cast<unsigned long long>(r.n),
                   static_cast<unsigned long long>(r.value_size), r.ops_per_sec(),
                   static_cast<double>(r.max_rss_kb) / 1024);
      report_.records.push_back(std::move(r));
    }
  }

  bool Wanted(const std::string& w) const {
    return cfg_.workloads.empty() ||
           std::find(cfg_.workloads.begin(), cfg_.workloads.end(), w) != cfg_.workloads.end();
  }

  std::vector<std::string> Args(const std::string& w, std::uint64_t n) const {
    auto s = [](auto v) { return std::to_string(v); };
    std::vector<std::string> a{"--workload", w, "--n", s(n)};
    if (w == "read_tx" || w == "read_txper") a.insert(a.end(), {"--ops", s(cfg_.read_ops)});
    if (w == "overwrite" || w == "delete") a.insert(a.end(), {"--ops", s(cfg_.write_ops)});
    if (w == "scan") a.insert(a.end(), {"--ops", s(std::max<std::uint64_t>(5000000, 5 * n))});
    if (w == "read_while_write") a.insert(a.end(), {"--seconds", s(cfg_.rww_seconds)});
    if (w == "durable" || w == "durable8") {
      a = {"--workload", w,
           "--n",        "1",
           "--commits",  s(cfg_.commits),
           "--seconds",  s(cfg_.durable_seconds),
           "--threads",  "8"};
    }
    return a;
  }

  // The peers of one round in groups of two: each step runs peer A, LarderDB, peer B, so that
  // both peer runs sit right next to the LarderDB run they are compared with (one LarderDB run
  // serves two pairs, which halves its cost).
  static std::vector<std::vector<std::string>> Chunks(const std::vector<std::string>& peers) {
    std::vector<std::vector<std::string>> out;
    for (std::size_t i = 0; i < peers.size(); i += 2) {
      out.push_back({peers.begin() + static_cast<std::ptrdiff_t>(i),
                     peers.begin() + static_cast<std::ptrdiff_t>(std::min(i + 2, peers.size()))});
    }
    return out;
  }
  static std::vector<std::string> Order(const std::vector<std::string>& chunk) {
    std::vector<std::string> order{chunk[0], "larder"};
    if (chunk.size() > 1) order.push_back(chunk[1]);
    return order;
  }

  void RunChunk(const std::string& group, std::uint64_t n, const std::vector<std::string>& chunk,
                int round, const std::vector<std::string>& steps) {
    const int pair = ++pair_id_;
    const std::string base = cfg_.data_dir + "/" + group + "-r" + std::to_string(round);
    static const std::vector<std::string> kOnFill{"read_tx",          "read_txper", "scan",
                                                  "read_while_write", "overwrite",  "delete"};
    for (const std::string& w : steps) {
      // fill_seq's database serves the reads, overwrites and deletes; the others start empty.
      const bool chained = std::find(kOnFill.begin(), kOnFill.end(), w) != kOnFill.end();
      for (const std::string& engine : Order(chunk)) {
        std::string dir = base + "/" + engine + "-" + (chained ? std::string("fill_seq") : w);
        if (!chained) fs::remove_all(dir);
        RunOne(group, engine, round, pair, Args(w, n), dir);
      }
    }
    fs::remove_all(base);
  }

  void RunChainGroup(const std::string& group, std::uint64_t n, int rounds,
                     const std::vector<std::string>& peers, std::vector<std::string> all) {
    std::vector<std::string> steps;
    for (const auto& w : all) {
      if (Wanted(w)) steps.push_back(w);
    }
    if (steps.empty() || peers.empty()) return;
    bool needs_fill = std::any_of(steps.begin(), steps.end(), [](const std::string& w) {
      return w != "fill_seq" && w != "fill_rnd" && w != "durable" && w != "durable8";
    });
    if (needs_fill && steps.front() != "fill_seq") steps.insert(steps.begin(), "fill_seq");
    for (int round = 1; round <= rounds; ++round) {
      for (const auto& chunk : Chunks(peers)) RunChunk(group, n, chunk, round, steps);
    }
  }

  void RunSweep() {
    if (!Wanted("sweep")) return;
    for (int round = 1; round <= cfg_.sweep_rounds; ++round) {
      for (const auto& chunk : Chunks(cfg_.peers)) {
        const int pair = ++pair_id_;
        for (std::uint64_t vs : cfg_.sweep_sizes) {
          for (const std::string& engine : Order(chunk)) {
            std::string dir = cfg_.data_dir + "/sweep-" + engine;
            fs::remove_all(dir);
            RunOne("sweep", engine, round, pair,
                   {"--workload", "sweep", "--n", std::to_string(cfg_.sweep_n), "--value-size",
                    std::to_string(vs), "--sweep-bytes", std::to_string(cfg_.sweep_bytes)},
                   dir);
            fs::remove_all(dir);
          }
        }
      }
    }
  }

  Report Run(const std::string& invocation) {
    auto t0 = Clock::now();
    fs::create_directories(cfg_.data_dir);
    report_.quick = cfg_.quick;
    report_.invocation = invocation;
    report_.machine = DescribeMachine(cfg_.data_dir);
    report_.machine.load_before = Trim(ReadFirstLine("/proc/loadavg"));
    std::fprintf(stderr, "bench_driver: probing fdatasync and memory latency\n");
    Probes& p = report_.probes;
    const int syncs = cfg_.quick ? 200 : 2000;
    const double sync_secs = cfg_.quick ? 1 : 4;
    ProbeSync(cfg_.data_dir, SyncPattern::kRandomBlock, syncs, sync_secs,
              &p.fdatasync_random_per_sec, &p.fdatasync_random_p50_us);
    ProbeSync(cfg_.data_dir, SyncPattern::kSameBlock, syncs, sync_secs,
              &p.fdatasync_overwrite_per_sec, &p.fdatasync_overwrite_p50_us);
    ProbeSync(cfg_.data_dir, SyncPattern::kAppend, syncs, sync_secs, &p.fdatasync_append_per_sec,
              &p.fdatasync_append_p50_us);
    p.mem_latency_bytes = cfg_.quick ? (64 << 20) : (std::uint64_t{1} << 30);
    p.mem_latency_ns = ProbeMemoryLatency(p.mem_latency_bytes, cfg_.quick ? 2000000 : 10000000);
    std::fprintf(stderr,
                 "  fdatasync %.0f/s (random block), %.0f/s (same block), %.0f/s (append); "
                 "memory %.0f ns\n",
                 p.fdatasync_random_per_sec, p.fdatasync_overwrite_per_sec,
                 p.fdatasync_append_per_sec, p.mem_latency_ns);

    auto has = [&](const char* g) {
      return std::find(cfg_.groups.begin(), cfg_.groups.end(), g) != cfg_.groups.end();
    };
    if (has("main")) {
      RunChainGroup("main", cfg_.n, cfg_.rounds, cfg_.peers,
                    {"fill_seq", "read_tx", "read_txper", "scan", "read_while_write", "overwrite",
                     "delete", "fill_rnd", "durable", "durable8"});
    }
    if (has("sweep")) RunSweep();
    if (has("big") && !cfg_.quick) {
      std::vector<std::string> peers;
      for (const auto& p2 : cfg_.big_peers) {
        if (std::find(cfg_.peers.begin(), cfg_.peers.end(), p2) != cfg_.peers.end())
          peers.push_back(p2);
      }
      RunChainGroup("big", cfg_.big_n, cfg_.big_rounds, peers,
                    {"fill_seq", "read_tx", "read_txper", "scan"});
    }
    report_.machine.load_after = Trim(ReadFirstLine("/proc/loadavg"));
    report_.wall_seconds = Since(t0);
    fs::remove_all(cfg_.data_dir);
    return report_;
  }

 private:
  Config cfg_;
  Report report_;
  int pair_id_ = 0;
};

}  // namespace
}  // namespace larder::bench

int main(int argc, char** argv) {
  using namespace larder::bench;
  Config cfg;
  CLI::App app{"bench_driver: LarderDB against LMDB, Go bbolt, SQLite and RocksDB"};
  app.add_option("--bin", cfg.bin_dir, "directory of the bench_* runners");
  app.add_option("--data", cfg.data_dir,
                 "scratch directory for the databases (on the disk to test)");
  app.add_option("--out", cfg.out_dir, "where results.json and the plots go");
  app.add_option("--markdown", cfg.markdown, "the report to (re)write");
  app.add_flag("--quick", cfg.quick, "smoke run: small sizes, one round (under a minute)");
  app.add_option("--rounds", cfg.rounds, "rounds of the main group");
  app.add_option("--big-rounds", cfg.big_rounds, "rounds of the 10M group");
  app.add_option("--sweep-rounds", cfg.sweep_rounds, "rounds of the value-size sweep");
  app.add_option("--groups", cfg.groups, "main, sweep, big")->delimiter(',');
  app.add_option("--peers", cfg.peers, "lmdb, bbolt, sqlite, rocksdb")->delimiter(',');
  app.add_option("--big-peers", cfg.big_peers, "peers of the 10M group")->delimiter(',');
  app.add_option("--workloads", cfg.workloads, "only these workloads (default: all)")
      ->delimiter(',');
  app.add_option("--n", cfg.n, "keys of the main group");
  app.add_option("--big-n", cfg.big_n, "keys of the big group");
  app.add_option("--read-ops", cfg.read_ops, "point reads per read workload");
  app.add_option("--write-ops", cfg.write_ops, "overwrites / deletes");
  app.add_option("--commits", cfg.commits, "durable commits (at most)");
  app.add_option("--durable-seconds", cfg.durable_seconds, "time cap of the durable workloads");
  app.add_option("--rww-seconds", cfg.rww_seconds, "read_while_write duration");
  std::string render;
  app.add_option("--render", render,
                 "only redraw the report and plots from this results.json (no runs)");
  CLI11_PARSE(app, argc, argv);
  std::string invocation;
  for (int i = 0; i < argc; ++i) invocation += (i ? " " : "") + std::string(argv[i]);
  if (cfg.quick) {
    cfg.rounds = cfg.sweep_rounds = 1;
    cfg.n = 20000;
    cfg.read_ops = cfg.write_ops = 20000;
    cfg.commits = 100;
    cfg.durable_seconds = 0.3;
    cfg.rww_seconds = 0.3;
    cfg.sweep_n = 5000;
    cfg.sweep_bytes = 2 << 20;
    cfg.sweep_sizes = {16, 1024, 65536};
  }
  if (cfg.data_dir.empty()) cfg.data_dir = "build-bench/bench-data";
  if (cfg.out_dir.empty()) cfg.out_dir = cfg.quick ? "build-bench/bench-quick/bench" : "docs/bench";
  if (cfg.markdown.empty()) {
    cfg.markdown = cfg.quick ? "build-bench/bench-quick/benchmarks.md" : "docs/benchmarks.md";
  }
  if (!render.empty()) {
    Report report;
    if (!ReadReport(render, &report)) {
      std::fprintf(stderr, "bench_driver: cannot read %s\n", render.c_str());
      return 2;
    }
    WriteReport(report, cfg.out_dir, cfg.markdown);
    return 0;
  }
  Report report = Driver(cfg).Run(invocation);
  WriteReport(report, cfg.out_dir, cfg.markdown);
  std::fprintf(stderr, "bench_driver: %zu results, %zu failures, %.0f s; wrote %s and %s/\n",
               report.records.size(), report.failures.size(), report.wall_seconds,
               cfg.markdown.c_str(), cfg.out_dir.c_str());
  return report.failures.empty() ? 0 : 1;
}
