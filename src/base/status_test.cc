#include "larder/status.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "larder/result.h"

namespace larder {
namespace {

TEST(StatusTest, OkHasNoMessage) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_TRUE(s.message().empty());
}

TEST(StatusTest, CodesAndMessages) {
  Status s = Status::Corruption("page 7: invalid type");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_EQ(s.ToString(), "corruption: page 7: invalid type");
  Status copy = s;
  EXPECT_EQ(copy.message(), "page 7: invalid type");
  EXPECT_EQ(s.WithContext("db.bolt").message(), "db.bolt: page 7: invalid type");
  EXPECT_TRUE(Status::NotFound().IsNotFound());
}

TEST(StatusTest, FromErrnoMapsNoSpace) {
  EXPECT_EQ(Status::FromErrno("write x", ENOSPC).code(), Code::kNoSpace);
  Status eio = Status::FromErrno("write x", EIO);
  EXPECT_EQ(eio.code(), Code::kIOError);
  EXPECT_NE(eio.message().find("write x: "), std::string_view::npos);
}

Result<int> Half(int v) {
  if (v % 2 != 0) return Status::InvalidArgument("odd");
  return v / 2;
}

Status UseHalf(int v, int* out) {
  LARDER_ASSIGN_OR_RETURN(*out, Half(v));
  return Status::Ok();
}

TEST(ResultTest, ValueOrError) {
  auto r = Half(4);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 2);
  auto e = Half(3);
  EXPECT_FALSE(e.ok());
  EXPECT_TRUE(e.status().IsInvalidArgument());
  EXPECT_EQ(e.value_or(-1), -1);
  int out = 0;
  EXPECT_TRUE(UseHalf(8, &out).ok());
  EXPECT_EQ(out, 4);
  EXPECT_TRUE(UseHalf(7, &out).IsInvalidArgument());
}

}  // namespace
}  // namespace larder
