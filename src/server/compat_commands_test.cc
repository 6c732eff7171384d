#include <gtest/gtest.h>

#include "server/command.h"
#include "server/command_test_util.h"

namespace larder::server {
namespace {

using testing::Backing;
using testing::CommandHarness;

TEST(CompatCommands, FunctionFlushIsRegisteredWithRedisArity) {
  CommandTable table;
  RegisterCompatCommands(table);
  const CommandSpec* function = table.Find("FUNCTION");
  ASSERT_NE(function, nullptr);
  EXPECT_EQ(function->handler, nullptr);  // a container
  const CommandSpec* flush = CommandTable::FindSubcommand(*function, "Flush");
  ASSERT_NE(flush, nullptr);
  EXPECT_EQ(flush->arity, -2);
  EXPECT_NE(flush->handler, nullptr);
  EXPECT_EQ(CommandTable::FindSubcommand(*function, "list"), nullptr);
}

TEST(CompatCommands, FunctionFlushAcceptsOnlySyncOrAsync) {
  CommandHarness h(Backing::kMap, {RegisterCompatCommands});
  EXPECT_EQ(h.Run({"FUNCTION", "FLUSH"}), "OK");
  EXPECT_EQ(h.Run({"function", "flush", "async"}), "OK");
  EXPECT_EQ(h.Run({"FUNCTION", "FLUSH", "SYNC"}), "OK");
  EXPECT_EQ(h.Run({"FUNCTION", "FLUSH", "later"}),
            "-ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
  EXPECT_EQ(h.Run({"FUNCTION", "FLUSH", "SYNC", "x"}), "-ERR syntax error");
}

TEST(CompatCommands, MemoryUsageEstimatesExistingKeysOnly) {
  CommandHarness h(Backing::kMap, {RegisterCompatCommands, RegisterHashCommands});
  EXPECT_EQ(h.Run({"MEMORY", "USAGE", "missing"}), "(nil)");
  h.SetString("s", std::string(1000, 'x'));
  EXPECT_EQ(h.Run({"HSET", "h", "a", "1", "b", "2"}), "2");
  const std::int64_t s = std::stoll(h.Run({"MEMORY", "USAGE", "s"}));
  const std::int64_t hash = std::stoll(h.Run({"MEMORY", "USAGE", "h", "SAMPLES", "5"}));
  EXPECT_GT(s, 1000);
  EXPECT_GT(hash, 0);
  EXPECT_EQ(h.Run({"MEMORY", "USAGE", "s", "SAMPLES", "x"}),
            "-ERR value is not an integer or out of range");
  EXPECT_EQ(h.Run({"MEMORY", "USAGE", "s", "BOGUS"}), "-ERR syntax error");
}

}  // namespace
}  // namespace larder::server
