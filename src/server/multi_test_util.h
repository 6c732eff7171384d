// Test support for the transaction, pub/sub and MONITOR command tests (tests only): an in-memory
// Keyspace of several databases that reports every modification to its observer as the real one
// does (each written key; a whole database for FLUSHDB, FLUSHALL and both of SWAPDB), a few
// minimal data commands over it (SET [PX], GET, DEL, SELECT, FLUSHDB, FLUSHALL, SWAPDB), and a
// harness: a real Server and its dispatcher, socket-less clients whose output is taken as RESP.
//
// Thread-safety: none; one test thread (which takes the execution lock around each command).
#ifndef LARDER_SERVER_MULTI_TEST_UTIL_H_
#define LARDER_SERVER_MULTI_TEST_UTIL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "larder/result.h"
#include "larder/status.h"
#include "server/args.h"
#include "server/client.h"
#include "server/command.h"
#include "server/dispatcher.h"
#include "server/keyspace.h"
#include "server/reply_builder.h"
#include "server/server.h"

namespace larder::server::multi_testing {

class FakeKeyspace;

class FakeDb final : public Database {
 public:
  FakeDb(FakeKeyspace* ks, int index) : ks_(ks), index_(index) {}
  int index() const override { return index_; }

  Result<std::optional<KeyInfo>> Lookup(std::string_view key, std::string* value) override;
  Status SetString(std::string_view key, std::string_view value,
                   const SetStringOptions& options) override;
  Result<bool> Delete(std::string_view key) override;
  Result<bool> SetExpire(std::string_view, std::int64_t) override { return Unsupported(); }
  Result<std::optional<std::string>> GetMember(std::string_view, std::string_view) override {
    return Unsupported();
  }
  Result<bool> SetMember(std::string_view, ValueType, std::string_view, std::string_view) override {
    return Unsupported();
  }
  Result<bool> DeleteMember(std::string_view, std::string_view) override { return Unsupported(); }
  Result<std::unique_ptr<Cursor>> Members(std::string_view, std::string_view) override {
    return Unsupported();
  }
  Result<std::unique_ptr<Cursor>> Keys(std::string_view) override { return Unsupported(); }
  Result<std::uint64_t> KeyCount() override { return data.size(); }
  Result<std::optional<std::string>> RandomKey() override { return Unsupported(); }
  Result<bool> CopyKey(std::string_view, Database&, std::string_view, bool) override {
    return Unsupported();
  }
  Result<bool> RenameKey(std::string_view, std::string_view) override { return Unsupported(); }
  void Touch(std::string_view) override {}

  struct Entry {
    std::string value;
    std::int64_t expire_at_ms = 0;
  };
  std::map<std::string, Entry, std::less<>> data;

 private:
  static Status Unsupported() { return Status::NotSupported("fake keyspace"); }
  FakeKeyspace* ks_;
  int index_;
};

class FakeKeyspace final : public Keyspace {
 public:
  explicit FakeKeyspace(int databases = 4) {
    for (int i = 0; i < databases; ++i) dbs_.push_back(std::make_unique<FakeDb>(this, i));
  }
  int databases() const override { return static_cast<int>(dbs_.size()); }
  void AddObserver(KeyspaceObserver* observer) override { observers_.push_back(observer); }
  void RemoveObserver(KeyspaceObserver* observer) override { std::erase(observers_, observer); }
  Status BeginBatch() override { return Status::Ok(); }
  Database& db(int index) override { return *dbs_[static_cast<std::size_t>(index)]; }
  FakeDb& fake(int index) { return *dbs_[static_cast<std::size_t>(index)]; }
  Result<Ticket> EndBatch() override { return Ticket{0}; }
  Status WaitDurable(Ticket) override { return Status::Ok(); }
  Status FlushDb(int index) override {
    dbs_[static_cast<std::size_t>(index)]->data.clear();
    Report(index, std::nullopt);
    return Status::Ok();
  }
  Status FlushAll() override {
    for (int i = 0; i < databases(); ++i) LARDER_RETURN_IF_ERROR(FlushDb(i));
    return Status::Ok();
  }
  Status SwapDb(int a, int b) override {
    std::swap(dbs_[static_cast<std::size_t>(a)]->data, dbs_[static_cast<std::size_t>(b)]->data);
    Report(a, std::nullopt);
    Report(b, std::nullopt);
    return Status::Ok();
  }
  Status Save() override { return Status::Ok(); }
  Status BackgroundSave() override { return Status::Ok(); }
  Result<std::uint64_t> ActiveExpireCycle(std::uint64_t) override { return std::uint64_t{0}; }
  Status MaybeCheckpoint() override { return Status::Ok(); }
  void SetAppendFsync(AppendFsync) override {}
  KeyspaceStats stats() const override { return {}; }
  Status Close() override { return Status::Ok(); }

