#include "lsm/dbformat.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace larder::lsm {
namespace {

std::string Key(std::string_view user, SequenceNumber seq, ValueType type) {
  std::string k;
  AppendInternalKey(&k, user, seq, type);
  return k;
}

TEST(LsmDbFormatTest, RoundTripsThroughParse) {
  const std::string k = Key("user", 0x00abcdef12345678, ValueType::kExpiringPointer);
  ParsedInternalKey p;
  ASSERT_TRUE(ParseInternalKey(k, &p));
  EXPECT_EQ(p.user_key, "user");
  EXPECT_EQ(p.sequence, 0x00abcdef12345678u);
  EXPECT_EQ(p.type, ValueType::kExpiringPointer);
  EXPECT_EQ(DebugString(k), "user@48358647703819896:5");
}

TEST(LsmDbFormatTest, RejectsShortKeysAndUnknownTypes) {
  ParsedInternalKey p;
  EXPECT_FALSE(ParseInternalKey("short", &p));
  std::string bad = "k";
  PutFixed64(&bad, (std::uint64_t{7} << 8) | 0x7f);
  EXPECT_FALSE(ParseInternalKey(bad, &p));
  EXPECT_EQ(DebugString("short"), "<bad internal key of 5 bytes>");
}

TEST(LsmDbFormatTest, OrdersByUserKeyThenNewestFirst) {
  std::vector<std::string> keys = {
      Key("b", 1, ValueType::kValue),    Key("a", 1, ValueType::kValue),
      Key("a", 9, ValueType::kDeletion), Key("ab", 2, ValueType::kValue),
      Key("a", 9, ValueType::kValue),    Key("", 3, ValueType::kValue),
  };
  std::sort(keys.begin(), keys.end(), InternalKeyLess());
  std::vector<std::string> want = {
      Key("", 3, ValueType::kValue),     Key("a", 9, ValueType::kValue),
      Key("a", 9, ValueType::kDeletion), Key("a", 1, ValueType::kValue),
      Key("ab", 2, ValueType::kValue),   Key("b", 1, ValueType::kValue),
  };
  EXPECT_EQ(keys, want);
}

TEST(LsmDbFormatTest, LookupKeySeesOnlyVersionsAtOrBelowItsSequence) {
  const LookupKey lookup("a", 5);
  EXPECT_LT(CompareInternalKeys(Key("a", 6, ValueType::kValue), lookup.internal_key()), 0);
  EXPECT_GT(CompareInternalKeys(Key("a", 5, ValueType::kExpiringPointer), lookup.internal_key()),
            -1);
  EXPECT_GT(CompareInternalKeys(Key("a", 5, ValueType::kValue), lookup.internal_key()), 0);
  EXPECT_GT(CompareInternalKeys(Key("a", 4, ValueType::kValue), lookup.internal_key()), 0);
  EXPECT_EQ(lookup.user_key(), "a");
}

}  // namespace
}  // namespace larder::lsm
