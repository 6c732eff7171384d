#include "base/checksum.h"

#include <array>

#include "base/coding.h"

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace larder {

std::uint64_t Fnv1a64(std::span<const std::uint8_t> data) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (std::uint8_t b : data) {
    h ^= b;
    h *= 0x100000001b3ULL;
  }
  return h;
}

namespace crc32c {
namespace {

// Slicing-by-8: kTables[0] is the byte-at-a-time table; kTables[k][b] is the CRC of byte b
// followed by k zero bytes, so eight table lookups fold in eight input bytes at once.
using Tables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr Tables MakeTables() {
  Tables t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[0][i] = c;
  }
  for (std::size_t k = 1; k < 8; ++k) {
    for (std::uint32_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
  }
  return t;
}
constexpr Tables kTables = MakeTables();

#if defined(__x86_64__)
// Compiled for SSE4.2 alone, so the rest of the build needs no -msse4.2; called only after the
// run-time check.
__attribute__((target("sse4.2"))) std::uint32_t ExtendSse42(std::uint32_t crc,
                                                            const std::uint8_t* p, std::size_t n) {
  std::uint64_t c = ~crc;
  // Bytes up to an 8-byte boundary, then 8 at a time, then the tail.
  while (n > 0 && (reinterpret_cast<std::uintptr_t>(p) & 7) != 0) {
    c = _mm_crc32_u8(static_cast<std::uint32_t>(c), *p++);
    --n;
  }
  for (; n >= 32; n -= 32, p += 32) {
    c = _mm_crc32_u64(c, LoadU64(p));
    c = _mm_crc32_u64(c, LoadU64(p + 8));
    c = _mm_crc32_u64(c, LoadU64(p + 16));
    c = _mm_crc32_u64(c, LoadU64(p + 24));
  }
  for (; n >= 8; n -= 8, p += 8) c = _mm_crc32_u64(c, LoadU64(p));
  for (; n > 0; --n) c = _mm_crc32_u8(static_cast<std::uint32_t>(c), *p++);
  return ~static_cast<std::uint32_t>(c);
}
#endif

}  // namespace

namespace internal {

std::uint32_t ExtendPortable(std::uint32_t crc, std::span<const std::uint8_t> data) {
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  std::uint32_t c = ~crc;
  for (; n >= 8; n -= 8, p += 8) {
    const std::uint32_t lo = LoadU32(p) ^ c;
    const std::uint32_t hi = LoadU32(p + 4);
    c = kTables[7][lo & 0xff] ^ kTables[6][(lo >> 8) & 0xff] ^ kTables[5][(lo >> 16) & 0xff] ^
        kTables[4][lo >> 24] ^ kTables[3][hi & 0xff] ^ kTables[2][(hi >> 8) & 0xff] ^
        kTables[1][(hi >> 16) & 0xff] ^ kTables[0][hi >> 24];
  }
  for (; n > 0; --n) c = kTables[0][(c ^ *p++) & 0xff] ^ (c >> 8);
  return ~c;
}

std::uint32_t ExtendHardware(std::uint32_t crc, std::span<const std::uint8_t> data) {
#if defined(__x86_64__)
  return ExtendSse42(crc, data.data(), data.size());
#else
  return ExtendPortable(crc, data);
#endif
}

bool HardwareAvailable() {
#if defined(__x86_64__)
  static const bool available = __builtin_cpu_supports("sse4.2");
  return available;
#else
  return false;
#endif
}

}  // namespace internal

std::uint32_t Extend(std::uint32_t crc, std::span<const std::uint8_t> data) {
  static const bool hardware = internal::HardwareAvailable();
  return hardware ? internal::ExtendHardware(crc, data) : internal::ExtendPortable(crc, data);
}

}  // namespace crc32c
}  // namespace larder
