// The workloads of the comparison benchmark; see workload.h.
#include "workload.h"

#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace larder::bench {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::uint64_t Mix(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr std::size_t kPoolSize = 128 << 10;  // values of up to 64 KiB start in the first half

const std::array<char, kPoolSize>& Pool() {
  static const std::array<char, kPoolSize> pool = [] {
    std::array<char, kPoolSize> p{};
    std::uint64_t state = 42;
    for (char& c : p) c = static_cast<char>('a' + NextRandom(&state) % 26);
    return p;
  }();
  return pool;
}

struct Key {
  char bytes[16];
  explicit Key(std::uint64_t i) { FormatKey(i, bytes); }
  std::string_view view() const { return {bytes, 16}; }
};

// CPU time (user + system, every thread) the process has used so far, in seconds.
double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

struct Output {
  const char* engine;
  const RunConfig& cfg;
  // `cpu_seconds` is the whole process's CPU time (opening included), which a machine busy
  // with other work inflates much less than the wall-clock `seconds` (bench/ab.sh AB_CPU=1).
  void Print(const char* workload, std::uint64_t ops, double seconds,
             std::uint64_t write_ops = 0) const {
    std::printf(
        "{\"engine\":\"%s\",\"workload\":\"%s\",\"n\":%llu,\"value_size\":%llu,\"ops\":%llu,"
        "\"seconds\":%.6f,\"write_ops\":%llu,\"cpu_seconds\":%.6f}\n",
        engine, workload, static_cast<unsigned long long>(cfg.n),
        static_cast<unsigned long long>(cfg.value_size), static_cast<unsigned long long>(ops),
        seconds, static_cast<unsigned long long>(write_ops), ProcessCpuSeconds());
    std::fflush(stdout);
  }
};

// Writes keys order(0..count) in transactions of cfg.batch puts.
template <typename KeyOf>
void Load(Store& store, std::uint64_t count, std::uint64_t batch, std::uint64_t value_size,
          std::uint64_t salt, KeyOf key_of) {
  for (std::uint64_t start = 0; start < count; start += batch) {
    store.BeginWrite();
    std::uint64_t end = std::min(count, start + batch);
    for (std::uint64_t j = start; j < end; ++j) {
      std::uint64_t idx = key_of(j);
      store.Put(Key(idx).view(), ValueFor(idx, value_size, salt));
    }
    store.Commit();
  }
}

void CheckLength(std::int64_t got, std::uint64_t want, std::uint64_t idx) {
  if (got != static_cast<std::int64_t>(want)) {
    Die("key " + std::to_string(idx) + ": value length " + std::to_string(got) + ", want " +
        std::to_string(want));
  }
}

