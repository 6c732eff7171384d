#include "base/checksum.h"

#include <gtest/gtest.h>

#include <random>
#include <string_view>
#include <vector>

#include "base/coding.h"

namespace larder {
namespace {

// The definition, one bit at a time: the reference both fast paths are held to.
std::uint32_t BitwiseCrc32c(std::span<const std::uint8_t> data) {
  std::uint32_t c = ~0u;
  for (std::uint8_t b : data) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
  }
  return ~c;
}

TEST(ChecksumTest, Fnv1a64KnownValues) {
  EXPECT_EQ(Fnv1a64(AsBytes("")), 0xcbf29ce484222325ULL);
  EXPECT_EQ(Fnv1a64(AsBytes("a")), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(Fnv1a64(AsBytes("foobar")), 0x85944171f73967e8ULL);
}

// Each implementation the machine can run: the one Extend picks, the portable one, and the
// hardware one when the CPU has SSE4.2.
std::vector<std::uint32_t (*)(std::uint32_t, std::span<const std::uint8_t>)> Implementations() {
  std::vector<std::uint32_t (*)(std::uint32_t, std::span<const std::uint8_t>)> fns = {
      &crc32c::Extend, &crc32c::internal::ExtendPortable};
  if (crc32c::internal::HardwareAvailable()) fns.push_back(&crc32c::internal::ExtendHardware);
  return fns;
}

TEST(ChecksumTest, Crc32cRfc3720Vectors) {
  std::vector<std::uint8_t> zeros(32, 0x00), ones(32, 0xff), up(32), down(32);
  for (int i = 0; i < 32; ++i) {
    up[i] = static_cast<std::uint8_t>(i);
    down[i] = static_cast<std::uint8_t>(31 - i);
  }
  int n = 0;
  for (auto fn : Implementations()) {
    SCOPED_TRACE(n++);
    // RFC 3720, B.4 (iSCSI CRC examples).
    EXPECT_EQ(fn(0, zeros), 0x8A9136AAu);
    EXPECT_EQ(fn(0, ones), 0x62A8AB43u);
    EXPECT_EQ(fn(0, up), 0x46DD794Eu);
    EXPECT_EQ(fn(0, down), 0x113FDB5Cu);
    // The catalogued check value of CRC-32C.
    EXPECT_EQ(fn(0, AsBytes("123456789")), 0xE3069283u);
    EXPECT_EQ(fn(0, AsBytes("")), 0u);
    // Continuation gives the same result as one pass.
    EXPECT_EQ(fn(fn(0, AsBytes("12345")), AsBytes("6789")), 0xE3069283u);
  }
  EXPECT_EQ(crc32c::internal::HardwareAvailable() ? 3u : 2u, Implementations().size());
  EXPECT_EQ(Crc32c(AsBytes("6789"), Crc32c(AsBytes("12345"))), 0xE3069283u);  // the old spelling
  EXPECT_EQ(crc32c::Value(AsBytes("123456789")), 0xE3069283u);
}

// Every length 0..300 from every start offset 0..7, so the aligned head, the 8-byte loop and
// the tail all run with every remainder; split at a random point to test Extend. Then longer
// inputs, which the hardware loop folds as three chains joined every 768 bytes (checksum.cc):
// lengths around one, two and several stretches, from every start offset.
TEST(ChecksumTest, Crc32cImplementationsAgreeOnRandomInput) {
#if defined(__x86_64__)
  EXPECT_TRUE(crc32c::internal::HardwareAvailable()) << "x86-64 hosts of this project have SSE4.2";
#endif
  std::mt19937 rng(12);
  std::vector<std::uint8_t> buf(300 + 8);
  for (auto& b : buf) b = static_cast<std::uint8_t>(rng());
  for (std::size_t start = 0; start < 8; ++start) {
    for (std::size_t len = 0; len <= 300; ++len) {
      std::span<const std::uint8_t> data(buf.data() + start, len);
      const std::uint32_t want = BitwiseCrc32c(data);
      const std::size_t cut = len == 0 ? 0 : rng() % (len + 1);
      for (auto fn : Implementations()) {
        ASSERT_EQ(fn(0, data), want) << "start " << start << " len " << len;
        ASSERT_EQ(fn(fn(0, data.first(cut)), data.subspan(cut)), want)
            << "start " << start << " len " << len << " cut " << cut;
      }
    }
  }
  std::vector<std::uint8_t> big(20000 + 8);
  for (auto& b : big) b = static_cast<std::uint8_t>(rng());
  for (std::size_t len : {767, 768, 769, 775, 776, 1535, 1536, 1543, 2304, 4096, 16384, 20000}) {
    for (std::size_t start = 0; start < 8; ++start) {
      std::span<const std::uint8_t> data(big.data() + start, len);
      const std::uint32_t want = BitwiseCrc32c(data);
      const std::size_t cut = rng() % (len + 1);
      for (auto fn : Implementations()) {
        ASSERT_EQ(fn(0, data), want) << "start " << start << " len " << len;
        ASSERT_EQ(fn(fn(0, data.first(cut)), data.subspan(cut)), want)
            << "start " << start << " len " << len << " cut " << cut;
      }
    }
  }
}

TEST(ChecksumTest, Crc32cMaskRoundTripsAndChangesTheValue) {
  const std::uint32_t crc = crc32c::Value(AsBytes("foo"));
  EXPECT_NE(crc32c::Mask(crc), crc);
  EXPECT_NE(crc32c::Mask(crc32c::Mask(crc)), crc);
  EXPECT_EQ(crc32c::Unmask(crc32c::Mask(crc)), crc);
  EXPECT_EQ(crc32c::Unmask(crc32c::Unmask(crc32c::Mask(crc32c::Mask(crc)))), crc);
  std::mt19937 rng(3);
  for (int i = 0; i < 1000; ++i) {
    const std::uint32_t v = rng();
    ASSERT_EQ(crc32c::Unmask(crc32c::Mask(v)), v);
  }
  static_assert(crc32c::Unmask(crc32c::Mask(0)) == 0);
}

TEST(ChecksumTest, MaskedValueIsTheMaskOfTheCrc) {
  EXPECT_EQ(crc32c::MaskedValue("123456789"), crc32c::Mask(0xE3069283u));
  EXPECT_EQ(crc32c::MaskedValue(""), crc32c::Mask(0));
  // The whole view, embedded zeros included, and nothing past it.
  const std::string_view with_zero("ab\0cd", 5);
  EXPECT_EQ(crc32c::MaskedValue(with_zero), crc32c::Mask(crc32c::Value(AsBytes(with_zero))));
  EXPECT_NE(crc32c::MaskedValue(with_zero), crc32c::MaskedValue(with_zero.substr(0, 4)));
}

}  // namespace
}  // namespace larder
