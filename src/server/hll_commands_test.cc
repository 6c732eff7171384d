#include <gtest/gtest.h>

#include <string>

#include "server/command_test_util.h"

namespace larder::server {
namespace {

using testing::Backing;
using testing::CommandHarness;

class HllCommandsTest : public ::testing::TestWithParam<Backing> {};

class HllHarness : public CommandHarness {
 public:
  explicit HllHarness(Backing backing)
      : CommandHarness(backing, {RegisterKeyCommands, RegisterStringCommands,
                                 RegisterHyperLogLogCommands, RegisterServerCommands}) {}
};

TEST_P(HllCommandsTest, AddCountMerge) {
  HllHarness h(GetParam());
  EXPECT_EQ(h.Run({"PFADD", "hll"}), "1");
  EXPECT_EQ(h.Run({"PFADD", "hll"}), "0");
  EXPECT_EQ(h.Run({"TYPE", "hll"}), "string");
  EXPECT_EQ(h.Run({"PFCOUNT", "hll"}), "0");
  EXPECT_EQ(h.Run({"PFADD", "hll", "a", "b", "c"}), "1");
  EXPECT_EQ(h.Run({"PFADD", "hll", "a", "b", "c"}), "0");
  EXPECT_EQ(h.Run({"PFCOUNT", "hll"}), "3");
  EXPECT_EQ(h.Run({"PFCOUNT", "nokey"}), "0");
  EXPECT_EQ(h.Run({"PFADD", "h2", "c", "d", "e"}), "1");
  EXPECT_EQ(h.Run({"PFCOUNT", "hll", "h2", "nokey"}), "5");
  EXPECT_EQ(h.Run({"PFMERGE", "m", "hll", "h2"}), "OK");
  EXPECT_EQ(h.Run({"PFCOUNT", "m"}), "5");
  EXPECT_EQ(h.Run({"PFMERGE", "m"}), "OK");  // dest alone: unchanged
  EXPECT_EQ(h.Run({"PFCOUNT", "m"}), "5");
  EXPECT_EQ(h.Run({"PFDEBUG", "ENCODING", "m"}), "sparse");
  EXPECT_EQ(h.Run({"PFDEBUG", "DECODE", "hll"}), "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603");
  EXPECT_EQ(h.Run({"PFDEBUG", "TODENSE", "h2"}), "1");
  EXPECT_EQ(h.Run({"PFDEBUG", "TODENSE", "h2"}), "0");
  EXPECT_EQ(h.Run({"PFDEBUG", "DECODE", "h2"}), "-ERR HLL encoding is not sparse");
  EXPECT_EQ(h.Run({"STRLEN", "h2"}), "12304");
  EXPECT_EQ(h.Run({"PFMERGE", "m2", "hll", "h2"}), "OK");  // a dense input: dense result
  EXPECT_EQ(h.Run({"PFDEBUG", "ENCODING", "m2"}), "dense");
  EXPECT_EQ(h.Run({"PFCOUNT", "m2"}), "5");
  EXPECT_EQ(h.Run({"PFDEBUG", "FOO", "m2"}), "-ERR Unknown PFDEBUG subcommand 'FOO'");
  EXPECT_EQ(h.Run({"PFDEBUG", "ENCODING", "none"}), "-ERR The specified key does not exist");
}

TEST_P(HllCommandsTest, CacheInvalidation) {
  HllHarness h(GetParam());
  EXPECT_EQ(h.Run({"PFADD", "hll", "a", "b", "c"}), "1");
  EXPECT_EQ(h.Run({"GETRANGE", "hll", "15", "15"}), "\x80");
  EXPECT_EQ(h.Run({"PFCOUNT", "hll"}), "3");
  EXPECT_EQ(h.Run({"GETRANGE", "hll", "15", "15"}), std::string(1, '\0'));
  EXPECT_EQ(h.Run({"PFADD", "hll", "a"}), "0");
  EXPECT_EQ(h.Run({"GETRANGE", "hll", "15", "15"}), std::string(1, '\0'));
  EXPECT_EQ(h.Run({"PFADD", "hll", "1", "2"}), "1");
  EXPECT_EQ(h.Run({"GETRANGE", "hll", "15", "15"}), "\x80");
}

TEST_P(HllCommandsTest, ErrorsAsRedis) {
  HllHarness h(GetParam());
  EXPECT_EQ(h.Run({"SET", "s", "bar"}), "OK");
  const std::string not_hll = "-WRONGTYPE Key is not a valid HyperLogLog string value.";
  EXPECT_EQ(h.Run({"PFADD", "s", "1"}), not_hll);
  EXPECT_EQ(h.Run({"PFCOUNT", "s"}), not_hll);
  EXPECT_EQ(h.Run({"PFMERGE", "x", "s"}), not_hll);
  EXPECT_EQ(h.Run({"PFMERGE", "s", "x"}), not_hll);
  EXPECT_EQ(h.Run({"PFADD", "hll", "a", "b", "c"}), "1");
  EXPECT_EQ(h.Run({"APPEND", "hll", "hello"}), "32");
  EXPECT_EQ(h.Run({"PFCOUNT", "hll"}), "-INVALIDOBJ Corrupted HLL object detected");
  EXPECT_EQ(h.Run({"PFCOUNT", "hll", "hll"}), "-INVALIDOBJ Corrupted HLL object detected");
  EXPECT_EQ(h.Run({"DEL", "hll"}), "1");
  EXPECT_EQ(h.Run({"PFADD", "hll", "a"}), "1");
  EXPECT_EQ(h.Run({"SETRANGE", "hll", "4", std::string(1, '\0')}), "21");
  EXPECT_EQ(h.Run({"PFCOUNT", "hll"}), not_hll);  // dense with a sparse length
  EXPECT_EQ(h.Run({"PFADD"}), "-ERR wrong number of arguments for 'pfadd' command");
  EXPECT_EQ(h.Run({"PFSELFTEST"}), "OK");
}

TEST_P(HllCommandsTest, KeepsExpiryAndHonoursSparseMaxBytes) {
  HllHarness h(GetParam());
  ServerConfig config = *h.server().config();
  config.hll_sparse_max_bytes = 40;
  ASSERT_TRUE(h.server().SetConfig(config).ok());
  EXPECT_EQ(h.Run({"PFADD", "hll", "a"}), "1");
  EXPECT_EQ(h.Run({"EXPIRE", "hll", "100"}), "1");
  for (int i = 0; i < 30; ++i) h.Run({"PFADD", "hll", "e" + std::to_string(i)});
  EXPECT_EQ(h.Run({"PFDEBUG", "ENCODING", "hll"}), "dense");
  EXPECT_EQ(h.Run({"TTL", "hll"}), "100");
  EXPECT_EQ(h.Run({"PFCOUNT", "hll"}), "31");
}

INSTANTIATE_TEST_SUITE_P(Backings, HllCommandsTest,
                         ::testing::Values(Backing::kMap, Backing::kEngine), testing::BackingName);

}  // namespace
}  // namespace larder::server
