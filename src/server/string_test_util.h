// Test support for the string and bitmap command tests (tests only): an in-memory Database
// (std::map-backed, with expiry against a settable clock) in a Keyspace, and a harness that runs
// a command through its registered handler, checking arity as the dispatcher does, and returns
// the raw RESP reply.
//
// Thread-safety: none; one test thread.
#ifndef LARDER_SERVER_STRING_TEST_UTIL_H_
#define LARDER_SERVER_STRING_TEST_UTIL_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "larder/clock.h"
#include "larder/status.h"
#include "server/args.h"
#include "server/client.h"
#include "server/command.h"
#include "server/keyspace.h"
#include "server/reply_builder.h"
#include "server/server.h"
#include "tests/util/temp_dir.h"

namespace larder::server::testing {

// A Database over a std::map. Keys carry a type, a string value or members, and an expiry
// compared with *now_ms (an expired key is invisible and removed when met).
class FakeDatabase final : public Database {
 public:
  explicit FakeDatabase(const std::int64_t* now_ms) : now_ms_(now_ms) {}

  int index() const override { return 0; }

  Result<std::optional<KeyInfo>> Lookup(std::string_view key, std::string* value) override {
    Entry* e = Find(key);
    if (e == nullptr) return std::optional<KeyInfo>();
    KeyInfo info;
    info.type = e->type;
    info.expire_at_ms = e->expire_at_ms;
    info.size = e->type == ValueType::kString ? e->value.size() : e->members.size();
    if (value != nullptr && e->type == ValueType::kString) *value = e->value;
    return std::optional<KeyInfo>(info);
  }

  Status SetString(std::string_view key, std::string_view value,
                   const SetStringOptions& options) override {
    ++writes;
    Entry* old = Find(key);
    std::int64_t expire = options.keep_ttl && old != nullptr ? old->expire_at_ms : 0;
    if (!options.keep_ttl) expire = options.expire_at_ms;
    Entry& e = data_[std::string(key)];
    e = Entry{};
    e.value = std::string(value);
    e.expire_at_ms = expire;
    return Status();
  }

  Result<bool> Delete(std::string_view key) override {
    if (Find(key) == nullptr) return false;
    ++writes;
    data_.erase(data_.find(key));
    return true;
  }

  Result<bool> SetExpire(std::string_view key, std::int64_t expire_at_ms) override {
    Entry* e = Find(key);
    if (e == nullptr) return false;
    ++writes;
    if (expire_at_ms != 0 && expire_at_ms <= *now_ms_) {
      data_.erase(data_.find(key));
    } else {
      e->expire_at_ms = expire_at_ms;
    }
    return true;
  }

