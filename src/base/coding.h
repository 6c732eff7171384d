// Fixed-width integer loads and stores for on-disk structures.
//
// bbolt's format stores integers in the host's byte order, which is little-endian on every
// platform we build for; these helpers read through memcpy, so unaligned fields (inline bucket
// pages sit at any offset) are safe and cost nothing on x86-64 and arm64.
#ifndef LARDER_BASE_CODING_H_
#define LARDER_BASE_CODING_H_

#include <bit>
#include <cstdint>
#include <cstring>

namespace larder {

static_assert(std::endian::native == std::endian::little,
              "LarderDB's file formats are little-endian; big-endian hosts are not supported");

inline std::uint16_t LoadU16(const std::uint8_t* p) {
  std::uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline std::uint32_t LoadU32(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline std::uint64_t LoadU64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void StoreU16(std::uint8_t* p, std::uint16_t v) { std::memcpy(p, &v, sizeof v); }
inline void StoreU32(std::uint8_t* p, std::uint32_t v) { std::memcpy(p, &v, sizeof v); }
inline void StoreU64(std::uint8_t* p, std::uint64_t v) { std::memcpy(p, &v, sizeof v); }

// Big-endian, for keys that must sort numerically (bench keys, sequences used as keys).
inline void StoreBigEndianU32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}
inline void StoreBigEndianU64(std::uint8_t* p, std::uint64_t v) {
  StoreBigEndianU32(p, static_cast<std::uint32_t>(v >> 32));
  StoreBigEndianU32(p + 4, static_cast<std::uint32_t>(v));
}

}  // namespace larder

#endif  // LARDER_BASE_CODING_H_
