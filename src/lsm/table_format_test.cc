// Table format pieces: properties (known, unknown and damaged fields), footer, compression.
#include "lsm/table_format.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "base/coding.h"

namespace larder::lsm {
namespace {

TEST(LsmTableFormatTest, PropertiesRoundTripAndSkipUnknownFields) {
  TableProperties p;
  p.num_entries = 5;
  p.largest_seq = std::uint64_t{1} << 50;
  p.compression = 2;
  p.pointer_bytes_by_vlog = {{3, 100}, {9, 1 << 20}};
  std::string enc;
  p.EncodeTo(&enc);
  // A newer writer's fields: a number (tag 40) and bytes (tag 70).
  PutVarint32(&enc, 40);
  PutVarint64(&enc, 123);
  PutVarint32(&enc, 70);
  PutLengthPrefixed(&enc, "anything");
  TableProperties q;
  ASSERT_TRUE(q.DecodeFrom(enc).ok());
  EXPECT_EQ(q.num_entries, 5u);
  EXPECT_EQ(q.largest_seq, p.largest_seq);
  EXPECT_EQ(q.compression, 2u);
  EXPECT_EQ(q.pointer_bytes_by_vlog, p.pointer_bytes_by_vlog);
}

TEST(LsmTableFormatTest, DamagedPropertiesAreCorruption) {
  TableProperties q;
  EXPECT_TRUE(q.DecodeFrom("\x01").IsCorruption());          // a tag without its value
  EXPECT_TRUE(q.DecodeFrom("\x40\x05\x01").IsCorruption());  // bytes longer than the block
  std::string unordered;
  PutVarint32(&unordered, 64);
  PutLengthPrefixed(&unordered, std::string("\x09\x01\x03\x01", 4));  // file 9, then 3
  EXPECT_TRUE(q.DecodeFrom(unordered).IsCorruption());
}

TEST(LsmTableFormatTest, FooterRoundTripAndChecks) {
  Footer f;
  f.index = {1000, 200};
  f.properties = {900, 95};
  f.range_deletions = {800, 95};
  std::string enc;
  f.EncodeTo(&enc);
  ASSERT_EQ(enc.size(), Footer::kSize);
  EXPECT_EQ(enc.substr(72), "LarderST");
  auto d = Footer::Decode(enc, "/f");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->index.offset, 1000u);
  EXPECT_EQ(d->range_deletions.size, 95u);
  EXPECT_TRUE(d->filter.empty());
  std::string bad = enc;
  bad[3] ^= 1;
  EXPECT_EQ(Footer::Decode(bad, "/f").status().ToString(),
            "corruption: /f: footer checksum mismatch");
  bad = enc;
  bad[79] ^= 1;
  EXPECT_TRUE(Footer::Decode(bad, "/f").status().IsCorruption());
}

TEST(LsmTableFormatTest, CompressionRoundTripsAndRefusesImplausibleSizes) {
  const std::string raw(5000, 'z');
  for (const Compression c : {Compression::kLz4, Compression::kZstd}) {
    std::string packed, out;
    ASSERT_TRUE(CompressBlock(c, raw, &packed));
    EXPECT_LT(packed.size(), raw.size() / 8);
    ASSERT_TRUE(UncompressBlock(static_cast<std::uint8_t>(c), packed, &out).ok());
    EXPECT_EQ(out, raw);
    // A claimed size far beyond what the payload can inflate to: refused before allocating.
    std::string lying;
    PutVarint64(&lying, std::uint64_t{1} << 40);
    lying.append(packed.substr(VarintLength(raw.size())));
    EXPECT_TRUE(UncompressBlock(static_cast<std::uint8_t>(c), lying, &out).IsCorruption());
    // A wrong but plausible size: the codec's result does not match it.
    std::string off_by_one;
    PutVarint64(&off_by_one, raw.size() + 1);
    off_by_one.append(packed.substr(VarintLength(raw.size())));
    EXPECT_TRUE(UncompressBlock(static_cast<std::uint8_t>(c), off_by_one, &out).IsCorruption());
  }
  // Incompressible data stays uncompressed.
  std::string noise, packed;
  std::mt19937_64 rng(1);
  for (int i = 0; i < 4096; ++i) noise.push_back(static_cast<char>(rng()));
  EXPECT_FALSE(CompressBlock(Compression::kLz4, noise, &packed));
  std::string out;
  EXPECT_TRUE(UncompressBlock(9, "x", &out).IsCorruption());
}

}  // namespace
}  // namespace larder::lsm
