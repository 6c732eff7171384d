// INCR DECR INCRBY DECRBY INCRBYFLOAT through their handlers (Redis 7.0.15's replies).
#include <gtest/gtest.h>

#include <string>

#include "server/args.h"
#include "server/string_test_util.h"

namespace larder::server::testing {
namespace {

using CounterCommandsTest = StringsTest;

TEST_P(CounterCommandsTest, IncrDecr) {
  EXPECT_EQ(Run({"INCR", "n"}), Int(1));
  EXPECT_EQ(Run({"INCR", "n"}), Int(2));
  EXPECT_EQ(Run({"DECR", "n"}), Int(1));
  EXPECT_EQ(Run({"DECR", "m"}), Int(-1));
  EXPECT_EQ(Run({"INCRBY", "n", "10"}), Int(11));
  EXPECT_EQ(Run({"INCRBY", "n", "-20"}), Int(-9));
  EXPECT_EQ(Run({"DECRBY", "n", "-9"}), Int(0));
  EXPECT_EQ(Run({"DECRBY", "x", "5"}), Int(-5));
  EXPECT_EQ(Run({"GET", "n"}), Bulk("0"));
  EXPECT_EQ(Run({"SET", "s", "-17"}), kOk);
  EXPECT_EQ(Run({"INCR", "s"}), Int(-16));
}

TEST_P(CounterCommandsTest, IntegerErrors) {
  const std::string not_int = Err(errors::kNotInteger);
  for (std::string_view bad : {"01", "1.0", " 1", "1 ", "+1", "-0", "", "abc",
                               "123456789012345678901", "9223372036854775808"}) {
    ASSERT_EQ(Run({"SET", "v", bad}), kOk);
    EXPECT_EQ(Run({"INCR", "v"}), not_int) << bad;
    EXPECT_EQ(Run({"GET", "v"}), Bulk(bad));
  }
  EXPECT_EQ(Run({"INCRBY", "n", "1.5"}), not_int);
  EXPECT_EQ(Run({"INCRBY", "n", "x"}), not_int);
  EXPECT_EQ(Run({"DECRBY", "n", ""}), not_int);
  EXPECT_EQ(Run({"GET", "n"}), kNil);

  ASSERT_EQ(Run({"SET", "max", "9223372036854775807"}), kOk);
  EXPECT_EQ(Run({"INCR", "max"}), Err(errors::kOverflow));
  EXPECT_EQ(Run({"DECR", "max"}), Int(9223372036854775806));
  ASSERT_EQ(Run({"SET", "min", "-9223372036854775808"}), kOk);
  EXPECT_EQ(Run({"DECR", "min"}), Err(errors::kOverflow));
  EXPECT_EQ(Run({"INCRBY", "min", "-1"}), Err(errors::kOverflow));
  EXPECT_EQ(Run({"DECRBY", "min", "-9223372036854775807"}), Int(-1));
  // Negating the smallest decrement would overflow: refused before the key is read.
  EXPECT_EQ(Run({"DECRBY", "min", "-9223372036854775808"}), Err("ERR decrement would overflow"));
  EXPECT_EQ(Run({"DECRBY", "absent", "-9223372036854775808"}), Err("ERR decrement would overflow"));

  MakeHash("h");
  EXPECT_EQ(Run({"INCR", "h"}), Err(errors::kWrongType));
  EXPECT_EQ(Run({"INCRBY", "h", "x"}), not_int);  // the argument before the type
  EXPECT_EQ(Run({"INCRBYFLOAT", "h", "x"}), Err(errors::kWrongType));  // the type first
}

TEST_P(CounterCommandsTest, CountersKeepTheTtl) {
  ASSERT_EQ(Run({"SET", "n", "1", "PX", "100"}), kOk);
  EXPECT_EQ(Run({"INCR", "n"}), Int(2));
  EXPECT_EQ(Run({"INCRBYFLOAT", "n", "0.5"}), Bulk("2.5"));
  Advance(99);
  EXPECT_EQ(Run({"GET", "n"}), Bulk("2.5"));
  Advance(1);
  EXPECT_EQ(Run({"GET", "n"}), kNil);
}

TEST_P(CounterCommandsTest, IncrByFloat) {
  ASSERT_EQ(Run({"SET", "f", "10.50"}), kOk);
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "0.1"}), Bulk("10.6"));
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "-5.0e3"}), Bulk("-4989.39999999999999991"));
  EXPECT_EQ(Run({"GET", "f"}), Bulk("-4989.39999999999999991"));
  EXPECT_EQ(Run({"INCRBYFLOAT", "a", "3"}), Bulk("3"));
  EXPECT_EQ(Run({"INCRBYFLOAT", "b", "-0"}), Bulk("0"));
  EXPECT_EQ(Run({"INCRBYFLOAT", "c", "0x10"}), Bulk("16"));
  ASSERT_EQ(Run({"SET", "i", "5"}), kOk);
  EXPECT_EQ(Run({"INCRBYFLOAT", "i", "1.5"}), Bulk("6.5"));
  EXPECT_EQ(Run({"INCR", "i"}), Err(errors::kNotInteger));

  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "abc"}), Err(errors::kNotFloat));
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "nan"}), Err(errors::kNotFloat));
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "inf"}), Err(errors::kNaN));
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "-inf"}), Err(errors::kNaN));
  ASSERT_EQ(Run({"SET", "g", "1abc"}), kOk);
  EXPECT_EQ(Run({"INCRBYFLOAT", "g", "1"}), Err(errors::kNotFloat));
  EXPECT_EQ(Run({"GET", "g"}), Bulk("1abc"));
}

INSTANTIATE_TEST_SUITE_P(Keyspaces, CounterCommandsTest, ::testing::ValuesIn(KeyspaceKinds()));

}  // namespace
}  // namespace larder::server::testing
