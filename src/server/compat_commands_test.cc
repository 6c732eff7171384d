#include <gtest/gtest.h>

#include "server/command.h"

namespace larder::server {
namespace {

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

}  // namespace
}  // namespace larder::server