int Run(const RunConfig& cfg, const char* engine, OpenFn open) {
  Output out{engine, cfg};
  const std::string& w = cfg.workload;
  const std::uint64_t n = cfg.n;
  const std::uint64_t vs = cfg.value_size;
  const bool fresh =
      w == "fill_seq" || w == "fill_rnd" || w == "durable" || w == "durable8" || w == "sweep";
  OpenSpec spec{cfg.dir, w == "durable" || w == "durable8", fresh,
                w == "durable8" ? cfg.threads : 1};
  std::unique_ptr<Store> store = open(spec);

  if (w == "fill_seq" || w == "fill_rnd") {
    const bool rnd = w == "fill_rnd";
    auto t0 = Clock::now();
    Load(*store, n, cfg.batch, vs, 0, [&](std::uint64_t j) { return rnd ? Permute(j, n, 1) : j; });
    out.Print(w.c_str(), n, Since(t0));
  } else if (w == "read_tx" || w == "read_txper") {
    const bool per = w == "read_txper";
    auto reader = store->NewReader();
    std::uint64_t rng = 7;
    auto t0 = Clock::now();
    if (!per) reader->Begin();
    for (std::uint64_t i = 0; i < cfg.ops; ++i) {
      std::uint64_t idx = NextRandom(&rng) % n;
      if (per) reader->Begin();
      CheckLength(reader->Get(Key(idx).view()), vs, idx);
      if (per) reader->End();
    }
    if (!per) reader->End();
    out.Print(w.c_str(), cfg.ops, Since(t0));
  } else if (w == "scan") {
    // Full passes, each in its own read transaction, until cfg.ops entries were read.
    auto reader = store->NewReader();
    const std::uint64_t passes = std::max<std::uint64_t>(1, (cfg.ops + n - 1) / n);
    std::uint64_t total = 0;
    auto t0 = Clock::now();
    for (std::uint64_t pass = 0; pass < passes; ++pass) {
      std::uint64_t bytes = 0;
      reader->Begin();
      std::uint64_t count = reader->Scan(&bytes);
      reader->End();
      if (count != n || bytes != n * vs) Die("scan saw " + std::to_string(count) + " entries");
      total += count;
    }
    out.Print("scan", total, Since(t0));
  } else if (w == "read_while_write") {
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> written{0};
    std::thread writer([&] {
      std::uint64_t rng = 11;
      while (!stop.load(std::memory_order_relaxed)) {
        Load(*store, cfg.batch, cfg.batch, vs, 1,
             [&](std::uint64_t) { return NextRandom(&rng) % n; });
        written += cfg.batch;
      }
    });
    auto reader = store->NewReader();
    std::uint64_t rng = 13, reads = 0;
    auto t0 = Clock::now();
    double secs = 0;
    while (true) {
      std::uint64_t idx = NextRandom(&rng) % n;
      reader->Begin();
      CheckLength(reader->Get(Key(idx).view()), vs, idx);
      reader->End();
      if ((++reads & 255) == 0 && (secs = Since(t0)) >= cfg.seconds) break;
    }
    std::uint64_t wrote = written.load();
    stop = true;
    writer.join();
    out.Print("read_while_write", reads, secs, wrote);
  } else if (w == "overwrite" || w == "delete") {
    const bool del = w == "delete";
    const std::uint64_t ops = std::min(cfg.ops, n);
    auto t0 = Clock::now();
    for (std::uint64_t start = 0; start < ops; start += cfg.batch) {
      store->BeginWrite();
      std::uint64_t end = std::min(ops, start + cfg.batch);
      for (std::uint64_t j = start; j < end; ++j) {
        std::uint64_t idx = Permute(j, n, del ? 5 : 3);
        if (del) {
          store->Delete(Key(idx).view());
        } else {
          store->Put(Key(idx).view(), ValueFor(idx, vs, 2));
        }
      }
      store->Commit();
    }
    double secs = Since(t0);
    auto reader = store->NewReader();
    reader->Begin();
    std::uint64_t first = Permute(0, n, del ? 5 : 3);
    CheckLength(reader->Get(Key(first).view()), del ? static_cast<std::uint64_t>(-1) : vs, first);
    reader->End();
    out.Print(w.c_str(), ops, secs);
  } else if (w == "durable" || w == "durable8") {
    // Each thread commits its share of cfg.commits keys, one per transaction, and stops early
    // when cfg.seconds have passed (slow disks).
    const int threads = w == "durable8" ? cfg.threads : 1;
    const std::uint64_t per = cfg.commits / static_cast<std::uint64_t>(threads);
    std::atomic<std::uint64_t> done{0};
    auto t0 = Clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        auto writer = store->NewDurableWriter();
        for (std::uint64_t j = 0; j < per && Since(t0) < cfg.seconds; ++j) {
          std::uint64_t idx = Permute(static_cast<std::uint64_t>(t) * per + j, per * threads, 9);
          writer->Put(Key(idx).view(), ValueFor(idx, vs));
          ++done;
        }
      });
    }
    for (auto& th : pool) th.join();
    out.Print(w.c_str(), done.load(), Since(t0));
  } else if (w == "sweep") {
    const std::uint64_t count =
        std::clamp<std::uint64_t>(cfg.sweep_bytes / vs, 64, std::max<std::uint64_t>(64, n));
    const std::uint64_t batch = std::clamp<std::uint64_t>((4 << 20) / vs, 1, cfg.batch);
    auto t0 = Clock::now();
    Load(*store, count, batch, vs, 0, [](std::uint64_t j) { return j; });
    out.Print("sweep_fill", count, Since(t0));
    auto reader = store->NewReader();
    std::uint64_t rng = 17;
    t0 = Clock::now();
    reader->Begin();
    for (std::uint64_t i = 0; i < count; ++i) {
      std::uint64_t idx = NextRandom(&rng) % count;
      CheckLength(reader->Get(Key(idx).view()), vs, idx);
    }
    reader->End();
    out.Print("sweep_read", count, Since(t0));
  } else {
    Die("unknown workload " + w);
  }
  return 0;
}

}  // namespace

