#include "stores/ids.h"

#include <gtest/gtest.h>

#include <set>

namespace larder::stores {
namespace {

TEST(StoreIds, UuidV4HasTheVersionAndVariantBitsAndDoesNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string u = NewUuidV4();
    ASSERT_EQ(u.size(), 36u) << u;
    for (int dash : {8, 13, 18, 23}) ASSERT_EQ(u[dash], '-') << u;
    ASSERT_EQ(u[14], '4') << u;
    ASSERT_NE(std::string("89ab").find(u[19]), std::string::npos) << u;
    for (char c : u) ASSERT_TRUE(c == '-' || std::isxdigit(static_cast<unsigned char>(c))) << u;
    ASSERT_TRUE(seen.insert(u).second) << "repeated " << u;
  }
  EXPECT_TRUE(NewId("e-").starts_with("e-"));
}

TEST(StoreIds, CheckIdRejectsWhatCannotBeAKeyPart) {
  EXPECT_TRUE(CheckId("id", "e-1").ok());
  EXPECT_TRUE(CheckId("id", "").IsInvalidArgument());
  EXPECT_TRUE(CheckId("id", "a/b").IsInvalidArgument());
  EXPECT_TRUE(CheckId("id", std::string("a\0b", 3)).IsInvalidArgument());
  EXPECT_TRUE(CheckId("id", std::string(257, 'x')).IsInvalidArgument());
  EXPECT_TRUE(CheckId("id", std::string(256, 'x')).ok());
  EXPECT_NE(CheckId("job id", "").message().find("job id"), std::string_view::npos);
}

}  // namespace
}  // namespace larder::stores
