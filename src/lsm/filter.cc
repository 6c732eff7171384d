// The table's Bloom filter (filter.h).
#include "lsm/filter.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace larder::lsm {
namespace {

constexpr std::uint8_t kBloomKind = 1;
constexpr int kMaxProbes = 30;
// Odd constants with well-spread bits (from the golden ratio and two large primes' digits).
constexpr std::uint64_t kMulA = 0x9e3779b97f4a7c15ull;
constexpr std::uint64_t kMulB = 0xd6e8feb86659fd93ull;
constexpr std::uint64_t kMulC = 0xa0761d6478bd642full;

inline std::uint64_t Word(std::uint64_t w) { return std::rotl(w * kMulB, 29) * kMulA; }

inline std::uint32_t ProbeBit(std::uint32_t h, std::uint64_t num_bits) {
  return static_cast<std::uint32_t>((std::uint64_t{h} * num_bits) >> 32);
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
  std::uint64_t bits = std::max<std::uint64_t>(64, hashes_.size() * std::uint64_t(bits_per_key_));
  bits = std::min<std::uint64_t>((bits + 7) / 8 * 8, std::uint64_t{1} << 32);
  std::string out(bits / 8 + 2, '\0');
  auto* array = reinterpret_cast<std::uint8_t*>(out.data());
  for (const std::uint64_t h : hashes_) {
    auto h1 = static_cast<std::uint32_t>(h);
    const auto h2 = static_cast<std::uint32_t>(h >> 32);
    for (int i = 0; i < probes; ++i, h1 += h2) {
      const std::uint32_t bit = ProbeBit(h1, bits);
      array[bit >> 3] |= static_cast<std::uint8_t>(1u << (bit & 7));
    }
  }
  out[bits / 8] = static_cast<char>(probes);
  out[bits / 8 + 1] = static_cast<char>(kBloomKind);
  hashes_.clear();
  return out;
}

Status FilterReader::Init(std::string contents) {
  if (contents.size() < 3) return Status::Corruption("filter shorter than 3 bytes");
  const auto kind = static_cast<std::uint8_t>(contents[contents.size() - 1]);
  const auto probes = static_cast<std::uint8_t>(contents[contents.size() - 2]);
  if (kind != kBloomKind) return Status::Corruption("unknown filter kind");
  if (probes < 1 || probes > kMaxProbes) return Status::Corruption("bad filter probe count");
  if (contents.size() - 2 > (std::uint64_t{1} << 29)) {
    return Status::Corruption("filter larger than 512 MiB");
  }
  num_bits_ = (contents.size() - 2) * 8;
  num_probes_ = probes;
  data_ = std::move(contents);
  return Status::Ok();
}

bool FilterReader::KeyMayMatch(std::string_view user_key) const {
  if (num_bits_ == 0) return true;
  const std::uint64_t h = FilterHash64(user_key);
  auto h1 = static_cast<std::uint32_t>(h);
  const auto h2 = static_cast<std::uint32_t>(h >> 32);
  const auto* array = reinterpret_cast<const std::uint8_t*>(data_.data());
  for (int i = 0; i < num_probes_; ++i, h1 += h2) {
    const std::uint32_t bit = ProbeBit(h1, num_bits_);
    if ((array[bit >> 3] & (1u << (bit & 7))) == 0) return false;
  }
  return true;
}

}  // namespace larder::lsm
