#include "base/checksum.h"

#include <gtest/gtest.h>

#include <string_view>

namespace larder {
namespace {

std::span<const std::uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(ChecksumTest, Fnv1a64KnownValues) {
  EXPECT_EQ(Fnv1a64(Bytes("")), 0xcbf29ce484222325ULL);
  EXPECT_EQ(Fnv1a64(Bytes("a")), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(Fnv1a64(Bytes("foobar")), 0x85944171f73967e8ULL);
}

TEST(ChecksumTest, Crc32cKnownValues) {
  // The check value of CRC-32C over "123456789" (RFC 3720).
  EXPECT_EQ(Crc32c(Bytes("123456789")), 0xE3069283u);
  EXPECT_EQ(Crc32c(Bytes("")), 0u);
  // Continuation gives the same result as one pass.
  EXPECT_EQ(Crc32c(Bytes("6789"), Crc32c(Bytes("12345"))), 0xE3069283u);
}

}  // namespace
}  // namespace larder
