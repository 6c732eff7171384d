// Checksums used by the file formats.
//
// Thread-safety: pure functions.
#ifndef LARDER_BASE_CHECKSUM_H_
#define LARDER_BASE_CHECKSUM_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace larder {

// 64-bit FNV-1a: bbolt's meta page checksum (offset basis 0xcbf29ce484222325, prime 2^40+0x1b3).
std::uint64_t Fnv1a64(std::span<const std::uint8_t> data);

// CRC-32C (Castagnoli, polynomial 0x1EDC6F41 reflected: 0x82F63B78), the checksum of iSCSI,
// ext4 and LevelDB/RocksDB, for the formats of the engines after bolt.
namespace crc32c {

// The CRC of `crc`'s data followed by `data`: Extend(Extend(0, a), b) == Extend(0, a ++ b).
// Uses the SSE4.2 crc32 instruction when the CPU has it (checked once, at run time), else a
// slicing-by-8 table loop.
std::uint32_t Extend(std::uint32_t crc, std::span<const std::uint8_t> data);

// The CRC of `data` alone.
inline std::uint32_t Value(std::span<const std::uint8_t> data) { return Extend(0, data); }

// Masked CRCs are what formats store. The CRC of a string that contains its own CRC (a record
// holding the checksum of an embedded record) is degenerate; rotating and offsetting the stored
// value avoids that. Unmask(Mask(c)) == c.
inline constexpr std::uint32_t kMaskDelta = 0xa282ead8u;
inline constexpr std::uint32_t Mask(std::uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + kMaskDelta;
}
inline constexpr std::uint32_t Unmask(std::uint32_t masked) {
  const std::uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

// Mask(Value(bytes)): the checksum a format stores for `bytes`, and the one a reader compares
// the stored value with.
inline std::uint32_t MaskedValue(std::string_view bytes) {
  return Mask(Value({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}));
}

// The two implementations behind Extend, for tests and benchmarks.
namespace internal {
std::uint32_t ExtendPortable(std::uint32_t crc, std::span<const std::uint8_t> data);
// REQUIRES: HardwareAvailable().
std::uint32_t ExtendHardware(std::uint32_t crc, std::span<const std::uint8_t> data);
// Whether this CPU has the instruction ExtendHardware uses (false on non-x86 builds).
bool HardwareAvailable();
}  // namespace internal

}  // namespace crc32c

// CRC-32C of `data`, continuing `crc` (crc32c::Extend with the arguments the other way round;
// kept for existing callers).
inline std::uint32_t Crc32c(std::span<const std::uint8_t> data, std::uint32_t crc = 0) {
  return crc32c::Extend(crc, data);
}

}  // namespace larder

#endif  // LARDER_BASE_CHECKSUM_H_
