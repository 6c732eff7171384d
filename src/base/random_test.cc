#include "base/random.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace larder {
namespace {

TEST(RandomTest, HexHasTheLengthAndDigitsAsked) {
  const std::string h = RandomHex(16);
  ASSERT_EQ(h.size(), 32u);
  EXPECT_EQ(h.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(RandomHex(0), "");
}

TEST(RandomTest, ToHex) {
  EXPECT_EQ(ToHex(std::string("\x00\x9f\xff", 3)), "009fff");
  EXPECT_EQ(ToHex(""), "");
}

TEST(RandomTest, ValuesDoNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(seen.insert(RandomHex(16)).second);
}

}  // namespace
}  // namespace larder
