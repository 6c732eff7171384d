#include "bolt/inode.h"

#include <gtest/gtest.h>

#include <string>

namespace larder::bolt::internal {
namespace {

TEST(BoltInodeTest, LeafKeepsKeyValueAndEveryFlagBit) {
  const std::string key = "key", value(1000, 'v');
  const Inode in = Inode::Leaf(key, value, 0xfffffffe);
  EXPECT_FALSE(in.is_branch());
  EXPECT_EQ(in.key(), key);
  EXPECT_EQ(in.key().data(), key.data());  // a view, not a copy
  EXPECT_EQ(in.value(), value);
  EXPECT_EQ(in.value().data(), value.data());
  EXPECT_EQ(in.value_size(), 1000u);
  EXPECT_EQ(in.flags(), 0xfffffffeu);  // a page's flags are written back as read
}

TEST(BoltInodeTest, BranchKeepsKeyAndChildAndHasNoValueBytes) {
  const Inode in = Inode::Branch("k", Pgid{1} << 63 | 7);  // a transient id: the full 64 bits
  EXPECT_TRUE(in.is_branch());
  EXPECT_EQ(in.key(), "k");
  EXPECT_EQ(in.pgid(), Pgid{1} << 63 | 7);
  EXPECT_EQ(in.value_size(), 0u);  // the child id is not counted as value bytes in a page
}

TEST(BoltInodeTest, SettersReplaceOnlyWhatTheyName) {
  const std::string a = "a", b = "bb", v1 = "one", v2 = "two!";
  Inode in = Inode::Leaf(a, v1, 1);
  in.set_value(v2, 0);
  EXPECT_EQ(in.key(), "a");
  EXPECT_EQ(in.value(), "two!");
  EXPECT_EQ(in.flags(), 0u);
  in.set_key(b);
  EXPECT_EQ(in.key(), "bb");
  EXPECT_EQ(in.value(), "two!");
}

TEST(BoltInodeTest, EmptyViewsStayEmpty) {
  const Inode in = Inode::Leaf({}, {}, 0);
  EXPECT_TRUE(in.key().empty());
  EXPECT_TRUE(in.value().empty());
}

}  // namespace
}  // namespace larder::bolt::internal
