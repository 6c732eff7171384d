// Micro-benchmarks of the base checksums: CRC32C through the SSE4.2 instruction and through the
// portable slicing-by-8 tables, and FNV-1a (bolt's meta checksum), over block sizes from a
// small record to a large page. Reports bytes per second.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "base/checksum.h"

namespace larder {
namespace {

std::vector<std::uint8_t> RandomBytes(std::size_t n) {
  std::mt19937 rng(1);
  std::vector<std::uint8_t> v(n);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

template <typename Fn>
void Run(benchmark::State& state, Fn fn) {
  const auto data = RandomBytes(static_cast<std::size_t>(state.range(0)));
  std::uint32_t crc = 0;
  for (auto _ : state) {
    crc = fn(crc, data);
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void BM_Crc32cHardware(benchmark::State& state) {
  if (!crc32c::internal::HardwareAvailable()) {
    state.SkipWithError("no SSE4.2 on this CPU");
    return;
  }
  Run(state, crc32c::internal::ExtendHardware);
}
void BM_Crc32cPortable(benchmark::State& state) { Run(state, crc32c::internal::ExtendPortable); }
void BM_Crc32cExtend(benchmark::State& state) { Run(state, crc32c::Extend); }
void BM_Fnv1a64(benchmark::State& state) {
  Run(state, [](std::uint32_t, std::span<const std::uint8_t> d) {
    return static_cast<std::uint32_t>(Fnv1a64(d));
  });
}

BENCHMARK(BM_Crc32cHardware)->Arg(64)->Arg(4096)->Arg(1 << 20);
BENCHMARK(BM_Crc32cPortable)->Arg(64)->Arg(4096)->Arg(1 << 20);
BENCHMARK(BM_Crc32cExtend)->Arg(64)->Arg(4096);
BENCHMARK(BM_Fnv1a64)->Arg(4096);

}  // namespace
}  // namespace larder

BENCHMARK_MAIN();
