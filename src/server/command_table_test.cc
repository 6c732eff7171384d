#include <gtest/gtest.h>

#include <deque>
#include <string>

#include "server/command.h"

namespace larder::server {
namespace {

CommandSpec Spec(std::string_view name, int arity) {
  CommandSpec spec{};
  spec.name = name;
  spec.arity = arity;
  return spec;
}

CommandTable TwoCommands() {
  CommandTable table;
  table.Add(Spec("get", 2));
  table.Add(Spec("set", -3));
  return table;
}

TEST(CommandTableTest, FindIgnoresCase) {
  const CommandTable table = TwoCommands();
  ASSERT_NE(table.Find("get"), nullptr);
  EXPECT_EQ(table.Find("GeT"), table.Find("get"));
  EXPECT_EQ(table.Find("set")->arity, -3);
  EXPECT_EQ(table.Find("gets"), nullptr);
  EXPECT_EQ(table.Find(""), nullptr);
}

// The memo answers only the very name it holds; any other name is looked up (and a found one
// replaces it), so a client switching commands or case never gets the previous command.
TEST(CommandTableTest, AMemoAnswersOnlyTheNameItHolds) {
  const CommandTable table = TwoCommands();
  CommandMemo memo;
  EXPECT_EQ(table.Find("GET", &memo), table.Find("get"));
  EXPECT_EQ(memo.name, "GET");
  EXPECT_EQ(table.Find("GET", &memo), table.Find("get"));
  EXPECT_EQ(table.Find("set", &memo), table.Find("set"));
  EXPECT_EQ(memo.name, "set");
  EXPECT_EQ(table.Find("Get", &memo), table.Find("get"));
  EXPECT_EQ(table.Find("GE", &memo), nullptr);
  EXPECT_EQ(table.Find("GETX", &memo), nullptr);
  // An unknown name leaves the memo as it was.
  EXPECT_EQ(memo.name, "Get");
  EXPECT_EQ(table.Find("Get", &memo), table.Find("get"));
}

// Commands added after the memo was filled (the table's vector moves) and the remembered one
// replaced: the memo leads to the command now in the table.
TEST(CommandTableTest, AMemoFollowsTheTableAsItGrows) {
  CommandTable table = TwoCommands();
  CommandMemo memo;
  ASSERT_NE(table.Find("get", &memo), nullptr);
  std::deque<std::string> names;  // CommandSpec::name is a view
  for (int i = 0; i < 100; ++i) table.Add(Spec(names.emplace_back("cmd" + std::to_string(i)), 1));
  table.Add(Spec("get", 3));  // replaces "get"
  const CommandSpec* spec = table.Find("get", &memo);
  ASSERT_NE(spec, nullptr);
  EXPECT_EQ(spec, table.Find("get"));
  EXPECT_EQ(spec->arity, 3);
}

}  // namespace
}  // namespace larder::server
