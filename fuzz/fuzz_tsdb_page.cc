// Arbitrary bytes as a tsdb page, then as an extent: decoding must return samples or a clean
// Corruption, never crash; a page that decodes must re-encode to a page that decodes the same.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/extent.h"
#include "tsdb/page_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace larder::tsdb;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::vector<Sample> samples;
  if (DecodePage(bytes, &samples).ok()) {
    bool increasing = true;
    for (std::size_t i = 1; i < samples.size(); ++i) {
      increasing = increasing && samples[i].time_ms > samples[i - 1].time_ms;
    }
    if (!increasing || samples.empty()) __builtin_trap();
    bool in_range = true;
    for (const Sample& s : samples) in_range = in_range && s.time_ms >= 0 && s.time_ms <= kMaxTime;
    if (in_range) {
      std::vector<Sample> again;
      if (!DecodePage(EncodePage(samples, 1000), &again).ok() || again.size() != samples.size()) {
        __builtin_trap();
      }
      for (std::size_t i = 0; i < again.size(); ++i) {
        if (again[i].time_ms != samples[i].time_ms ||
            std::bit_cast<std::uint64_t>(again[i].value) !=
                std::bit_cast<std::uint64_t>(samples[i].value)) {
          __builtin_trap();
        }
      }
    }
  }
  std::string raw;
  (void)DecodeExtent(bytes, "fuzz", 0, &raw);
  return 0;
}
