// Checksums used by the file formats.
#ifndef LARDER_BASE_CHECKSUM_H_
#define LARDER_BASE_CHECKSUM_H_

#include <cstddef>
#include <cstdint>
#include <span>

namespace larder {

// 64-bit FNV-1a: bbolt's meta page checksum (offset basis 0xcbf29ce484222325, prime 2^40+0x1b3).
std::uint64_t Fnv1a64(std::span<const std::uint8_t> data);

// CRC-32C (Castagnoli), for the formats of later engines. `crc` continues an earlier value.
std::uint32_t Crc32c(std::span<const std::uint8_t> data, std::uint32_t crc = 0);

}  // namespace larder

#endif  // LARDER_BASE_CHECKSUM_H_
