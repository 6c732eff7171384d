// SETBIT GETBIT BITCOUNT BITPOS BITOP through their handlers (Redis 7.0.15's replies).
#include <gtest/gtest.h>

#include <string>

#include "server/args.h"
#include "server/string_test_util.h"

namespace larder::server::testing {
namespace {

using BitCommandsTest = StringsTest;

constexpr std::string_view kOffsetError = "ERR bit offset is not an integer or out of range";

TEST_P(BitCommandsTest, SetBitGetBit) {
  EXPECT_EQ(Run({"SETBIT", "k", "7", "1"}), Int(0));
  EXPECT_EQ(Run({"GET", "k"}), Bulk("\x01"));
  EXPECT_EQ(Run({"SETBIT", "k", "7", "1"}), Int(1));
  EXPECT_EQ(Run({"SETBIT", "k", "0", "1"}), Int(0));
  EXPECT_EQ(Run({"GET", "k"}), Bulk("\x81"));
  EXPECT_EQ(Run({"SETBIT", "k", "7", "0"}), Int(1));
  EXPECT_EQ(Run({"SETBIT", "k", "17", "1"}), Int(0));  // grows with zero bytes
  EXPECT_EQ(Run({"GET", "k"}), Bulk(std::string("\x80\x00\x40", 3)));
  EXPECT_EQ(Run({"GETBIT", "k", "0"}), Int(1));
  EXPECT_EQ(Run({"GETBIT", "k", "1"}), Int(0));
  EXPECT_EQ(Run({"GETBIT", "k", "17"}), Int(1));
  EXPECT_EQ(Run({"GETBIT", "k", "1000"}), Int(0));
  EXPECT_EQ(Run({"GETBIT", "missing", "3"}), Int(0));
  // Clearing a bit past the end still grows the string (Redis does).
  EXPECT_EQ(Run({"SETBIT", "z", "9", "0"}), Int(0));
  EXPECT_EQ(Run({"GET", "z"}), Bulk(std::string("\0\0", 2)));
}

TEST_P(BitCommandsTest, SetBitErrors) {
  EXPECT_EQ(Run({"SETBIT", "k", "7", "2"}), Err("ERR bit is not an integer or out of range"));
  EXPECT_EQ(Run({"SETBIT", "k", "7", "-1"}), Err("ERR bit is not an integer or out of range"));
  EXPECT_EQ(Run({"SETBIT", "k", "x", "1"}), Err(kOffsetError));
  EXPECT_EQ(Run({"SETBIT", "k", "-1", "1"}), Err(kOffsetError));
  EXPECT_EQ(Run({"SETBIT", "k", "4294967296", "1"}), Err(kOffsetError));  // byte 512 MB
  EXPECT_EQ(Run({"GETBIT", "k", "4294967296"}), Err(kOffsetError));
  EXPECT_EQ(Run({"GETBIT", "k", "4294967295"}), Int(0));
  EXPECT_EQ(Run({"GETBIT", "k", "x"}), Err(kOffsetError));
  SetMaxBulkLen(4);  // offsets are bounded by proto-max-bulk-len
  EXPECT_EQ(Run({"SETBIT", "k", "31", "1"}), Int(0));
  EXPECT_EQ(Run({"SETBIT", "k", "32", "1"}), Err(kOffsetError));
  MakeHash("h");
  EXPECT_EQ(Run({"SETBIT", "h", "0", "1"}), Err(errors::kWrongType));
  EXPECT_EQ(Run({"GETBIT", "h", "0"}), Err(errors::kWrongType));
  EXPECT_EQ(Run({"SETBIT", "h", "0", "2"}), Err("ERR bit is not an integer or out of range"));
}

TEST_P(BitCommandsTest, SetBitKeepsTtl) {
  ASSERT_EQ(Run({"SET", "k", "a", "PX", "100"}), kOk);
  EXPECT_EQ(Run({"SETBIT", "k", "100", "1"}), Int(0));
  Advance(100);
  EXPECT_EQ(Run({"GETBIT", "k", "100"}), Int(0));
  EXPECT_EQ(Run({"GET", "k"}), kNil);
}

TEST_P(BitCommandsTest, BitCount) {
  ASSERT_EQ(Run({"SET", "k", "foobar"}), kOk);
  EXPECT_EQ(Run({"BITCOUNT", "k"}), Int(26));
  EXPECT_EQ(Run({"BITCOUNT", "k", "0", "0"}), Int(4));
  EXPECT_EQ(Run({"BITCOUNT", "k", "1", "1"}), Int(6));
  EXPECT_EQ(Run({"BITCOUNT", "k", "1", "1", "BYTE"}), Int(6));
  EXPECT_EQ(Run({"BITCOUNT", "k", "5", "30", "bit"}), Int(17));
  EXPECT_EQ(Run({"BITCOUNT", "k", "-3", "-1", "BIT"}), Int(1));
  EXPECT_EQ(Run({"BITCOUNT", "k", "-1", "-3"}), Int(0));
  EXPECT_EQ(Run({"BITCOUNT", "k", "0", "-100"}), Int(4));
  EXPECT_EQ(Run({"BITCOUNT", "k", "100", "200"}), Int(0));
  EXPECT_EQ(Run({"BITCOUNT", "missing"}), Int(0));
  // The key is looked up before the range is parsed.
  EXPECT_EQ(Run({"BITCOUNT", "missing", "x", "y"}), Int(0));
  EXPECT_EQ(Run({"BITCOUNT", "missing", "0"}), Int(0));
  EXPECT_EQ(Run({"BITCOUNT", "k", "0"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"BITCOUNT", "k", "0", "x"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"BITCOUNT", "k", "0", "1", "bad"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"BITCOUNT", "k", "0", "1", "2"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"BITCOUNT", "k", "-1", "-3", "x"}), Int(0));  // empty before the unit is read
  ASSERT_EQ(Run({"SET", "e", ""}), kOk);
  EXPECT_EQ(Run({"BITCOUNT", "e"}), Int(0));
  EXPECT_EQ(Run({"BITCOUNT", "e", "0", "-1", "BIT"}), Int(0));
  MakeHash("h");
  EXPECT_EQ(Run({"BITCOUNT", "h"}), Err(errors::kWrongType));
}

TEST_P(BitCommandsTest, BitPos) {
  ASSERT_EQ(Run({"SET", "m", std::string("\xff\xf0\x00", 3)}), kOk);
  EXPECT_EQ(Run({"BITPOS", "m", "0"}), Int(12));
  EXPECT_EQ(Run({"BITPOS", "m", "1", "2"}), Int(-1));
  EXPECT_EQ(Run({"BITPOS", "m", "1", "2", "-1", "byte"}), Int(-1));
  EXPECT_EQ(Run({"BITPOS", "m", "0", "0", "0"}), Int(-1));
  EXPECT_EQ(Run({"BITPOS", "m", "0", "0", "-1"}), Int(12));
  EXPECT_EQ(Run({"BITPOS", "m", "1", "7", "15", "BIT"}), Int(7));
  EXPECT_EQ(Run({"BITPOS", "m", "0", "7", "15", "bit"}), Int(12));
  EXPECT_EQ(Run({"BITPOS", "m", "0", "8", "11", "bit"}), Int(-1));
  EXPECT_EQ(Run({"BITPOS", "m", "0", "0", "1", "bit"}), Int(-1));
  EXPECT_EQ(Run({"BITPOS", "m", "0", "3"}), Int(-1));  // start past the end
  // All ones: an open range finds the zero just past the string; a closed one does not.
  ASSERT_EQ(Run({"SET", "f", "\xff\xff"}), kOk);
  EXPECT_EQ(Run({"BITPOS", "f", "0"}), Int(16));
  EXPECT_EQ(Run({"BITPOS", "f", "0", "1"}), Int(16));
  EXPECT_EQ(Run({"BITPOS", "f", "0", "0", "-1"}), Int(-1));
  EXPECT_EQ(Run({"BITPOS", "f", "0", "-1", "-1", "BIT"}), Int(-1));
  EXPECT_EQ(Run({"BITPOS", "f", "1", "-1", "-1", "BIT"}), Int(15));
  EXPECT_EQ(Run({"BITPOS", "f", "1", "5", "3"}), Int(-1));
  ASSERT_EQ(Run({"SET", "e", ""}), kOk);
  EXPECT_EQ(Run({"BITPOS", "e", "0"}), Int(-1));
  EXPECT_EQ(Run({"BITPOS", "e", "1"}), Int(-1));
  EXPECT_EQ(Run({"BITPOS", "missing", "0"}), Int(0));
  EXPECT_EQ(Run({"BITPOS", "missing", "1"}), Int(-1));
  EXPECT_EQ(Run({"BITPOS", "missing", "0", "x"}), Int(0));
}

TEST_P(BitCommandsTest, BitPosErrors) {
  ASSERT_EQ(Run({"SET", "m", "\xff"}), kOk);
  EXPECT_EQ(Run({"BITPOS", "missing", "2"}), Err("ERR The bit argument must be 1 or 0."));
  EXPECT_EQ(Run({"BITPOS", "m", "x"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"BITPOS", "m", "1", "x"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"BITPOS", "m", "1", "0", "x"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"BITPOS", "m", "1", "0", "1", "foo"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"BITPOS", "m", "1", "0", "x", "foo"}), Err(errors::kSyntax));  // unit first
  EXPECT_EQ(Run({"BITPOS", "m", "1", "0", "1", "bit", "5"}), Err(errors::kSyntax));
  MakeHash("h");
  EXPECT_EQ(Run({"BITPOS", "h", "1"}), Err(errors::kWrongType));
}

TEST_P(BitCommandsTest, BitOp) {
  ASSERT_EQ(Run({"MSET", "a", "\xf0\x0f", "b", "\xff"}), kOk);
  EXPECT_EQ(Run({"BITOP", "AND", "d", "a", "b"}), Int(2));
  EXPECT_EQ(Run({"GET", "d"}), Bulk(std::string("\xf0\x00", 2)));
  EXPECT_EQ(Run({"BITOP", "or", "d", "a", "b", "missing"}), Int(2));
  EXPECT_EQ(Run({"GET", "d"}), Bulk("\xff\x0f"));
  EXPECT_EQ(Run({"BITOP", "XOR", "d", "a", "b"}), Int(2));
  EXPECT_EQ(Run({"GET", "d"}), Bulk("\x0f\x0f"));
  EXPECT_EQ(Run({"BITOP", "NOT", "d", "a"}), Int(2));
  EXPECT_EQ(Run({"GET", "d"}), Bulk("\x0f\xf0"));
  EXPECT_EQ(Run({"BITOP", "AND", "d", "missing"}), Int(0));  // an empty result deletes
  EXPECT_EQ(Run({"GET", "d"}), kNil);
  // The destination is replaced, its TTL dropped.
  ASSERT_EQ(Run({"SET", "t", "x", "PX", "100"}), kOk);
  EXPECT_EQ(Run({"BITOP", "OR", "t", "a"}), Int(2));
  Advance(100);
  EXPECT_EQ(Run({"GET", "t"}), Bulk("\xf0\x0f"));

  EXPECT_EQ(Run({"BITOP", "AND", "d"}), Err("ERR wrong number of arguments for 'bitop' command"));
  EXPECT_EQ(Run({"BITOP", "foo", "d", "a"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"BITOP", "NOT", "d", "a", "b"}),
            Err("ERR BITOP NOT must be called with a single source key."));
  MakeHash("h");
  EXPECT_EQ(Run({"BITOP", "AND", "d", "a", "h"}), Err(errors::kWrongType));
  EXPECT_EQ(Run({"BITOP", "AND", "h", "a"}), Int(2));  // any destination type is replaced
  EXPECT_EQ(Run({"GET", "h"}), Bulk("\xf0\x0f"));
}

INSTANTIATE_TEST_SUITE_P(Keyspaces, BitCommandsTest, ::testing::ValuesIn(KeyspaceKinds()));

}  // namespace
}  // namespace larder::server::testing
