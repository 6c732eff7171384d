// Micro-benchmarks of the LSM memtable (src/lsm/memtable.h): Add of 1M random 16-byte keys
// with 100-byte values into a fresh memtable (and of ascending keys), Get of those keys (hits) and
// of absent keys (misses), and a full scan. Reports time per entry (items/s).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "lsm/memtable.h"

namespace larder::lsm {
namespace {

constexpr std::size_t kKeySize = 16;
constexpr std::size_t kValueSize = 100;

// `n` random keys as one buffer of n * kKeySize bytes (no per-key allocation in the loops).
std::string RandomKeys(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string keys(n * kKeySize, '\0');
  for (std::size_t i = 0; i < keys.size(); i += 8) {
    const std::uint64_t r = rng();
    std::memcpy(keys.data() + i, &r, 8);
  }
  return keys;
}
std::string_view KeyAt(const std::string& keys, std::size_t i) {
  return std::string_view(keys).substr(i * kKeySize, kKeySize);
}

void Fill(MemTable* mem, const std::string& keys, std::size_t n, const std::string& value) {
  for (std::size_t i = 0; i < n; ++i) mem->Add(i + 1, ValueType::kValue, KeyAt(keys, i), value);
}

void BM_MemTableAdd(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::string keys = RandomKeys(n, 1);
  const std::string value(kValueSize, 'v');
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto mem = std::make_unique<MemTable>();
    Fill(mem.get(), keys, n, value);
    bytes = mem->ApproximateMemoryUsage();
    state.PauseTiming();  // the memtable's destruction is not measured
    mem.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.counters["arena_MiB"] = static_cast<double>(bytes) / (1 << 20);
}

// Keys in ascending order (db_bench's fillseq): 16-byte big-endian counters.
void BM_MemTableAddSequential(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::string keys(n * kKeySize, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    StoreBigEndianU64(reinterpret_cast<std::uint8_t*>(keys.data()) + i * kKeySize + 8, i);
  }
  const std::string value(kValueSize, 'v');
  for (auto _ : state) {
    auto mem = std::make_unique<MemTable>();
    Fill(mem.get(), keys, n, value);
    state.PauseTiming();
    mem.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

void BM_MemTableGet(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const bool hits = state.range(1) != 0;
  const std::string keys = RandomKeys(n, 1);
  const std::string probes = hits ? keys : RandomKeys(n, 2);
  MemTable mem;
  Fill(&mem, keys, n, std::string(kValueSize, 'v'));
  std::vector<std::uint32_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = static_cast<std::uint32_t>(i);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(3));
  std::size_t i = 0, found = 0;
  for (auto _ : state) {
    std::string_view value;
    found += mem.Get(KeyAt(probes, order[i]), kMaxSequenceNumber, nullptr, &value, nullptr);
    benchmark::DoNotOptimize(value);
    if (++i == n) i = 0;
  }
  if (found != (hits ? static_cast<std::size_t>(state.iterations()) : 0))
    state.SkipWithError("wrong Get results");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_MemTableScan(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  MemTable mem;
  Fill(&mem, RandomKeys(n, 1), n, std::string(kValueSize, 'v'));
  for (auto _ : state) {
    auto it = mem.NewIterator();
    std::size_t count = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++count;
    if (count != n) state.SkipWithError("wrong scan length");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

BENCHMARK(BM_MemTableAdd)
    ->Arg(30000)
    ->Arg(450000)
    ->Arg(1000000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
BENCHMARK(BM_MemTableAddSequential)->Arg(1000000)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_MemTableGet)->Args({1000000, 1})->Args({1000000, 0});
BENCHMARK(BM_MemTableScan)->Arg(1000000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace larder::lsm

BENCHMARK_MAIN();
