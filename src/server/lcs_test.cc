// LCS through its handler (Redis 7.0.15's replies for the same inputs).
#include <gtest/gtest.h>

#include <string>

#include "server/args.h"
#include "server/string_test_util.h"

namespace larder::server::testing {
namespace {

using LcsTest = StringsTest;

std::string Range(std::int64_t a0, std::int64_t a1, std::int64_t b0, std::int64_t b1) {
  return Arr({Arr({Int(a0), Int(a1)}), Arr({Int(b0), Int(b1)})});
}
std::string RangeLen(std::int64_t a0, std::int64_t a1, std::int64_t b0, std::int64_t b1,
                     std::int64_t len) {
  return Arr({Arr({Int(a0), Int(a1)}), Arr({Int(b0), Int(b1)}), Int(len)});
}

TEST_P(LcsTest, Basic) {
  ASSERT_EQ(Run({"MSET", "a", "ohmytext", "b", "mynewtext"}), kOk);
  EXPECT_EQ(Run({"LCS", "a", "b"}), Bulk("mytext"));
  EXPECT_EQ(Run({"LCS", "a", "b", "LEN"}), Int(6));
  EXPECT_EQ(
      Run({"LCS", "a", "b", "IDX"}),
      Arr({Bulk("matches"), Arr({Range(4, 7, 5, 8), Range(2, 3, 0, 1)}), Bulk("len"), Int(6)}));
  EXPECT_EQ(Run({"LCS", "a", "b", "idx", "minmatchlen", "4"}),
            Arr({Bulk("matches"), Arr({Range(4, 7, 5, 8)}), Bulk("len"), Int(6)}));
  EXPECT_EQ(Run({"LCS", "a", "b", "IDX", "MINMATCHLEN", "-3", "WITHMATCHLEN"}),
            Arr({Bulk("matches"), Arr({RangeLen(4, 7, 5, 8, 4), RangeLen(2, 3, 0, 1, 2)}),
                 Bulk("len"), Int(6)}));
  // RESP3: a map.
  EXPECT_EQ(Run({"LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"}, 3),
            "%2\r\n" + Bulk("matches") + Arr({RangeLen(4, 7, 5, 8, 4)}) + Bulk("len") + Int(6));
  // Missing keys are empty strings.
  EXPECT_EQ(Run({"LCS", "a", "missing"}), Bulk(""));
  EXPECT_EQ(Run({"LCS", "missing", "missing", "LEN"}), Int(0));
  EXPECT_EQ(Run({"LCS", "a", "missing", "IDX"}),
            Arr({Bulk("matches"), Arr({}), Bulk("len"), Int(0)}));
  EXPECT_EQ(Run({"LCS", "a", "a"}), Bulk("ohmytext"));
}

TEST_P(LcsTest, Errors) {
  ASSERT_EQ(Run({"MSET", "a", "x", "b", "y"}), kOk);
  MakeHash("h");
  EXPECT_EQ(Run({"LCS", "a", "h"}), Err("ERR The specified keys must contain string values"));
  EXPECT_EQ(Run({"LCS", "h", "missing", "FOO"}),
            Err("ERR The specified keys must contain string values"));  // types first
  EXPECT_EQ(Run({"LCS", "a", "b", "IDX", "LEN"}),
            Err("ERR If you want both the length and indexes, please just use IDX."));
  EXPECT_EQ(Run({"LCS", "a", "b", "LEN", "FOO"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"LCS", "a", "b", "MINMATCHLEN"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"LCS", "a", "b", "MINMATCHLEN", "x"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"LCS", "a"}), Err("ERR wrong number of arguments for 'lcs' command"));
}

// The traceback's tie rule decides which of equally long subsequences is reported.
TEST_P(LcsTest, Ties) {
  ASSERT_EQ(Run({"MSET", "a", "ab", "b", "ba"}), kOk);
  EXPECT_EQ(Run({"LCS", "a", "b"}), Bulk("b"));
  EXPECT_EQ(Run({"LCS", "b", "a"}), Bulk("a"));
  ASSERT_EQ(Run({"MSET", "c", "abcabc", "d", "cbacba"}), kOk);
  EXPECT_EQ(Run({"LCS", "c", "d"}), Bulk("cbc"));
  EXPECT_EQ(Run({"LCS", "c", "d", "IDX", "WITHMATCHLEN"}),
            Arr({Bulk("matches"),
                 Arr({RangeLen(5, 5, 3, 3, 1), RangeLen(4, 4, 1, 1, 1), RangeLen(2, 2, 0, 0, 1)}),
                 Bulk("len"), Int(3)}));
}

INSTANTIATE_TEST_SUITE_P(Keyspaces, LcsTest, ::testing::ValuesIn(KeyspaceKinds()));

}  // namespace
}  // namespace larder::server::testing
