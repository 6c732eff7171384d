// Micro-benchmark of a sorted set's in-memory rank index (server/rank_chunks.h) under ZPOPMIN:
// an index of N entries counted in chunks of 64 (as a set built by random inserts splits them),
// every entry erased from the front. Reports the time per pop; a pop that empties the first
// chunk is where the cost of dropping it shows.
//
//   build-bench/bin/rank_chunks_bench
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "server/rank_chunks.h"

namespace larder::server {
namespace {

void BM_PopFront(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::vector<std::string> entries;
  entries.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "s%016d-element:%09d", i, i);
    entries.emplace_back(buf);
  }
  for (auto _ : state) {
    state.PauseTiming();
    RankChunks ranks(128);
    for (int i = 0; i < n; i += 64) ranks.Append(entries[i], std::min(64, n - i));
    state.ResumeTiming();
    for (const std::string& e : entries) ranks.Erase(e);
    benchmark::DoNotOptimize(ranks.total());
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_PopFront)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace larder::server

BENCHMARK_MAIN();