  Result<std::optional<std::string>> GetMember(std::string_view key,
                                               std::string_view member) override {
    Entry* e = Find(key);
    if (e == nullptr) return std::optional<std::string>();
    auto it = e->members.find(member);
    if (it == e->members.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  Result<bool> SetMember(std::string_view key, ValueType type, std::string_view member,
                         std::string_view value) override {
    ++writes;
    Entry* e = Find(key);
    if (e == nullptr) {
      e = &data_[std::string(key)];
      e->type = type;
    }
    bool fresh = e->members.find(member) == e->members.end();
    e->members[std::string(member)] = std::string(value);
    return fresh;
  }

  Result<bool> DeleteMember(std::string_view key, std::string_view member) override {
    Entry* e = Find(key);
    if (e == nullptr) return false;
    auto it = e->members.find(member);
    if (it == e->members.end()) return false;
    ++writes;
    e->members.erase(it);
    if (e->members.empty()) data_.erase(data_.find(key));
    return true;
  }

  Result<std::unique_ptr<Cursor>> Members(std::string_view, std::string_view) override {
    return Status::NotSupported("fake database: no cursors");
  }
  Result<std::unique_ptr<Cursor>> Keys(std::string_view) override {
    return Status::NotSupported("fake database: no cursors");
  }
  Result<std::uint64_t> KeyCount() override { return std::uint64_t{data_.size()}; }
  Result<std::optional<std::string>> RandomKey() override {
    return Status::NotSupported("fake database: no RANDOMKEY");
  }
  Result<bool> CopyKey(std::string_view, Database&, std::string_view, bool) override {
    return Status::NotSupported("fake database: no COPY");
  }
  Result<bool> RenameKey(std::string_view, std::string_view) override {
    return Status::NotSupported("fake database: no RENAME");
  }
  void Touch(std::string_view) override {}

  // Test access: every live key with its string value (collections: empty).
  std::map<std::string, std::string> Dump() {
    std::map<std::string, std::string> out;
    for (auto it = data_.begin(); it != data_.end();) {
      if (Expired(it->second)) {
        it = data_.erase(it);
        continue;
      }
      out[it->first] = it->second.value;
      ++it;
    }
    return out;
  }

  int writes = 0;  // calls that changed something (a test can check a no-op wrote nothing)

 private:
  struct Entry {
    ValueType type = ValueType::kString;
    std::string value;
    std::map<std::string, std::string, std::less<>> members;
    std::int64_t expire_at_ms = 0;
  };

  bool Expired(const Entry& e) const { return e.expire_at_ms != 0 && e.expire_at_ms <= *now_ms_; }

  Entry* Find(std::string_view key) {
    auto it = data_.find(key);
    if (it == data_.end()) return nullptr;
    if (Expired(it->second)) {
      data_.erase(it);
      return nullptr;
    }
    return &it->second;
  }

  const std::int64_t* now_ms_;
  std::map<std::string, Entry, std::less<>> data_;
};

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

// A Keyspace of one FakeDatabase (every index maps to it); batches, saves and flushes do
// nothing.
class FakeKeyspace final : public Keyspace {
 public:
  explicit FakeKeyspace(const std::int64_t* now_ms) : db_(now_ms) {}
  FakeDatabase& fake_db() { return db_; }

  int databases() const override { return 1; }
  void SetObserver(KeyspaceObserver*) override {}
  Status BeginBatch() override { return Status(); }
  Database& db(int) override { return db_; }
  Result<Ticket> EndBatch() override { return Ticket{0}; }
  Status WaitDurable(Ticket) override { return Status(); }
  Status FlushDb(int) override { return Status(); }
  Status FlushAll() override { return Status(); }
  Status SwapDb(int, int) override { return Status(); }
  Status Save() override { return Status(); }
  Status BackgroundSave() override { return Status(); }
  Result<std::uint64_t> ActiveExpireCycle(std::uint64_t) override { return std::uint64_t{0}; }
  Status MaybeCheckpoint() override { return Status(); }
  void SetAppendFsync(AppendFsync) override {}
  KeyspaceStats stats() const override { return {}; }
  Status Close() override { return Status(); }

 private:
  FakeDatabase db_;
};

// Runs commands of a CommandTable against database 0 of a Keyspace, as the dispatcher would
// (arity check, then the handler inside a batch), with a settable clock, through a real Server
// (config from `config`) and a socketless Client.
class CommandHarness {
 public:
  using Registrar = void (*)(CommandTable&);
  // `now_ms` is the commands' clock (unix ms); it must outlive the harness.
  CommandHarness(Keyspace* keyspace, const std::int64_t* now_ms,
                 std::initializer_list<Registrar> registrars, ServerConfig config = {})
      : keyspace_(keyspace),
        now_ms_(now_ms),
        client_(1, -1, "127.0.0.1:1", "127.0.0.1:2", nullptr, *now_ms) {
    for (Registrar r : registrars) r(table_);
    server_ = std::make_unique<Server>(std::move(config), keyspace, &table_);
  }

  // The RESP reply to argv (RESP2 unless protocol is 3); an engine error gives
  // "<engine error: ...>".
  std::string Run(std::vector<std::string_view> argv, int protocol = 2) {
    std::string out;
    ReplyBuilder reply(&out, protocol);
    const CommandSpec* spec = table_.Find(argv.at(0));
    if (spec == nullptr) return "<unknown command>";
    auto argc = static_cast<int>(argv.size());
    if ((spec->arity > 0 && argc != spec->arity) || (spec->arity < 0 && argc < -spec->arity)) {
      reply.Error(WrongArityError(ToLower(argv[0])));
      return out;
    }
    Status s = keyspace_->BeginBatch();
    if (s.ok()) {
      CommandContext ctx{*server_, client_, *keyspace_, keyspace_->db(0), reply, argv, *now_ms_};
      s = spec->handler(ctx);
      Result<Keyspace::Ticket> ticket = keyspace_->EndBatch();
      if (s.ok() && !ticket.ok()) s = ticket.status();
    }
    if (!s.ok()) return "<engine error: " + s.ToString() + ">";
    return out;
  }

  const CommandTable& table() const { return table_; }

 private:
  Keyspace* keyspace_;
  const std::int64_t* now_ms_;
  CommandTable table_;
  Client client_;
  std::unique_ptr<Server> server_;
};

// A fixture for the command tests, parameterized by the keyspace under the commands: "fake"
// (FakeKeyspace) or "bolt" (the real Keyspace over a bolt file in a temporary directory, with
// appendfsync no and a manual clock kept equal to the commands' clock). Tests use Run(...),
// Advance(ms) and MakeHash(key).
class StringsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "bolt") {
      dir_ = std::make_unique<test::TempDir>();
      clock_ = std::make_unique<ManualClock>(ManualClock::SleepMode::kAdvance, 0,
                                             static_cast<std::uint64_t>(now_ms_) * 1000);
      KeyspaceOptions options;
      options.dir = dir_->File("data");
      options.clock = clock_.get();
      options.appendfsync = AppendFsync::kNo;
      auto ks = Keyspace::Open(options);
      ASSERT_TRUE(ks.ok()) << ks.status().ToString();
      keyspace_ = std::move(*ks);
    } else {
      keyspace_ = std::make_unique<FakeKeyspace>(&now_ms_);
    }
    MakeHarness(ServerConfig{});
  }