  void Report(int db, std::optional<std::string_view> key) {
    for (KeyspaceObserver* o : observers_) o->OnKeyModified(db, key);
  }

  std::int64_t now_ms = 1'000'000;  // the clock of expiry

 private:
  std::vector<std::unique_ptr<FakeDb>> dbs_;
  std::vector<KeyspaceObserver*> observers_;
};

inline Result<std::optional<KeyInfo>> FakeDb::Lookup(std::string_view key, std::string* value) {
  auto it = data.find(key);
  if (it == data.end()) return std::optional<KeyInfo>();
  if (it->second.expire_at_ms != 0 && it->second.expire_at_ms <= ks_->now_ms) {
    data.erase(it);  // reclaiming an expired key is no logical change: not reported
    return std::optional<KeyInfo>();
  }
  KeyInfo info;
  info.expire_at_ms = it->second.expire_at_ms;
  info.size = it->second.value.size();
  if (value != nullptr) *value = it->second.value;
  return std::optional<KeyInfo>(info);
}

inline Status FakeDb::SetString(std::string_view key, std::string_view value,
                                const SetStringOptions& options) {
  data[std::string(key)] = Entry{std::string(value), options.expire_at_ms};
  ks_->Report(index_, key);
  return Status::Ok();
}

inline Result<bool> FakeDb::Delete(std::string_view key) {
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info, Lookup(key, nullptr));
  if (!info) return false;
  data.erase(data.find(key));
  ks_->Report(index_, key);
  return true;
}

// ---- minimal data commands over the fake ----
inline Status FakeSet(CommandContext& ctx) {
  SetStringOptions options;
  if (ctx.argv.size() == 5 && EqualsIgnoreCase(ctx.argv[3], "px")) {
    options.expire_at_ms = ctx.now_ms + ParseInt64(ctx.argv[4]).value_or(0);
  }
  LARDER_RETURN_IF_ERROR(ctx.db.SetString(ctx.argv[1], ctx.argv[2], options));
  ctx.reply.Ok();
  return Status::Ok();
}
inline Status FakeGet(CommandContext& ctx) {
  std::string value;
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info, ctx.db.Lookup(ctx.argv[1], &value));
  if (info) {
    ctx.reply.Bulk(value);
  } else {
    ctx.reply.Null();
  }
  return Status::Ok();
}
inline Status FakeDel(CommandContext& ctx) {
  LARDER_ASSIGN_OR_RETURN(bool removed, ctx.db.Delete(ctx.argv[1]));
  ctx.reply.Integer(removed ? 1 : 0);
  return Status::Ok();
}
inline Status FakeSelect(CommandContext& ctx) {
  ctx.client.db = static_cast<int>(ParseInt64(ctx.argv[1]).value_or(0));
  ctx.reply.Ok();
  return Status::Ok();
}
inline Status FakeFlushDb(CommandContext& ctx) {
  LARDER_RETURN_IF_ERROR(ctx.keyspace.FlushDb(ctx.client.db));
  ctx.reply.Ok();
  return Status::Ok();
}
inline Status FakeFlushAll(CommandContext& ctx) {
  LARDER_RETURN_IF_ERROR(ctx.keyspace.FlushAll());
  ctx.reply.Ok();
  return Status::Ok();
}
inline Status FakeSwapDb(CommandContext& ctx) {
  LARDER_RETURN_IF_ERROR(
      ctx.keyspace.SwapDb(static_cast<int>(ParseInt64(ctx.argv[1]).value_or(0)),
                          static_cast<int>(ParseInt64(ctx.argv[2]).value_or(0))));
  ctx.reply.Ok();
  return Status::Ok();
}
inline Status FakeConfig(CommandContext& ctx) {
  ctx.reply.Ok();
  return Status::Ok();
}