void Die(std::string_view what) {
  std::fprintf(stderr, "bench: %.*s\n", static_cast<int>(what.size()), what.data());
  std::exit(2);
}

void FormatKey(std::uint64_t i, char out[16]) {
  for (int b = 15; b >= 0; --b, i /= 10) out[b] = static_cast<char>('0' + i % 10);
}

std::string_view ValueFor(std::uint64_t i, std::uint64_t size, std::uint64_t salt) {
  std::size_t offset = static_cast<std::size_t>((i * 97 + salt * 13) % (kPoolSize / 2));
  return {Pool().data() + offset, static_cast<std::size_t>(size)};
}

std::uint64_t Permute(std::uint64_t i, std::uint64_t n, std::uint64_t seed) {
  if (n <= 1) return 0;
  int bits = 64 - __builtin_clzll(n - 1);
  if (bits < 2) bits = 2;
  if (bits & 1) ++bits;
  const int half = bits / 2;
  const std::uint64_t mask = (std::uint64_t{1} << half) - 1;
  std::uint64_t x = i;
  do {
    std::uint64_t l = x >> half, r = x & mask;
    for (std::uint64_t round = 0; round < 4; ++round) {
      std::uint64_t t = l ^ (Mix(r ^ (seed * 0x100000001b3ULL + round)) & mask);
      l = r;
      r = t;
    }
    x = (l << half) | r;
  } while (x >= n);  // cycle-walk back into [0, n)
  return x;
}

std::uint64_t NextRandom(std::uint64_t* state) {
  *state += 0x9e3779b97f4a7c15ULL;
  std::uint64_t z = *state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

int RunnerMain(int argc, char** argv, const char* engine, OpenFn open) {
  RunConfig cfg;
  CLI::App app{std::string("bench_") + engine + ": one workload of the comparison benchmark"};
  app.add_option("--workload", cfg.workload, "workload name")->required();
  app.add_option("--dir", cfg.dir, "data directory")->required();
  app.add_option("--n", cfg.n, "keys in the database")->required();
  app.add_option("--ops", cfg.ops, "operations (reads, overwrites, deletes)");
  app.add_option("--value-size", cfg.value_size, "value bytes (<= 65536)");
  app.add_option("--commits", cfg.commits, "durable commits");
  app.add_option("--threads", cfg.threads, "durable8 writer threads");
  app.add_option("--seconds", cfg.seconds, "read_while_write duration; durable time cap");
  app.add_option("--sweep-bytes", cfg.sweep_bytes, "sweep: value bytes to load");
  app.add_option("--batch", cfg.batch, "puts per write transaction");
  CLI11_PARSE(app, argc, argv);
  if (cfg.value_size == 0 || cfg.value_size > 65536) Die("--value-size must be 1..65536");
  if (cfg.n == 0) Die("--n must be positive");
  if (cfg.ops == 0) cfg.ops = cfg.n;
  return Run(cfg, engine, open);
}

}  // namespace larder::bench
