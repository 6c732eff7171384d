// Page encodings: one page is the samples of one series over a span of time, encoded on its
// own (docs/formats/tsdb.md, "Pages"; the choice and its measurements: docs/tsdb.md).
//
// Timestamps (milliseconds) take one of two forms, chosen from the data:
//  - regular: every timestamp lies on the grid t0 + k * interval (the series' interval), so
//    only t0, the interval and the number of slots are stored, plus a bitmap of the slots that
//    hold a sample when some are gaps;
//  - irregular: t0, the first delta, then delta-of-deltas (zigzag varints; 1 byte each on a
//    steady beat, which the extent's zstd then squeezes further).
// Values (doubles, returned bit-exact) take the smallest of (a candidate that cannot win is
// skipped: varints when the bit-packing takes at most a byte a sample, XOR when a scaled form
// takes at most a byte a sample):
//  - scaled, bit-packed: the smallest decimal scale s (0..15) such that every value is
//    m / 10^s for an integer m (|m| < 2^53) that reproduces it bit for bit; then m0 and the
//    deltas of m, minus their minimum, in a fixed width of bits (0 bits when the deltas are
//    constant: a constant or a steady counter);
//  - scaled, varint: the same integers as zigzag varint deltas (wins on rare large jumps);
//  - XOR (Gorilla): the first value raw, then each value XORed with the previous one, with a
//    reused or new leading/trailing-zero window. Used where no scale exists (NaN, -0.0,
//    binary fractions with more than 15 decimals).
//
// Thread-safety: pure functions.
#ifndef LARDER_TSDB_PAGE_CODEC_H_
#define LARDER_TSDB_PAGE_CODEC_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "larder/status.h"
#include "larder/tsdb/db.h"

namespace larder::tsdb {

// The most samples one encoded page may hold (the decoder refuses more).
inline constexpr std::size_t kMaxPageSamples = 65536;

enum class ValueCodec : std::uint8_t { kXor = 0, kScaledBitpack = 1, kScaledVarint = 2 };

struct EncodeChoice {
  bool allow_regular = true;  // false: always the irregular timestamp form
  // Force one value codec (benchmarks); a scaled codec falls back to XOR when no scale exists.
  bool force_codec = false;
  ValueCodec codec = ValueCodec::kScaledBitpack;
};

// Encodes `samples` (REQUIRES: 1..kMaxPageSamples of them, strictly increasing times).
// `interval_ms` > 0 allows the regular form when the times fit its grid.
std::string EncodePage(std::span<const Sample> samples, std::int64_t interval_ms,
                       const EncodeChoice& choice = {});

// Decodes a page into `*out` (appended). Corruption when the bytes are not a valid page (every
// read is bounds-checked; nothing is appended then).
Status DecodePage(std::string_view page, std::vector<Sample>* out);

// Describes a page without decoding values: its kind ('R' or 'I'), value codec, sample count.
struct PageSummary {
  char kind = 0;
  ValueCodec codec = ValueCodec::kXor;
  std::uint32_t count = 0;
};
Status SummarizePage(std::string_view page, PageSummary* out);

// The smallest decimal scale (0..15) at which every value is exactly an integer / 10^scale, or
// -1 when there is none. Exposed for tests and the benchmark.
int FindDecimalScale(std::span<const Sample> samples);

}  // namespace larder::tsdb

#endif  // LARDER_TSDB_PAGE_CODEC_H_
