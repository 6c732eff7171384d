#include "server/movable_keys.h"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

namespace larder::server {
namespace {

std::vector<std::string_view> Keys(std::vector<std::string_view> argv) {
  return MovableKeys(argv).value_or(std::vector<std::string_view>{"<fixed>"});
}

TEST(MovableKeysTest, SortTakesTheLastStore) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(Keys({"sort", "k"}), (V{"k"}));
  EXPECT_EQ(Keys({"SORT", "k", "STORE", "a", "store", "b"}), (V{"k", "b"}));
  // BY and GET take one argument, LIMIT two: a "store" there is not the option.
  EXPECT_EQ(Keys({"sort", "k", "by", "store", "get", "store", "limit", "store", "store"}),
            (V{"k"}));
  EXPECT_EQ(Keys({"sort", "k", "store"}), (V{"k"}));  // no destination after it
}

TEST(MovableKeysTest, SInterCardCountsItsKeys) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(Keys({"sintercard", "2", "a", "b", "LIMIT", "1"}), (V{"a", "b"}));
  EXPECT_EQ(Keys({"sintercard", "3", "a", "b"}), V{});
  EXPECT_EQ(Keys({"sintercard", "x", "a"}), V{});
  EXPECT_EQ(Keys({"xread", "COUNT", "2", "BLOCK", "0", "STREAMS", "a", "b", "$", "0"}),
            (V{"a", "b"}));
  EXPECT_EQ(Keys({"xreadgroup", "GROUP", "g", "c", "NOACK", "streams", "s", ">"}), V{"s"});
  EXPECT_EQ(Keys({"xread", "STREAMS", "a", "b", "0"}), V{"a"});
  EXPECT_EQ(Keys({"xread", "STREAMS", "a"}), V{});
  EXPECT_EQ(Keys({"xread", "BOGUS", "STREAMS", "a", "0"}), V{});
  EXPECT_EQ(Keys({"get", "k"}), (V{"<fixed>"}));
}

}  // namespace
}  // namespace larder::server
