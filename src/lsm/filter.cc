// The table's Bloom filter (filter.h).
#include "lsm/filter.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace larder::lsm {
namespace {

constexpr std::uint8_t kBloomKind = 1;
constexpr int kMaxProbes = 30;
// At most 2^22 lines (256 MiB): far above any table, and a bound for a damaged block.
constexpr std::uint64_t kMaxLines = std::uint64_t{1} << 22;
// Odd constants with well-spread bits (from the golden ratio and two large primes' digits).
constexpr std::uint64_t kMulA = 0x9e3779b97f4a7c15ull;
constexpr std::uint64_t kMulB = 0xd6e8feb86659fd93ull;
constexpr std::uint64_t kMulC = 0xa0761d6478bd642full;

inline std::uint64_t Word(std::uint64_t w) { return std::rotl(w * kMulB, 29) * kMulA; }

constexpr std::uint64_t kLineBits = 512;  // one 64-byte cache line

// The cache line of a key: its hash's high half mapped onto [0, lines) by multiply-shift.
inline std::uint64_t LineOf(std::uint64_t h, std::uint64_t lines) {
  return ((h >> 32) * lines) >> 32;
}

// The stream the probe positions come from: 9 bits per probe, refilled every 7 probes.
inline std::uint64_t Remix(std::uint64_t g) {
  g = (g ^ (g >> 31)) * kMulB;
  return g ^ (g >> 29);
}

// Calls f(bit) for each of the `probes` bits (0..511) of the key with hash h in its line.
template <typename F>
inline bool ForEachProbe(std::uint64_t h, int probes, F&& f) {
  std::uint64_t g = Remix(h);
  for (int i = 0; i < probes; ++i) {
    if (i > 0 && i % 7 == 0) g = Remix(g + kMulC);
    if (!f(static_cast<std::uint32_t>(g & (kLineBits - 1)))) return false;
    g >>= 9;
  }
  return true;
}

}  // namespace

std::uint64_t FilterHash64(std::string_view data, std::uint64_t seed) {
  const char* p = data.data();
  std::size_t n = data.size();
  std::uint64_t h = (seed ^ kMulC) + n * kMulA;
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = std::rotl(h ^ Word(w), 27) * kMulC + kMulB;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = std::rotl(h ^ Word(w ^ (std::uint64_t{n} << 59)), 27) * kMulC + kMulB;
  }
  // Avalanche: every input bit reaches every output bit.
  h ^= h >> 32;
  h *= kMulB;
  h ^= h >> 29;
  h *= kMulA;
  h ^= h >> 32;
  return h;
}

FilterBuilder::FilterBuilder(int bits_per_key) : bits_per_key_(std::max(bits_per_key, 1)) {}

void FilterBuilder::AddKey(std::string_view user_key) {
  const std::uint64_t h = FilterHash64(user_key);
  if (!hashes_.empty() && hashes_.back() == h) return;
  hashes_.push_back(h);
}

std::string FilterBuilder::Finish() {
  // k = bits_per_key * ln 2 minimises the false-positive rate.
  const int probes = std::clamp(static_cast<int>(bits_per_key_ * 0.69 + 0.5), 1, kMaxProbes);
  const std::uint64_t bits = hashes_.size() * std::uint64_t(bits_per_key_);
  const std::uint64_t lines =
      std::clamp<std::uint64_t>((bits + kLineBits - 1) / kLineBits, 1, kMaxLines);
  std::string out(lines * kLineBits / 8 + 2, '\0');
  auto* array = reinterpret_cast<std::uint8_t*>(out.data());
  for (const std::uint64_t h : hashes_) {
    std::uint8_t* line = array + LineOf(h, lines) * (kLineBits / 8);
    ForEachProbe(h, probes, [line](std::uint32_t bit) {
      line[bit >> 3] |= static_cast<std::uint8_t>(1u << (bit & 7));
      return true;
    });
  }
  out[out.size() - 2] = static_cast<char>(probes);
  out[out.size() - 1] = static_cast<char>(kBloomKind);
  hashes_.clear();
  return out;
}

Status FilterReader::Init(std::string contents) {
  if (contents.size() < 3) return Status::Corruption("filter shorter than 3 bytes");
  const auto kind = static_cast<std::uint8_t>(contents[contents.size() - 1]);
  const auto probes = static_cast<std::uint8_t>(contents[contents.size() - 2]);
  if (kind != kBloomKind) return Status::Corruption("unknown filter kind");
  if (probes < 1 || probes > kMaxProbes) return Status::Corruption("bad filter probe count");
  if ((contents.size() - 2) % (kLineBits / 8) != 0) {
    return Status::Corruption("filter not a whole number of 64-byte lines");
  }
  if ((contents.size() - 2) / (kLineBits / 8) > kMaxLines) {
    return Status::Corruption("filter larger than 256 MiB");
  }
  num_lines_ = (contents.size() - 2) / (kLineBits / 8);
  num_probes_ = probes;
  size_ = contents.size();
  data_ = AlignedBuffer(kLineBits / 8, contents.size());
  std::memcpy(data_.data(), contents.data(), contents.size());
  return Status::Ok();
}

bool FilterReader::KeyMayMatch(std::string_view user_key) const {
  if (num_lines_ == 0) return true;
  const std::uint64_t h = FilterHash64(user_key);
  const auto* line = data_.data() + LineOf(h, num_lines_) * (kLineBits / 8);
  return ForEachProbe(h, num_probes_, [line](std::uint32_t bit) {
    return (line[bit >> 3] & (1u << (bit & 7))) != 0;
  });
}

}  // namespace larder::lsm