// A Server over a FakeKeyspace (or the given keyspace) with the transaction, pub/sub and MONITOR
// commands plus the fake data commands above ("config" stands for an admin command).
class MultiHarness {
 public:
  explicit MultiHarness(Keyspace* keyspace = nullptr)
      : ks_(keyspace != nullptr ? keyspace : &keyspace_), server_(ServerConfig{}, ks_, &table_) {
    RegisterTransactionCommands(table_);
    RegisterPubSubCommands(table_);
    table_.Add({"set", -3, kCmdWrite, 1, 1, 1, FakeSet, "string", "", "1.0.0", {}});
    table_.Add({"get", 2, kCmdReadOnly, 1, 1, 1, FakeGet, "string", "", "1.0.0", {}});
    table_.Add({"del", 2, kCmdWrite, 1, 1, 1, FakeDel, "generic", "", "1.0.0", {}});
    table_.Add({"select", 2, 0, 0, 0, 0, FakeSelect, "connection", "", "1.0.0", {}});
    table_.Add({"flushdb", 1, kCmdWrite, 0, 0, 0, FakeFlushDb, "server", "", "1.0.0", {}});
    table_.Add({"flushall", 1, kCmdWrite, 0, 0, 0, FakeFlushAll, "server", "", "1.0.0", {}});
    table_.Add({"swapdb", 3, kCmdWrite, 0, 0, 0, FakeSwapDb, "server", "", "4.0.0", {}});
    table_.Add({"config", -1, kCmdAdmin, 0, 0, 0, FakeConfig, "server", "", "2.0.0", {}});
  }

  void AddCommand(CommandSpec spec) { table_.Add(std::move(spec)); }

  // A new socket-less client (ids from 1), speaking `protocol`.
  Client& NewClient(int protocol = 2) {
    const std::uint64_t id = server_.NextClientId();
    clients_.push_back(std::make_unique<Client>(id, -1, "127.0.0.1:" + std::to_string(40000 + id),
                                                "127.0.0.1:6379", nullptr, 0));
    clients_.back()->protocol = protocol;
    return *clients_.back();
  }

  // Runs one command of `client` in its own batch as an I/O thread does and returns everything
  // the client has received since the last call (its reply and any messages).
  std::string Run(Client& client, std::vector<std::string_view> argv) {
    Keyspace::Ticket ticket = 0;
    {
      MutexLock lock(&server_.exec_mutex());
      EXPECT_TRUE(ks_->BeginBatch().ok());
      DispatchCommand(server_, client, argv, keyspace_.now_ms);
      auto t = ks_->EndBatch();
      EXPECT_TRUE(t.ok());
      if (t.ok()) ticket = *t;
    }
    EXPECT_TRUE(ks_->WaitDurable(ticket).ok());
    return client.TakeOutput();
  }

  // The close path: services forget the client.
  void Close(Client& client) {
    MutexLock lock(&server_.exec_mutex());
    server_.NotifyClientClosed(client);
  }

  Server& server() { return server_; }
  FakeKeyspace& keyspace() { return keyspace_; }

 private:
  FakeKeyspace keyspace_;
  Keyspace* const ks_;
  CommandTable table_;
  Server server_;
  std::vector<std::unique_ptr<Client>> clients_;
};

}  // namespace larder::server::multi_testing

#endif  // LARDER_SERVER_MULTI_TEST_UTIL_H_
