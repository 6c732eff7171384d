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

}  // namespace
}  // namespace larder::server