  void TearDown() override {
    harness_.reset();
    if (keyspace_ != nullptr) {
      EXPECT_TRUE(keyspace_->Close().ok());
    }
    keyspace_.reset();  // before the directory goes (its files are checked then)
  }

  // The commands from now on run under a server whose proto-max-bulk-len is `bytes`.
  void SetMaxBulkLen(std::uint64_t bytes) {
    ServerConfig config;
    config.proto_max_bulk_len = bytes;
    MakeHarness(std::move(config));
  }

  std::string Run(std::vector<std::string_view> argv, int protocol = 2) {
    return harness_->Run(std::move(argv), protocol);
  }
  void Advance(std::int64_t ms) {
    now_ms_ += ms;
    if (clock_ != nullptr) clock_->Advance(std::chrono::milliseconds(ms));
  }
  std::int64_t now() const { return now_ms_; }
  // Makes `key` a hash (for wrong-type checks), in a batch of its own.
  void MakeHash(std::string_view key) {
    ASSERT_TRUE(keyspace_->BeginBatch().ok());
    ASSERT_TRUE(keyspace_->db(0).SetMember(key, ValueType::kHash, "f", "v").ok());
    ASSERT_TRUE(keyspace_->EndBatch().ok());
  }

  void MakeHarness(ServerConfig config) {
    harness_ = std::make_unique<CommandHarness>(keyspace_.get(), &now_ms_,
                                                std::initializer_list<CommandHarness::Registrar>{
                                                    RegisterStringCommands, RegisterBitCommands},
                                                std::move(config));
  }

  std::int64_t now_ms_ = 1'700'000'000'000;
  std::unique_ptr<test::TempDir> dir_;  // "bolt" only; outlives the keyspace
  std::unique_ptr<ManualClock> clock_;  // "bolt" only
  std::unique_ptr<Keyspace> keyspace_;
  std::unique_ptr<CommandHarness> harness_;
};

inline std::vector<std::string> KeyspaceKinds() { return {"fake", "bolt"}; }

}  // namespace larder::server::testing

#endif  // LARDER_SERVER_STRING_TEST_UTIL_H_
