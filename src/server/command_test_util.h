// Test-only: runs command handlers in-process, through the dispatcher's ResolveCommand and
// ExecuteResolved, over a Keyspace (a std::map-backed fake here, or a real one), and decodes the
// RESP replies into short strings for assertions.
//
//   CommandHarness h(Backing::kEngine);      // a real Keyspace (bolt) in a temporary dir
//   CommandHarness h(Backing::kMap);         // a std::map keyspace (MapKeyspace)
//   EXPECT_EQ(h.Run({"HSET", "h", "f", "v"}), "1");
//   EXPECT_EQ(h.Run({"HGETALL", "h"}), "[f,v]");   // RESP3 maps: "{f:v}"
//
// Reply text: integers as digits, bulk strings as themselves, null "(nil)", simple strings as
// themselves, errors as "-ERR ...", arrays/sets/pushes "[a,b]", maps "{k:v,...}", doubles
// as written. Thread-safety: none (one test thread).
#ifndef LARDER_SERVER_COMMAND_TEST_UTIL_H_
#define LARDER_SERVER_COMMAND_TEST_UTIL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "larder/clock.h"
#include "server/client.h"
#include "server/command.h"
#include "server/config.h"
#include "server/dispatcher.h"
#include "server/keyspace.h"
#include "server/server.h"
#include "tests/util/temp_dir.h"

namespace larder::server::testing {

// A Database over std::map with lazy expiry against a clock the test sets.
class MapDatabase : public Database {
 public:
  struct Entry {
    ValueType type = ValueType::kString;
    std::int64_t expire_at_ms = 0;
    std::string value;
    std::map<std::string, std::string> members;
    std::int64_t last_access_ms = 0;
  };

  MapDatabase(int index, const std::int64_t* now_ms) : index_(index), now_ms_(now_ms) {}
  int index() const override { return index_; }

