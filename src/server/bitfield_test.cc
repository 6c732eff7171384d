// BITFIELD and BITFIELD_RO through their handlers. The sequences and replies are Redis 7.0.15's
// for the same commands.
#include <gtest/gtest.h>

#include <string>

#include "server/args.h"
#include "server/string_test_util.h"

namespace larder::server::testing {
namespace {

using BitfieldTest = StringsTest;

constexpr std::string_view kTypeError =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 "
    "is.";

TEST_P(BitfieldTest, GetSetIncrBy) {
  EXPECT_EQ(Run({"BITFIELD", "bf"}), Arr({}));
  EXPECT_EQ(Run({"BITFIELD", "bf", "GET", "u8", "0"}), Arr({Int(0)}));
  EXPECT_EQ(Run({"GET", "bf"}), kNil);  // reads create nothing
  EXPECT_EQ(Run({"BITFIELD", "bf", "SET", "u8", "0", "255", "GET", "u8", "0"}),
            Arr({Int(0), Int(255)}));
  EXPECT_EQ(Run({"BITFIELD", "bf", "INCRBY", "u8", "0", "10"}), Arr({Int(9)}));  // wraps
  EXPECT_EQ(Run({"BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "1000", "INCRBY", "u8",
                 "0", "-1000"}),
            Arr({Int(255), Int(0)}));
  EXPECT_EQ(
      Run({"BITFIELD", "bf", "overflow", "fail", "incrby", "u8", "0", "300", "get", "u8", "0"}),
      Arr({kNil, Int(0)}));
  EXPECT_EQ(Run({"BITFIELD", "bf", "SET", "i8", "0", "-1", "GET", "u8", "0", "GET", "i8", "0"}),
            Arr({Int(0), Int(255), Int(-1)}));
  EXPECT_EQ(Run({"BITFIELD", "bf", "SET", "u8", "0", "-1"}), Arr({Int(255)}));
  // SET's value is taken as unsigned: -1 saturates to the maximum.
  EXPECT_EQ(Run({"BITFIELD", "bf", "OVERFLOW", "SAT", "SET", "u8", "0", "-1", "GET", "u8", "0"}),
            Arr({Int(255), Int(255)}));
  EXPECT_EQ(Run({"BITFIELD", "bf", "OVERFLOW", "SAT", "SET", "u8", "0", "300", "GET", "u8", "0"}),
            Arr({Int(255), Int(255)}));
  EXPECT_EQ(Run({"BITFIELD", "bf", "OVERFLOW", "FAIL", "SET", "u8", "0", "-1", "GET", "u8", "0"}),
            Arr({kNil, Int(255)}));
  EXPECT_EQ(Run({"BITFIELD", "bf", "OVERFLOW", "WRAP", "SET", "i8", "0", "200", "GET", "i8", "0"}),
            Arr({Int(-1), Int(-56)}));
  EXPECT_EQ(Run({"BITFIELD", "bf", "OVERFLOW", "SAT", "SET", "i8", "0", "200", "GET", "i8", "0"}),
            Arr({Int(-56), Int(127)}));
  // 64-bit fields; reads past the end are zero-padded.
  EXPECT_EQ(Run({"BITFIELD", "bf", "SET", "i64", "0", "-9223372036854775808", "INCRBY", "i64", "0",
                 "-1"}),
            Arr({Int(9151314442816847872), Int(9223372036854775807)}));
  EXPECT_EQ(Run({"BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "-1", "INCRBY", "i64",
                 "0", "9223372036854775807", "INCRBY", "i64", "0", "1"}),
            Arr({Int(9223372036854775806), Int(9223372036854775807), Int(9223372036854775807)}));
  EXPECT_EQ(Run({"BITFIELD", "bf", "OVERFLOW", "SAT", "SET", "u63", "0", "9223372036854775807",
                 "GET", "u63", "0", "INCRBY", "u63", "0", "1"}),
            Arr({Int(4611686018427387903), Int(9223372036854775807), Int(9223372036854775807)}));
  EXPECT_EQ(Run({"BITFIELD", "bf", "GET", "i64", "#1", "GET", "u3", "#5", "SET", "u3", "#5", "7",
                 "GET", "u8", "2"}),
            Arr({Int(0), Int(7), Int(7), Int(255)}));
  EXPECT_EQ(Run({"STRLEN", "bf"}), Int(8));
  EXPECT_EQ(Run({"BITFIELD", "bf", "SET", "i1",  "0",  "1", "GET",    "i1", "0", "SET",
                 "i1",       "0",  "-1",  "GET", "i1", "0", "INCRBY", "i1", "0", "1"}),
            Arr({Int(-1), Int(-1), Int(-1), Int(-1), Int(0)}));
  EXPECT_EQ(Run({"BITFIELD", "bf", "GET", "u8", "#0"}), Arr({Int(127)}));
  EXPECT_EQ(Run({"BITFIELD", "bf", "GET", "u8", "0", "Overflow", "Sat", "INCRBY", "u8", "0", "1"}),
            Arr({Int(127), Int(128)}));
  // A failed write still grows the string to the highest offset written.
  EXPECT_EQ(Run({"BITFIELD", "bf", "OVERFLOW", "FAIL", "SET", "u8", "100", "1000"}), Arr({kNil}));
  EXPECT_EQ(Run({"STRLEN", "bf"}), Int(14));
}

TEST_P(BitfieldTest, Errors) {
  for (std::string_view type : {"u64", "i65", "x8", "u0", "I8", "U8", "u", "i-1", "u08"}) {
    EXPECT_EQ(Run({"BITFIELD", "bf", "GET", type, "0"}), Err(kTypeError)) << type;
  }
  const std::string offset_error = Err("ERR bit offset is not an integer or out of range");
  EXPECT_EQ(Run({"BITFIELD", "bf", "GET", "u8", "-1"}), offset_error);
  EXPECT_EQ(Run({"BITFIELD", "bf", "GET", "u8", "#-1"}), offset_error);
  EXPECT_EQ(Run({"BITFIELD", "bf", "GET", "u8", "+1"}), offset_error);
  EXPECT_EQ(Run({"BITFIELD", "bf", "GET", "u8", "#+1"}), offset_error);
  EXPECT_EQ(Run({"BITFIELD", "bf", "GET", "u8", "4294967296"}), offset_error);
  EXPECT_EQ(Run({"BITFIELD", "bf", "GET", "u8", "4294967295"}), Arr({Int(0)}));
  EXPECT_EQ(Run({"BITFIELD", "bf", "GET", "u8", "#536870912"}), offset_error);
  EXPECT_EQ(Run({"BITFIELD", "bf", "GET", "u8", "#536870911"}), Arr({Int(0)}));
  EXPECT_EQ(Run({"BITFIELD", "bf", "GET", "i64", "#9223372036854775807"}), offset_error);
  EXPECT_EQ(Run({"BITFIELD", "bf", "GET", "u8"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"BITFIELD", "bf", "SET", "u8", "0"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"BITFIELD", "bf", "OVERFLOW", "foo"}), Err("ERR Invalid OVERFLOW type specified"));
  EXPECT_EQ(Run({"BITFIELD", "bf", "OVERFLOW"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"BITFIELD", "bf", "foo", "u8", "0"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"BITFIELD", "bf", "SET", "u8", "0", "x"}), Err(errors::kNotInteger));
  // A bad operation anywhere: nothing runs.
  EXPECT_EQ(Run({"BITFIELD", "bf", "SET", "u8", "0", "1", "GET", "u99", "0"}), Err(kTypeError));
  EXPECT_EQ(Run({"GET", "bf"}), kNil);
  MakeHash("h");
  EXPECT_EQ(Run({"BITFIELD", "h", "GET", "u8", "0"}), Err(errors::kWrongType));
  EXPECT_EQ(Run({"BITFIELD", "h", "SET", "u8", "0", "1"}), Err(errors::kWrongType));
  EXPECT_EQ(Run({"BITFIELD", "h", "SET", "u8", "x", "1"}), offset_error);  // parsed first
}

TEST_P(BitfieldTest, ReadOnly) {
  ASSERT_EQ(Run({"SET", "bf", "\xff"}), kOk);
  EXPECT_EQ(Run({"BITFIELD_RO", "bf", "GET", "u8", "0", "GET", "i4", "4"}),
            Arr({Int(255), Int(-1)}));
  EXPECT_EQ(Run({"BITFIELD_RO", "bf", "GET", "u8", "0", "SET", "u8", "0", "1"}),
            Err("ERR BITFIELD_RO only supports the GET subcommand"));
  EXPECT_EQ(Run({"BITFIELD_RO", "bf", "INCRBY", "u8", "0", "1"}),
            Err("ERR BITFIELD_RO only supports the GET subcommand"));
  EXPECT_EQ(Run({"BITFIELD_RO", "bf", "GET", "u8", "0", "foo"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"BITFIELD_RO", "bf", "SET", "u8", "0", "x"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"BITFIELD_RO", "missing", "GET", "u8", "0"}), Arr({Int(0)}));
  EXPECT_EQ(Run({"GET", "bf"}), Bulk("\xff"));
  MakeHash("h");
  EXPECT_EQ(Run({"BITFIELD_RO", "h", "GET", "u8", "0"}), Err(errors::kWrongType));
}

TEST_P(BitfieldTest, KeepsTtl) {
  ASSERT_EQ(Run({"SET", "bf", "a", "PX", "100"}), kOk);
  EXPECT_EQ(Run({"BITFIELD", "bf", "SET", "u8", "8", "1"}), Arr({Int(0)}));
  EXPECT_EQ(Run({"GET", "bf"}), Bulk("a\x01"));
  Advance(100);
  EXPECT_EQ(Run({"GET", "bf"}), kNil);
}

INSTANTIATE_TEST_SUITE_P(Keyspaces, BitfieldTest, ::testing::ValuesIn(KeyspaceKinds()));

}  // namespace
}  // namespace larder::server::testing
