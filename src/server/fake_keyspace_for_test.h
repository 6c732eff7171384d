// Tests only: a Keyspace over std::map with strings only, enough to run the dispatcher, the
// connection commands and the event loop without the engine. A test can make the next batch
// or handler fail (fail_end_batch, fail_writes) to exercise the engine-error paths.
//
// Thread-safety: as Keyspace's contract (the execution lock serializes every call).
#ifndef LARDER_SERVER_FAKE_KEYSPACE_FOR_TEST_H_
#define LARDER_SERVER_FAKE_KEYSPACE_FOR_TEST_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "server/keyspace.h"

namespace larder::server::testing {

class FakeDatabase : public Database {
 public:
  explicit FakeDatabase(int index) : index_(index) {}
  int index() const override { return index_; }
  Result<std::optional<KeyInfo>> Lookup(std::string_view key, std::string* value) override {
    auto it = data_.find(std::string(key));
    if (it == data_.end()) return std::optional<KeyInfo>();
    if (value != nullptr) *value = it->second;
    KeyInfo info;
    info.size = it->second.size();
    return std::optional<KeyInfo>(info);
  }
  Status SetString(std::string_view key, std::string_view value, const SetStringOptions&) override {
    if (fail_writes) return Status::IOError("injected write failure");
    data_[std::string(key)] = std::string(value);
    return Status::Ok();
  }
  Result<bool> Delete(std::string_view key) override { return data_.erase(std::string(key)) > 0; }
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
  Result<std::uint64_t> KeyCount() override { return std::uint64_t{data_.size()}; }
  Result<std::optional<std::string>> RandomKey() override { return Unsupported(); }
  Result<bool> CopyKey(std::string_view, Database&, std::string_view, bool) override {
    return Unsupported();
  }
  Result<bool> RenameKey(std::string_view, std::string_view) override { return Unsupported(); }
  void Touch(std::string_view) override {}

  bool fail_writes = false;

 private:
  static Status Unsupported() { return Status::NotSupported("fake keyspace"); }
  int index_;
  std::map<std::string, std::string> data_;
};

class FakeKeyspace : public Keyspace {
 public:
  explicit FakeKeyspace(int databases = 16) {
    for (int i = 0; i < databases; ++i) dbs_.push_back(std::make_unique<FakeDatabase>(i));
  }
  int databases() const override { return static_cast<int>(dbs_.size()); }
  void SetObserver(KeyspaceObserver*) override {}
  Status BeginBatch() override {
    in_batch = true;
    ++batches;
    return Status::Ok();
  }
  Database& db(int index) override { return *dbs_[static_cast<std::size_t>(index)]; }
  FakeDatabase& fake_db(int index) { return *dbs_[static_cast<std::size_t>(index)]; }
  Result<Ticket> EndBatch() override {
    in_batch = false;
    if (fail_end_batch) return Status::IOError("injected log failure");
    return ++ticket_;
  }
  Status WaitDurable(Ticket) override { return Status::Ok(); }
  Status FlushDb(int) override { return Status::Ok(); }
  Status FlushAll() override { return Status::Ok(); }
  Status SwapDb(int, int) override { return Status::Ok(); }
  Status Save() override { return Status::Ok(); }
  Status BackgroundSave() override { return Status::Ok(); }
  Result<std::uint64_t> ActiveExpireCycle(std::uint64_t) override {
    ++expire_cycles;
    return std::uint64_t{0};
  }
  Status MaybeCheckpoint() override { return Status::Ok(); }
  void SetAppendFsync(AppendFsync mode) override { appendfsync = mode; }
  KeyspaceStats stats() const override { return {}; }
  Status Close() override { return Status::Ok(); }

  bool in_batch = false;
  bool fail_end_batch = false;
  int batches = 0;
  int expire_cycles = 0;
  AppendFsync appendfsync = AppendFsync::kEverySec;

 private:
  std::vector<std::unique_ptr<FakeDatabase>> dbs_;
  Ticket ticket_ = 0;
};

}  // namespace larder::server::testing

#endif  // LARDER_SERVER_FAKE_KEYSPACE_FOR_TEST_H_
