// Test support for the string and bitmap command tests (tests only): RESP2 spellings of replies
// for expectations, and a fixture running the string and bitmap commands through the shared
// CommandHarness (command_test_util.h: the dispatcher's path, over a std::map keyspace or the
// real Keyspace over bolt in a temporary directory).
//
// Thread-safety: none; one test thread.
#ifndef LARDER_SERVER_STRING_TEST_UTIL_H_
#define LARDER_SERVER_STRING_TEST_UTIL_H_

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "server/command.h"
#include "server/command_test_util.h"
#include "server/config.h"

namespace larder::server::testing {

// RESP2 spellings of replies, for expectations.
inline std::string Bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}
inline std::string Int(std::int64_t v) { return ":" + std::to_string(v) + "\r\n"; }
inline std::string Err(std::string_view msg) { return "-" + std::string(msg) + "\r\n"; }
inline std::string Arr(std::initializer_list<std::string> items) {
  std::string out = "*" + std::to_string(items.size()) + "\r\n";
  for (const std::string& item : items) out += item;
  return out;
}
inline const std::string kOk = "+OK\r\n";
inline const std::string kNil = "$-1\r\n";

// The fixture of the command tests, parameterized by the keyspace under the commands. Tests use
// Run(...) (the raw RESP reply), Advance(ms), MakeHash(key) and SetMaxBulkLen(bytes).
class StringsTest : public ::testing::TestWithParam<Backing> {
 protected:
  void SetUp() override {
    harness_ = std::make_unique<CommandHarness>(
        GetParam(), std::vector<CommandHarness::Registrar>{
                        RegisterStringCommands, RegisterBitCommands, RegisterHashCommands});
  }
  void TearDown() override { harness_.reset(); }

  std::string Run(std::vector<std::string_view> argv, int protocol = 2) {
    harness_->set_protocol(protocol);
    return harness_->RunRaw(std::vector<std::string>(argv.begin(), argv.end()));
  }
  void Advance(std::int64_t ms) { harness_->Advance(ms); }
  std::int64_t now() const { return harness_->now_ms(); }
  // Makes `key` a hash (for wrong-type checks).
  void MakeHash(std::string_view key) { ASSERT_EQ(Run({"HSET", key, "f", "v"}), ":1\r\n"); }
  // The commands from now on run under a server whose proto-max-bulk-len is `bytes`.
  void SetMaxBulkLen(std::uint64_t bytes) {
    ServerConfig config = *harness_->server().config();
    config.proto_max_bulk_len = bytes;
    ASSERT_TRUE(harness_->server().SetConfig(std::move(config)).ok());
  }
  const CommandTable& table() { return harness_->server().commands(); }

  std::unique_ptr<CommandHarness> harness_;
};

inline std::vector<Backing> KeyspaceKinds() { return {Backing::kMap, Backing::kEngine}; }

}  // namespace larder::server::testing

#endif  // LARDER_SERVER_STRING_TEST_UTIL_H_
