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
// The hardware loop runs three CRCs at once: the crc32 instruction takes three cycles but can
// start every cycle, so one dependent chain uses a third of it. A stretch of 3 * kStride bytes
// A ++ B ++ C is folded as three chains, A's from the running CRC and B's and C's from 0, then
// joined. The CRC register's update is linear: feeding bytes D to register r gives
// Z(r) ^ F(D), where Z is the effect of as many zero bytes and F(D) the CRC of D from 0. So
// the stretch's result is Z(Z(a) ^ b) ^ c for the chains' registers a, b, c, with Z the effect
// of kStride zero bytes, applied by four table lookups (kShiftTables).
constexpr std::size_t kStride = 256;

using ShiftTables = std::array<std::array<std::uint32_t, 256>, 4>;

// kShiftTables[j][b] = Z(b << 8j) for Z = kStride zero bytes through the register; Z being
// linear, Z(x) is the XOR of the four lookups of x's bytes.
constexpr ShiftTables MakeShiftTables() {
  std::array<std::uint32_t, 32> bit{};  // Z of each single-bit register
  for (int i = 0; i < 32; ++i) {
    std::uint32_t c = std::uint32_t{1} << i;
    for (std::size_t k = 0; k < kStride; ++k) c = kTables[0][c & 0xff] ^ (c >> 8);
    bit[i] = c;
  }
  ShiftTables t{};
  for (int j = 0; j < 4; ++j) {
    for (std::uint32_t b = 0; b < 256; ++b) {
      std::uint32_t z = 0;
      for (int i = 0; i < 8; ++i) {
        if ((b >> i) & 1) z ^= bit[8 * j + i];
      }
      t[j][b] = z;
    }
  }
  return t;
}
constexpr ShiftTables kShiftTables = MakeShiftTables();

constexpr std::uint32_t ShiftByStride(std::uint32_t x) {
  return kShiftTables[0][x & 0xff] ^ kShiftTables[1][(x >> 8) & 0xff] ^
         kShiftTables[2][(x >> 16) & 0xff] ^ kShiftTables[3][x >> 24];
}

// Compiled for SSE4.2 alone, so the rest of the build needs no -msse4.2; called only after the
// run-time check.
__attribute__((target("sse4.2"))) std::uint32_t ExtendSse42(std::uint32_t crc,
                                                            const std::uint8_t* p, std::size_t n) {
  std::uint64_t c = ~crc;
  // Bytes up to an 8-byte boundary, then stretches of three chains, then 8 at a time, then the
  // tail.
  while (n > 0 && (reinterpret_cast<std::uintptr_t>(p) & 7) != 0) {
    c = _mm_crc32_u8(static_cast<std::uint32_t>(c), *p++);
    --n;
  }
  for (; n >= 3 * kStride; n -= 3 * kStride, p += 3 * kStride) {
    std::uint64_t b = 0;
    std::uint64_t d = 0;
    for (std::size_t i = 0; i < kStride; i += 8) {
      c = _mm_crc32_u64(c, LoadU64(p + i));
      b = _mm_crc32_u64(b, LoadU64(p + kStride + i));
      d = _mm_crc32_u64(d, LoadU64(p + 2 * kStride + i));
    }
    c = ShiftByStride(ShiftByStride(static_cast<std::uint32_t>(c)) ^
                      static_cast<std::uint32_t>(b)) ^
        static_cast<std::uint32_t>(d);
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
