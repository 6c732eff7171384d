#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/command_test_util.h"

namespace larder::server {
namespace {

using testing::Backing;
using testing::CommandHarness;

class SortCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(h.Run({"SADD", "s", "3", "10", "2", "1.5", "-4"}), "5");
    h.SetString("w_3", "30");
    h.SetString("w_10", "1");
    h.SetString("w_2", "20");
    ASSERT_EQ(h.Run({"HSET", "h_3", "f", "c"}), "1");
    ASSERT_EQ(h.Run({"HSET", "h_10", "f", "a"}), "1");
    ASSERT_EQ(h.Run({"HSET", "h_-4", "f", "d"}), "1");
  }
  CommandHarness h{Backing::kEngine,
                   {RegisterSetCommands, RegisterSortCommands, RegisterKeyCommands,
                    RegisterHashCommands, RegisterServerCommands}};
};

TEST_F(SortCommandTest, NumericAlphaLimitDesc) {
  EXPECT_EQ(h.Run({"SORT", "s"}), "[-4,1.5,2,3,10]");
  EXPECT_EQ(h.Run({"SORT", "s", "DESC"}), "[10,3,2,1.5,-4]");
  EXPECT_EQ(h.Run({"SORT", "s", "ALPHA"}), "[-4,1.5,10,2,3]");
  EXPECT_EQ(h.Run({"SORT", "s", "alpha", "desc", "limit", "1", "2"}), "[2,10]");
  EXPECT_EQ(h.Run({"SORT", "s", "LIMIT", "-1", "2"}), "[-4,1.5]");
  EXPECT_EQ(h.Run({"SORT", "s", "LIMIT", "2", "-1"}), "[2,3,10]");
  EXPECT_EQ(h.Run({"SORT", "s", "LIMIT", "9", "2"}), "[]");
  EXPECT_EQ(h.Run({"SORT", "s", "LIMIT", "2", "9223372036854775807"}), "[2,3,10]");
  EXPECT_EQ(h.Run({"SORT", "s", "BY", "x", "LIMIT", "3", "9223372036854775807"}), "[2,3]");
  EXPECT_EQ(h.Run({"SORT", "nokey"}), "[]");
  EXPECT_EQ(h.Run({"SADD", "words", "b", "a"}), "2");
  EXPECT_EQ(h.Run({"SORT", "words"}), "-ERR One or more scores can't be converted into double");
  EXPECT_EQ(h.Run({"SORT", "words", "ALPHA"}), "[a,b]");
  EXPECT_EQ(h.Run({"SORT_RO", "s", "DESC", "LIMIT", "0", "1"}), "[10]");
}

TEST_F(SortCommandTest, ByAndGetPatterns) {
  // Missing weights count as 0; equal scores are ordered by the element.
  EXPECT_EQ(h.Run({"SORT", "s", "BY", "w_*"}), "[-4,1.5,10,2,3]");
  EXPECT_EQ(h.Run({"SORT", "s", "BY", "w_*", "DESC"}), "[3,2,10,1.5,-4]");
  EXPECT_EQ(h.Run({"SORT", "s", "BY", "h_*->f", "ALPHA", "LIMIT", "2", "3"}), "[10,3,-4]");
  EXPECT_EQ(h.Run({"SORT", "s", "BY", "w_*", "LIMIT", "3", "2", "GET", "#", "GET", "w_*", "GET",
                   "h_*->f", "GET", "const"}),
            "[2,20,(nil),(nil),3,30,c,(nil)]");
  // "->" with nothing after it is not a field: the key is "h_3->".
  EXPECT_EQ(h.Run({"SORT", "s", "BY", "w_*", "LIMIT", "4", "1", "GET", "h_*->"}), "[(nil)]");
  // BY without '*': no sorting (a set in member order).
  EXPECT_EQ(h.Run({"SORT", "s", "BY", "nosort"}), "[-4,1.5,10,2,3]");
}

TEST_F(SortCommandTest, StoreWritesAListAndNosortKeepsItsOrder) {
  EXPECT_EQ(h.Run({"SORT", "s", "BY", "w_*", "DESC", "STORE", "dst"}), "5");
  EXPECT_EQ(h.Run({"TYPE", "dst"}), "list");
  EXPECT_EQ(h.Run({"SORT", "dst", "BY", "nosort"}), "[3,2,10,1.5,-4]");
  EXPECT_EQ(h.Run({"SORT", "dst", "BY", "nosort", "DESC"}), "[-4,1.5,10,2,3]");
  EXPECT_EQ(h.Run({"SORT", "dst", "BY", "nosort", "LIMIT", "1", "2"}), "[2,10]");
  EXPECT_EQ(h.Run({"SORT", "dst", "BY", "nosort", "LIMIT", "1", "2", "DESC"}), "[1.5,10]");
  EXPECT_EQ(h.Run({"SORT", "dst"}), "[-4,1.5,2,3,10]");
  // GET values that are nil are stored as empty strings.
  EXPECT_EQ(h.Run({"SORT", "s", "LIMIT", "0", "2", "GET", "w_*", "STORE", "dst"}), "2");
  EXPECT_EQ(h.Run({"SORT", "dst", "BY", "nosort"}), "[,]");
  // A set sorted BY a constant into STORE is sorted ALPHA (deterministic output).
  EXPECT_EQ(h.Run({"SORT", "s", "BY", "nosort", "STORE", "dst"}), "5");
  EXPECT_EQ(h.Run({"SORT", "dst", "BY", "nosort"}), "[-4,1.5,10,2,3]");
  // An empty result deletes the destination.
  EXPECT_EQ(h.Run({"SORT", "nokey", "STORE", "dst"}), "0");
  EXPECT_EQ(h.Run({"EXISTS", "dst"}), "0");
}

TEST_F(SortCommandTest, ErrorsAndKeys) {
  h.SetString("str", "x");
  EXPECT_EQ(h.Run({"SORT", "str"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value");
  EXPECT_EQ(h.Run({"SORT", "str", "badopt"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"SORT", "s", "LIMIT", "0", "x"}),
            "-ERR value is not an integer or out of range");
  EXPECT_EQ(h.Run({"SORT", "s", "LIMIT", "1"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"SORT", "s", "STORE"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"SORT_RO", "s", "STORE", "d"}), "-ERR syntax error");
  EXPECT_EQ(h.Run({"COMMAND", "GETKEYS", "sort", "abc", "store", "x", "store", "def"}),
            "[abc,def]");
  EXPECT_EQ(h.Run({"COMMAND", "GETKEYS", "sort", "abc", "get", "store", "limit", "0", "1"}),
            "[abc]");
  EXPECT_EQ(h.Run({"COMMAND", "GETKEYS", "sort_ro", "abc"}), "[abc]");
  EXPECT_EQ(h.Run({"COMMAND", "GETKEYS", "sintercard", "2", "a", "b", "LIMIT", "1"}), "[a,b]");
}

}  // namespace
}  // namespace larder::server