  Result<std::optional<KeyInfo>> Lookup(std::string_view key, std::string* value) override {
    Entry* e = Find(key);
    if (e == nullptr) return std::optional<KeyInfo>();
    KeyInfo info;
    info.type = e->type;
    info.expire_at_ms = e->expire_at_ms;
    info.size = e->type == ValueType::kString ? e->value.size() : e->members.size();
    info.last_access_ms = e->last_access_ms;
    if (value != nullptr && e->type == ValueType::kString) *value = e->value;
    return std::optional<KeyInfo>(info);
  }
  Status SetString(std::string_view key, std::string_view value,
                   const SetStringOptions& options) override {
    Entry* old = Find(key);
    const std::int64_t keep = old != nullptr && options.keep_ttl ? old->expire_at_ms : 0;
    Entry& e = map_[std::string(key)] = Entry{};
    e.value = value;
    e.expire_at_ms = options.keep_ttl ? keep : options.expire_at_ms;
    e.last_access_ms = *now_ms_;
    return Status::Ok();
  }
  Result<bool> Delete(std::string_view key) override {
    if (Find(key) == nullptr) return false;
    map_.erase(std::string(key));
    return true;
  }
  Result<bool> SetExpire(std::string_view key, std::int64_t expire_at_ms) override {
    Entry* e = Find(key);
    if (e == nullptr) return false;
    if (expire_at_ms != 0 && expire_at_ms <= *now_ms_) {
      map_.erase(std::string(key));
      return true;
    }
    e->expire_at_ms = expire_at_ms;
    return true;
  }
  Result<std::optional<std::string>> GetMember(std::string_view key,
                                               std::string_view member) override {
    Entry* e = Find(key);
    if (e == nullptr) return std::optional<std::string>();
    auto it = e->members.find(std::string(member));
    if (it == e->members.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Result<bool> SetMember(std::string_view key, ValueType type, std::string_view member,
                         std::string_view value) override {
    Entry* e = Find(key);
    if (e == nullptr) {
      e = &map_[std::string(key)];
      e->type = type;
    }
    e->last_access_ms = *now_ms_;
    return e->members.insert_or_assign(std::string(member), std::string(value)).second;
  }
  Result<bool> DeleteMember(std::string_view key, std::string_view member) override {
    Entry* e = Find(key);
    if (e == nullptr || e->members.erase(std::string(member)) == 0) return false;
    if (e->members.empty()) map_.erase(std::string(key));
    return true;
  }
  Result<std::unique_ptr<Cursor>> Members(std::string_view key, std::string_view start) override {
    std::vector<std::pair<std::string, std::string>> items;
    if (Entry* e = Find(key)) {
      for (auto it = e->members.lower_bound(std::string(start)); it != e->members.end(); ++it) {
        items.emplace_back(it->first, it->second);
      }
    }
    return std::unique_ptr<Cursor>(new VectorCursor(std::move(items)));
  }
  Result<std::unique_ptr<Cursor>> Keys(std::string_view start) override {
    std::vector<std::pair<std::string, std::string>> items;
    for (auto it = map_.lower_bound(std::string(start)); it != map_.end(); ++it) {
      if (!Expired(it->second)) items.emplace_back(it->first, "");
    }
    return std::unique_ptr<Cursor>(new VectorCursor(std::move(items)));
  }
  Result<std::uint64_t> KeyCount() override { return static_cast<std::uint64_t>(map_.size()); }
  Result<std::uint64_t> ExpiringKeyCount() override {
    std::uint64_t n = 0;
    for (const auto& [k, e] : map_) n += e.expire_at_ms != 0 ? 1 : 0;
    return n;
  }
  Result<std::optional<std::string>> RandomKey() override {
    std::vector<std::string> live;
    for (const auto& [k, e] : map_) {
      if (!Expired(e)) live.push_back(k);
    }
    if (live.empty()) return std::optional<std::string>();
    return std::optional<std::string>(
        live[std::uniform_int_distribution<std::size_t>(0, live.size() - 1)(rng_)]);
  }
  Result<bool> CopyKey(std::string_view src, Database& target, std::string_view dst,
                       bool replace) override {
    Entry* e = Find(src);
    if (e == nullptr) return false;
    auto& to = static_cast<MapDatabase&>(target);
    if (to.Find(dst) != nullptr && !replace) return false;
    Entry copy = *e;
    to.map_[std::string(dst)] = std::move(copy);
    return true;
  }
  Result<bool> RenameKey(std::string_view src, std::string_view dst) override {
    Entry* e = Find(src);
    if (e == nullptr) return false;
    Entry moved = std::move(*e);
    map_.erase(std::string(src));
    map_[std::string(dst)] = std::move(moved);
    return true;
  }
  void Touch(std::string_view key) override {
    if (Entry* e = Find(key)) e->last_access_ms = *now_ms_;
  }

  std::map<std::string, Entry>& map() { return map_; }

 private:
  class VectorCursor : public Cursor {
   public:
    explicit VectorCursor(std::vector<std::pair<std::string, std::string>> items)
        : items_(std::move(items)) {}
    bool Valid() const override { return at_ < items_.size(); }
    void Next() override { ++at_; }
    std::string_view key() const override { return items_[at_].first; }
    std::string_view value() const override { return items_[at_].second; }
    const Status& status() const override { return status_; }

   private:
    std::vector<std::pair<std::string, std::string>> items_;
    std::size_t at_ = 0;
    Status status_;
  };

  bool Expired(const Entry& e) const { return e.expire_at_ms != 0 && e.expire_at_ms <= *now_ms_; }
  // The live entry of `key`; an expired one is deleted (lazy expiry).
  Entry* Find(std::string_view key) {
    auto it = map_.find(std::string(key));
    if (it == map_.end()) return nullptr;
    if (Expired(it->second)) {
      map_.erase(it);
      return nullptr;
    }
    return &it->second;
  }

  const int index_;
  const std::int64_t* now_ms_;
  std::map<std::string, Entry> map_;
  std::mt19937_64 rng_{42};
};

class MapKeyspace : public Keyspace {
 public:
  MapKeyspace(int databases, const std::int64_t* now_ms) {
    for (int i = 0; i < databases; ++i) dbs_.push_back(std::make_unique<MapDatabase>(i, now_ms));
  }
  int databases() const override { return static_cast<int>(dbs_.size()); }
  void AddObserver(KeyspaceObserver*) override {}
  void RemoveObserver(KeyspaceObserver*) override {}
  Status BeginBatch() override { return Status::Ok(); }
  Database& db(int index) override { return *dbs_[static_cast<std::size_t>(index)]; }
  Result<Ticket> EndBatch() override { return Ticket{0}; }
  Status WaitDurable(Ticket) override { return Status::Ok(); }
  Status FlushDb(int index) override {
    dbs_[static_cast<std::size_t>(index)]->map().clear();
    return Status::Ok();
  }
  Status FlushAll() override {
    for (auto& db : dbs_) db->map().clear();
    return Status::Ok();
  }
  Status SwapDb(int, int) override { return Status::NotSupported("fake"); }
  Status Save() override { return Status::Ok(); }
  Status BackgroundSave() override { return Status::Ok(); }
  Result<std::uint64_t> ActiveExpireCycle(std::uint64_t) override { return std::uint64_t{0}; }
  Status MaybeCheckpoint() override { return Status::Ok(); }
  void SetAppendFsync(AppendFsync) override {}
  KeyspaceStats stats() const override { return {}; }
  Status Close() override { return Status::Ok(); }

  MapDatabase& map_db(int index) { return *dbs_[static_cast<std::size_t>(index)]; }

 private:
  std::vector<std::unique_ptr<MapDatabase>> dbs_;
};

// Decodes one RESP2/RESP3 reply at `*pos` of `in` into the text form described above.
inline std::string DecodeReply(std::string_view in, std::size_t* pos) {
  const char type = in[*pos];
  const std::size_t eol = in.find("\r\n", *pos);
  const std::string line(in.substr(*pos + 1, eol - *pos - 1));
  *pos = eol + 2;
  switch (type) {
    case '+':
    case ':':
    case ',':
      return line;
    case '-':
      return "-" + line;
    case '_':
      return "(nil)";
    case '#':
      return line == "t" ? "1" : "0";
    case '$':
    case '=': {
      if (line == "-1") return "(nil)";
      const std::size_t n = std::stoul(line);
      std::string s(in.substr(*pos, n));
      *pos += n + 2;
      return type == '=' ? s.substr(4) : s;
    }
    case '*':
    case '~':
    case '>':
    case '%': {
      if (line == "-1") return "(nil)";
      const std::size_t n = std::stoul(line);
      std::string s(type == '%' ? "{" : "[");
      for (std::size_t i = 0; i < n; ++i) {
        if (i > 0) s += ",";
        s += DecodeReply(in, pos);
        if (type == '%') s += ":" + DecodeReply(in, pos);
      }
      return s + (type == '%' ? "}" : "]");
    }
    default:
      return "?" + line;
  }
}

// The elements of a decoded flat array reply ("[a,b,c]" -> {"a","b","c"}; elements must not
// contain ','). Not an array: a test failure and no elements.
inline std::vector<std::string> SplitFlatReply(const std::string& reply) {
  std::vector<std::string> items;
  if (reply.size() < 2 || reply.front() != '[' || reply.back() != ']') {
    ADD_FAILURE() << "not an array reply: " << reply;
    return items;
  }
  const std::string list = reply.substr(1, reply.size() - 2);
  for (std::size_t at = 0; at <= list.size();) {
    std::size_t end = list.find(',', at);
    if (end == std::string::npos) end = list.size();
    items.push_back(list.substr(at, end - at));
    at = end + 1;
  }
  return items;
}

// A decoded SCAN/HSCAN reply ("[cursor,[a,b]]"): the next cursor and the elements.
struct ScanStep {
  std::string cursor;
  std::vector<std::string> items;
};
inline ScanStep ParseScanReply(const std::string& reply) {
  ScanStep step;
  const std::size_t comma = reply.find(',');
  if (reply.size() < 5 || reply[0] != '[' || comma == std::string::npos) {
    ADD_FAILURE() << "not a scan reply: " << reply;
    step.cursor = "0";
    return step;
  }
  step.cursor = reply.substr(1, comma - 1);
  const std::string list = reply.substr(comma + 2, reply.size() - comma - 4);
  for (std::size_t at = 0; at < list.size();) {
    std::size_t end = list.find(',', at);
    if (end == std::string::npos) end = list.size();
    step.items.push_back(list.substr(at, end - at));
    at = end + 1;
  }
  return step;
}

// The WRONGTYPE error as CommandHarness::Run renders it.
inline constexpr const char* kWrongTypeReply =
    "-WRONGTYPE Operation against a key holding the wrong kind of value";

enum class Backing { kMap, kEngine };
inline std::string BackingName(const ::testing::TestParamInfo<Backing>& info) {
  return info.param == Backing::kMap ? "Map" : "Engine";
}

// A Server and one Client over a keyspace, with the command families given registered
// (key, hash and compat by default). The command clock (now_ms) is also the engine keyspace's
// clock.
class CommandHarness {
 public:
  using Registrar = void (*)(CommandTable&);
  explicit CommandHarness(Backing backing = Backing::kEngine,
                          std::vector<Registrar> families = {
                              RegisterKeyCommands, RegisterHashCommands, RegisterCompatCommands}) {
    if (backing == Backing::kMap) {
      map_ = std::make_unique<MapKeyspace>(16, &now_ms_);
      keyspace_ = map_.get();
    } else {
      dir_ = std::make_unique<test::TempDir>();
      clock_.SetUnixMicros(static_cast<std::uint64_t>(now_ms_) * 1000);
      KeyspaceOptions options;
      options.dir = dir_->File("data");
      options.clock = &clock_;
      options.appendfsync = AppendFsync::kNo;
      auto opened = Keyspace::Open(options);
      EXPECT_TRUE(opened.ok()) << opened.status().ToString();
      if (opened.ok()) engine_ = std::move(*opened);
      keyspace_ = engine_.get();
    }
    for (Registrar r : families) r(table_);
    server_ = std::make_unique<Server>(ServerConfig{}, keyspace_, &table_);
    client_ = std::make_unique<Client>(1, -1, "127.0.0.1:1", "127.0.0.1:2", nullptr, now_ms_);
  }

  // The decoded reply; RunRaw gives the RESP bytes.
  std::string Run(const std::vector<std::string>& args) {
    const std::string raw = RunRaw(args);
    std::size_t pos = 0;
    std::string decoded = DecodeReply(raw, &pos);
    return pos == raw.size() ? decoded : decoded + " <trailing bytes>";
  }
  std::string RunRaw(const std::vector<std::string>& args) {
    std::vector<std::string_view> argv(args.begin(), args.end());
    std::string error;
    std::string full_name;
    const CommandSpec* spec = ResolveCommand(*server_, argv, &error, &full_name);
    if (spec == nullptr) return "-" + error + "\r\n";
    std::string out;
    if (keyspace_ == nullptr || !keyspace_->BeginBatch().ok()) return "-batch\r\n";
    ExecuteResolved(*server_, *client_, *spec, argv, now_ms_, &out);
    if (!keyspace_->EndBatch().ok()) return "-batch end\r\n";
    return out;
  }

  // A string value (no SET here: the string commands are another family's).
  void SetString(const std::string& key, const std::string& value, std::int64_t expire_at_ms = 0) {
    if (keyspace_ == nullptr || !keyspace_->BeginBatch().ok()) return;
    SetStringOptions options;
    options.expire_at_ms = expire_at_ms;
    (void)keyspace_->db(client_->db).SetString(key, value, options);
    (void)keyspace_->EndBatch();
  }

  ~CommandHarness() {
    server_.reset();
    if (engine_) {
      EXPECT_TRUE(engine_->Close().ok());
    }
  }

  void set_now_ms(std::int64_t now) {
    now_ms_ = now;
    clock_.SetUnixMicros(static_cast<std::uint64_t>(now_ms_) * 1000);
  }
  std::int64_t now_ms() const { return now_ms_; }
  void Advance(std::int64_t ms) { set_now_ms(now_ms_ + ms); }
  void set_protocol(int protocol) { client_->protocol = protocol; }
  void select(int db) { client_->db = db; }
  MapKeyspace* map_keyspace() { return map_.get(); }
  Server& server() { return *server_; }

 private:
  std::int64_t now_ms_ = Server::NowMs();  // the server's own times (start, access) are real
  std::unique_ptr<MapKeyspace> map_;
  std::unique_ptr<test::TempDir> dir_;  // declared before engine_: outlives it
  ManualClock clock_;
  std::unique_ptr<Keyspace> engine_;
  Keyspace* keyspace_ = nullptr;
  CommandTable table_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<Client> client_;
};
// The key and hash families' tests call it by this name.
using KeysHarness = CommandHarness;

}  // namespace larder::server::testing

#endif  // LARDER_SERVER_COMMAND_TEST_UTIL_H_
