// Micro-benchmarks of the bolt engine (Google Benchmark). The comparison against LMDB, Go
// bbolt, SQLite and RocksDB is bench/'s harness (docs/benchmarks.md).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "larder/bolt/db.h"
#include "larder/file_system.h"

namespace {
using namespace larder;
using namespace larder::bolt;

std::string Key(std::uint64_t i) {
  char k[16];
  for (int b = 15; b >= 0; --b, i >>= 8) k[b] = static_cast<char>(i & 0xff);
  return std::string(k, 16);
}

// A database in memory, without fsync: the engine's CPU cost alone.
struct InMemory {
  std::unique_ptr<FileSystem> fs = NewMemFileSystem(std::size_t{8} << 30);
  std::unique_ptr<DB> db;
  InMemory() {
    Options o;
    o.file_system = fs.get();
    o.no_sync = true;
    db = std::move(*DB::Open("/bench.db", o));
  }
};

struct Loaded : InMemory {
  explicit Loaded(std::int64_t n) {
    std::string value(100, 'v');
    for (std::int64_t start = 0; start < n; start += 1000) {
      (void)db->Update([&](Tx& tx) -> Status {
        LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucketIfNotExists("bench"));
        for (std::int64_t i = start; i < std::min(n, start + 1000); ++i) {
          LARDER_RETURN_IF_ERROR(b.Put(Key(static_cast<std::uint64_t>(i)), value));
        }
        return Status::Ok();
      });
    }
  }
};

void BM_RandomGet(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  Loaded l(n);
  auto tx = std::move(*l.db->Begin(false));
  Bucket b = *tx->GetBucket("bench");
  std::mt19937_64 rng(1);
  std::vector<std::string> keys;
  for (int i = 0; i < 4096; ++i) keys.push_back(Key(rng() % static_cast<std::uint64_t>(n)));
  std::size_t i = 0;
  for (auto _ : state) {
    auto v = b.Get(keys[i++ & 4095]);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RandomGet)->Arg(100000)->Arg(1000000);

// One read transaction per read: Begin(false), open the bucket, one Get, Rollback. With 1,000
// keys the pages stay in cache, so this measures the transaction's own cost.
void BM_ReadTxPerGet(benchmark::State& state) {
  Loaded l(1000);
  std::size_t i = 0;
  for (auto _ : state) {
    auto tx = std::move(*l.db->Begin(false));
    Bucket b = *tx->GetBucket("bench");
    auto v = b.Get(Key(i++ % 1000));
    benchmark::DoNotOptimize(v);
    (void)tx->Rollback();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ReadTxPerGet);

// DB::View with a body that only opens the bucket.
void BM_View(benchmark::State& state) {
  Loaded l(1000);
  for (auto _ : state) {
    Status s = l.db->View([](Tx& tx) { return tx.GetBucket("bench").status(); });
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_View);

void BM_CursorScan(benchmark::State& state) {
  Loaded l(state.range(0));
  auto tx = std::move(*l.db->Begin(false));
  Bucket b = *tx->GetBucket("bench");
  Cursor c = b.NewCursor();
  c.First();
  for (auto _ : state) {
    if (!c.Valid()) c.First();
    benchmark::DoNotOptimize(c.value());
    c.Next();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CursorScan)->Arg(1000000);

void BM_BatchInsert(benchmark::State& state) {
  const bool random = state.range(0) != 0;
  InMemory mem;
  DB* db = mem.db.get();
  std::mt19937_64 rng(2);
  std::uint64_t next = 0;
  std::string value(100, 'v');
  for (auto _ : state) {
    (void)db->Update([&](Tx& tx) -> Status {
      LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucketIfNotExists("bench"));
      for (int i = 0; i < 1000; ++i) {
        LARDER_RETURN_IF_ERROR(b.Put(Key(random ? rng() : next++), value));
      }
      return Status::Ok();
    });
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_BatchInsert)->Arg(0)->Arg(1)->Iterations(1000);

// larderd's list push, on the engine alone: read the list's meta record, write the element
// next to the last one (head pushes: each key before the last; tail pushes: after it), rewrite
// the meta. Lists among 100,000 other keys; 10,000 pushes per transaction, as one everysec
// batch. Args: 0 = head pushes (LPUSH) or 1 = tail pushes (RPUSH); the number of lists, each
// push to a random one.
void BM_ListPush(benchmark::State& state) {
  const bool tail = state.range(0) != 0;
  const auto lists = static_cast<std::size_t>(state.range(1));
  InMemory mem;
  DB* db = mem.db.get();
  std::mt19937_64 rng(3);
  (void)db->Update([&](Tx& tx) -> Status {
    LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucket("bench"));
    for (int i = 0; i < 100000; ++i) {
      LARDER_RETURN_IF_ERROR(b.Put("m" + Key(rng()), std::string(20, 'm')));
    }
    return Status::Ok();
  });
  std::vector<std::uint64_t> ends(lists, std::uint64_t{1} << 63);
  const std::string value(16, 'v');
  for (auto _ : state) {
    (void)db->Update([&](Tx& tx) -> Status {
      LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("bench"));
      for (int i = 0; i < 10000; ++i) {
        const std::uint64_t list = rng() % ends.size();
        const std::string meta = "m" + Key(list);
        (void)b.Get(meta);
        const std::uint64_t pos = tail ? ends[list]++ : --ends[list];
        LARDER_RETURN_IF_ERROR(b.Put("c" + Key(list) + Key(pos), value));
        LARDER_RETURN_IF_ERROR(b.Put(meta, Key(pos)));
      }
      return Status::Ok();
    });
  }
  state.SetItemsProcessed(state.iterations() * 10000);
}
BENCHMARK(BM_ListPush)->ArgsProduct({{0, 1}, {1, 10}})->Iterations(100);

// Group commit on the real disk: 8 threads each make 50 DB::Batch calls of one Put, with
// fsync (a fresh file under the temp directory per iteration). Reports the calls per commit
// (the mean group size) beside the rate; the rate follows the disk's fsync speed, which swings
// widely on this VM, so the group size is the figure to compare between builds.
void BM_BatchDurable8(benchmark::State& state) {
  const std::string path =
      (std::filesystem::temp_directory_path() / "larder_bolt_bench_batch.db").string();
  constexpr int kThreads = 8, kCalls = 50;
  std::uint64_t commits = 0, calls = 0;
  for (auto _ : state) {
    std::filesystem::remove(path);
    auto db = std::move(*DB::Open(path, Options{}));
    (void)db->Update([](Tx& tx) { return tx.CreateBucket("bench").status(); });
    const std::uint64_t before = db->Stats().write_tx_n;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kCalls; ++i) {
          (void)db->Batch([&](Tx& tx) -> Status {
            LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("bench"));
            return b.Put(Key(static_cast<std::uint64_t>(t * kCalls + i)), std::string(100, 'v'));
          });
        }
      });
    }
    for (auto& th : threads) th.join();
    commits += db->Stats().write_tx_n - before;
    calls += kThreads * kCalls;
    (void)db->Close();
  }
  std::filesystem::remove(path);
  state.counters["calls_per_commit"] =
      static_cast<double>(calls) / static_cast<double>(std::max<std::uint64_t>(commits, 1));
  state.SetItemsProcessed(static_cast<std::int64_t>(calls));
}
BENCHMARK(BM_BatchDurable8)->Iterations(3)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
