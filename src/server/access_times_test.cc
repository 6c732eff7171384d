#include "server/access_times.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/command.h"

namespace larder::server {
namespace {

TEST(KeyAccessTimesTest, RecordedKeysReportTheirTimeOthersABound) {
  KeyAccessTimes times(1000);
  EXPECT_EQ(times.LastAccessBound(0, "a"), 1000);  // nothing recorded: the start
  times.Record(0, "a", 5000);
  EXPECT_EQ(times.LastAccessBound(0, "a"), 5000);
  EXPECT_EQ(times.LastAccessBound(1, "a"), 1000);  // another database
  times.Record(0, "a", 4000);                      // an earlier clock of the same access
  EXPECT_EQ(times.LastAccessBound(0, "a"), 5000);
  // Many keys share the slots: every bound stays at or after the key's last access.
  for (int i = 0; i < 200000; ++i) times.Record(0, "k" + std::to_string(i), 6000 + i);
  for (int i = 0; i < 200000; i += 997) {
    EXPECT_GE(times.LastAccessBound(0, "k" + std::to_string(i)), 6000 + i);
  }
  EXPECT_GE(times.LastAccessBound(0, "a"), 5000);
}

TEST(KeyAccessTimesTest, OnCommandRecordsKeyPositionsExceptNoTouchCommands) {
  KeyAccessTimes times(0);
  CommandSpec mset{"mset", -3, kCmdWrite, 1, -1, 2, nullptr, "string", "", "1.0.1", {}};
  CommandSpec ttl{"ttl", 2, kCmdReadOnly, 1, 1, 1, nullptr, "generic", "", "1.0.0", {}};
  std::vector<std::string_view> argv = {"MSET", "k1", "v1", "k2", "v2"};
  CommandRecord record;
  record.spec = &mset;
  record.full_name = "mset";
  record.argv = argv;
  record.db = 3;
  record.start_us = 7'000'000;
  times.OnCommand(record);
  EXPECT_EQ(times.LastAccessBound(3, "k1"), 7000);
  EXPECT_EQ(times.LastAccessBound(3, "k2"), 7000);
  EXPECT_EQ(times.LastAccessBound(3, "v1"), 0);  // a value, not a key
  std::vector<std::string_view> ttl_argv = {"TTL", "other"};
  record.spec = &ttl;
  record.full_name = "ttl";
  record.argv = ttl_argv;
  times.OnCommand(record);
  EXPECT_EQ(times.LastAccessBound(3, "other"), 0);
  record.spec = &mset;
  record.full_name = "mset";
  record.argv = argv;
  record.outcome = CommandRecord::Outcome::kRejected;
  record.start_us = 9'000'000;
  times.OnCommand(record);
  EXPECT_EQ(times.LastAccessBound(3, "k1"), 7000);
}

}  // namespace
}  // namespace larder::server
