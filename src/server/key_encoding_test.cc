#include "server/key_encoding.h"

#include <gtest/gtest.h>

#include <string>

namespace larder::server::enc {
namespace {

TEST(KeyEncodingTest, MetaRoundTrips) {
  std::string bytes;
  Meta s;
  s.value = std::string_view("\0v\xff", 3);
  EncodeMeta(s, &bytes);
  EXPECT_EQ(bytes, std::string("\x01\x00\x00v\xff", 5));
  Meta got;
  ASSERT_TRUE(DecodeMeta(bytes, &got));
  EXPECT_EQ(got.type, ValueType::kString);
  EXPECT_EQ(got.value, s.value);
  EXPECT_EQ(got.size, 3u);
  EXPECT_EQ(got.expire_at_ms, 0);

  Meta h;
  h.type = ValueType::kHash;
  h.expire_at_ms = 0x0102030405;
  h.version = 300;
  h.size = 7;
  EncodeMeta(h, &bytes);
  EXPECT_EQ(bytes, std::string("\x02\x01\x00\x00\x00\x01\x02\x03\x04\x05\xac\x02\x07", 13));
  ASSERT_TRUE(DecodeMeta(bytes, &got));
  EXPECT_EQ(got.type, ValueType::kHash);
  EXPECT_EQ(got.expire_at_ms, 0x0102030405);
  EXPECT_EQ(got.version, 300u);
  EXPECT_EQ(got.size, 7u);
}

TEST(KeyEncodingTest, BadMetaIsRefused) {
  Meta m;
  EXPECT_FALSE(DecodeMeta("", &m));
  EXPECT_FALSE(DecodeMeta(std::string("\x09\x00", 2), &m));              // unknown type
  EXPECT_FALSE(DecodeMeta(std::string("\x01\x02", 2), &m));              // unknown flag
  EXPECT_FALSE(DecodeMeta(std::string("\x01\x01\x00", 3), &m));          // truncated expiry
  EXPECT_FALSE(DecodeMeta(std::string("\x02\x00\x05", 3), &m));          // no size
  EXPECT_FALSE(DecodeMeta(std::string("\x02\x00\x00\x01", 4), &m));      // version 0
  EXPECT_FALSE(DecodeMeta(std::string("\x02\x00\x01\x01\x00", 5), &m));  // trailing byte
}

TEST(KeyEncodingTest, KeysSortAsTheirParts) {
  // Databases apart, user keys bytewise within one (binary keys included).
  EXPECT_LT(MetaKey(1, "\xff"), MetaKey(2, ""));
  EXPECT_LT(MetaKey(1, ""), MetaKey(1, std::string(1, '\0')));
  EXPECT_EQ(MetaKey(7, "k").substr(kMetaPrefixSize), "k");
  // The expiry index by time within a database, then by key.
  EXPECT_LT(ExpiryKey(1, 255, "z"), ExpiryKey(1, 256, "a"));
  EXPECT_LT(ExpiryKey(1, 256, "a"), ExpiryKey(1, 256, "b"));
  std::int64_t at;
  std::string_view key;
  const std::string x = ExpiryKey(3, 1'700'000'000'000, std::string("k\0", 2));
  ParseExpiryKey(x, &at, &key);
  EXPECT_EQ(at, 1'700'000'000'000);
  EXPECT_EQ(key, std::string_view("k\0", 2));
  // Members of one version are one contiguous range, apart from the next version's.
  std::string m;
  MemberKeyInto(5, "\xff\xff", &m);
  EXPECT_LT(m, PrefixEnd(MemberPrefix(5)));
  EXPECT_LE(PrefixEnd(MemberPrefix(5)), MemberPrefix(6));
  EXPECT_EQ(PrefixEnd(std::string("a\xff\xff", 3)), "b");
}

TEST(KeyEncodingTest, DbMapAndIntegers) {
  std::vector<std::uint32_t> map;
  ASSERT_TRUE(DecodeDbMap(EncodeDbMap({3, 0, 70000}), &map));
  EXPECT_EQ(map, (std::vector<std::uint32_t>{3, 0, 70000}));
  EXPECT_FALSE(DecodeDbMap("abc", &map));
  EXPECT_FALSE(DecodeDbMap("", &map));
  EXPECT_EQ(ReadBe64(Be64(0x0102030405060708)), 0x0102030405060708u);
  EXPECT_EQ(Be32(0x01020304), "\x01\x02\x03\x04");
  EXPECT_EQ(CountKey(2), std::string("scount\0\0\0\x02", 10));
}

}  // namespace
}  // namespace larder::server::enc
