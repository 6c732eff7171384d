// Micro-benchmark of how larderd writes a double in a reply (server/args.h FormatDouble, every
// score of ZRANGE WITHSCORES, ZPOPMIN, ZSCORE...) against the two other ways to get printf's
// %.17g bytes: fmt's "{:.17g}" and snprintf itself. Values: a million doubles, half integral
// (as redis-benchmark's scores), half fractional across exponents. Reports ns per value.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "server/args.h"

namespace larder::server {
namespace {

const std::vector<double>& Values() {
  static const std::vector<double> values = [] {
    std::mt19937_64 rng(1);
    std::vector<double> v;
    for (int i = 0; i < 1'000'000; ++i) {
      v.push_back(
          i % 2 == 1 ? static_cast<double>(rng() % 100000)
                     : std::ldexp(static_cast<double>(rng() >> 11), -static_cast<int>(rng() % 80)));
    }
    return v;
  }();
  return values;
}

template <typename Fn>
void Run(benchmark::State& state, Fn format) {
  const std::vector<double>& values = Values();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(format(values[i]));
    if (++i == values.size()) i = 0;
  }
}

void BM_FormatDouble(benchmark::State& state) { Run(state, FormatDouble); }
void BM_FmtPercent17g(benchmark::State& state) {
  Run(state, [](double v) { return fmt::format("{:.17g}", v); });
}
void BM_SnprintfPercent17g(benchmark::State& state) {
  Run(state, [](double v) {
    char buf[64];
    const int n = std::snprintf(buf, sizeof buf, "%.17g", v);
    return std::string(buf, static_cast<std::size_t>(n));
  });
}

BENCHMARK(BM_FormatDouble);
BENCHMARK(BM_FmtPercent17g);
BENCHMARK(BM_SnprintfPercent17g);

}  // namespace
}  // namespace larder::server

BENCHMARK_MAIN();
