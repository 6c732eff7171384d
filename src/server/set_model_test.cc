// A randomized model test of the set encoding: random set commands run through the handlers over
// a real (bolt) keyspace that is closed and reopened every few hundred steps, each reply compared
// with what a std::set model predicts (SPOP/SRANDMEMBER: by shape and membership, the model then
// following the server's choice). Big sets (more members than a rank chunk holds) are included.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "server/command_test_util.h"

namespace larder::server {
namespace {

using Model = std::map<std::string, std::set<std::string>>;

// A Server over a Keyspace in a directory that survives Reopen().
class SetModelHarness {
 public:
  SetModelHarness() {
    RegisterSetCommands(table_);
    RegisterKeyCommands(table_);
    Open();
  }
  ~SetModelHarness() { Close(); }

  void Reopen() {
    Close();
    Open();
  }

  std::string Run(const std::vector<std::string>& args) {
    std::vector<std::string_view> argv(args.begin(), args.end());
    std::string error, full_name;
    const CommandSpec* spec = ResolveCommand(*server_, argv, &error, &full_name);
    if (spec == nullptr) return "-" + error;
    std::string out;
    if (!keyspace_->BeginBatch().ok()) return "-batch";
    ExecuteResolved(*server_, *client_, *spec, argv, Server::NowMs(), &out);
    if (!keyspace_->EndBatch().ok()) return "-batch end";
    std::size_t pos = 0;
    return testing::DecodeReply(out, &pos);
  }

 private:
  void Open() {
    KeyspaceOptions options;
    options.dir = dir_.File("data");
    options.appendfsync = AppendFsync::kNo;
    auto opened = Keyspace::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    keyspace_ = std::move(*opened);
    server_ = std::make_unique<Server>(ServerConfig{}, keyspace_.get(), &table_);
    client_ =
        std::make_unique<Client>(1, -1, "127.0.0.1:1", "127.0.0.1:2", nullptr, Server::NowMs());
  }
  void Close() {
    client_.reset();
    server_.reset();
    if (keyspace_) {
      EXPECT_TRUE(keyspace_->Close().ok());
    }
    keyspace_.reset();
  }

  test::TempDir dir_;
  CommandTable table_;
  std::unique_ptr<Keyspace> keyspace_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<Client> client_;
};

std::string Join(const std::set<std::string>& items) {
  std::string s = "[";
  for (const std::string& item : items) s += (s.size() > 1 ? "," : "") + item;
  return s + "]";
}

// "[a,b]" -> {"a","b"} (members here never contain ',' '[' or ']').
std::multiset<std::string> Split(const std::string& reply) {
  std::multiset<std::string> out;
  if (reply.size() <= 2) return out;
  const std::string body = reply.substr(1, reply.size() - 2);
  for (std::size_t at = 0;;) {
    const std::size_t end = body.find(',', at);
    out.insert(body.substr(at, end == std::string::npos ? std::string::npos : end - at));
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return out;
}

TEST(SetModelTest, RandomCommandsMatchAStdSetAcrossRestarts) {
  SetModelHarness h;
  Model model;
  std::mt19937 rng(20261202);
  const auto pick = [&](unsigned n) { return rng() % n; };
  const auto key = [&] { return "k" + std::to_string(pick(4)); };
  // Mostly small members (collisions), sometimes one of a wide range (big sets).
  const auto member = [&] {
    return pick(2) == 0 ? "m" + std::to_string(pick(4000)) : std::to_string(pick(40));
  };
  const auto set_of = [&](const std::string& k) -> const std::set<std::string>& {
    static const std::set<std::string> kEmpty;
    auto it = model.find(k);
    return it == model.end() ? kEmpty : it->second;
  };
  const int steps = 4000;
  std::size_t biggest = 0;  // big sets (several rank chunks) must be exercised
  for (int step = 0; step < steps; ++step) {
    for (const auto& [name, members] : model) biggest = std::max(biggest, members.size());
    if (step % 500 == 499) h.Reopen();
    const std::string k = key();
    std::vector<std::string> cmd;
    std::string want;
    switch (pick(12)) {
      case 0:
      case 1: {  // SADD with many members: grows big sets
        cmd = {"SADD", k};
        int added = 0;
        const int n = 1 + static_cast<int>(pick(step < 2000 ? 400 : 8));
        for (int i = 0; i < n; ++i) {
          cmd.push_back(member());
          added += model[k].insert(cmd.back()).second ? 1 : 0;
        }
        want = std::to_string(added);
        break;
      }
      case 2: {
        cmd = {"SREM", k, member(), member()};
        int removed = 0;
        for (std::size_t i = 2; i < cmd.size(); ++i) removed += model[k].erase(cmd[i]) ? 1 : 0;
        if (model[k].empty()) model.erase(k);
        want = std::to_string(removed);
        break;
      }
      case 3: {
        const std::string m = member();
        cmd = {"SISMEMBER", k, m};
        want = set_of(k).count(m) ? "1" : "0";
        break;
      }
      case 4:
        cmd = {"SCARD", k};
        want = std::to_string(set_of(k).size());
        break;
      case 5:
        cmd = {"SMEMBERS", k};
        want = Join(set_of(k));
        break;
      case 6: {
        const std::string dst = key(), m = member();
        cmd = {"SMOVE", k, dst, m};
        const bool moved = set_of(k).count(m) > 0;
        want = moved ? "1" : "0";
        if (moved && dst != k) {
          model[k].erase(m);
          if (model[k].empty()) model.erase(k);
          model[dst].insert(m);
        }
        break;
      }
      case 7: {  // the STORE forms
        const std::string a = key(), b = key();
        const std::string dst = pick(4) == 0 ? k : "dst";
        const int op = static_cast<int>(pick(3));
        cmd = {op == 0 ? "SINTERSTORE" : op == 1 ? "SUNIONSTORE" : "SDIFFSTORE", dst, a, b};
        std::set<std::string> result;
        const std::set<std::string>&sa = set_of(a), &sb = set_of(b);
        for (const std::string& m : sa) {
          if (op == 1 || (op == 0) == (sb.count(m) > 0)) result.insert(m);
        }
        if (op == 1) result.insert(sb.begin(), sb.end());
        want = std::to_string(result.size());
        if (result.empty()) {
          model.erase(dst);
        } else {
          model[dst] = result;
        }
        break;
      }
      case 8: {  // SPOP with a count: the model follows the server's choice
        const std::uint64_t count = pick(6);
        cmd = {"SPOP", k, std::to_string(count)};
        const std::string reply = h.Run(cmd);
        const std::multiset<std::string> popped = Split(reply);
        const std::set<std::string>& s = set_of(k);
        ASSERT_EQ(popped.size(), std::min<std::uint64_t>(count, s.size())) << reply;
        for (const std::string& m : popped) {
          ASSERT_EQ(s.count(m), 1u) << "popped a non-member " << m;
          ASSERT_EQ(popped.count(m), 1u) << "popped twice " << m;
        }
        for (const std::string& m : popped) model[k].erase(m);
        if (model[k].empty()) model.erase(k);
        continue;
      }
      case 9: {  // SRANDMEMBER, positive or negative count
        const std::int64_t count = static_cast<std::int64_t>(pick(11)) - 5;
        cmd = {"SRANDMEMBER", k, std::to_string(count)};
        const std::multiset<std::string> picks = Split(h.Run(cmd));
        const std::set<std::string>& s = set_of(k);
        const std::size_t n =
            count < 0 ? static_cast<std::size_t>(-count) : std::min<std::size_t>(count, s.size());
        ASSERT_EQ(picks.size(), s.empty() ? 0 : n);
        for (const std::string& m : picks) {
          ASSERT_EQ(s.count(m), 1u) << m;
          if (count > 0) {
            ASSERT_EQ(picks.count(m), 1u) << m;
          }
        }
        continue;
      }
      case 10: {
        const std::string a = key();
        cmd = {"SINTER", k, a};
        std::set<std::string> result;
        for (const std::string& m : set_of(k)) {
          if (set_of(a).count(m)) result.insert(m);
        }
        want = Join(result);
        break;
      }
      default:
        if (pick(4) != 0) {
          cmd = {"SCARD", k};
          want = std::to_string(set_of(k).size());
          break;
        }
        cmd = {"DEL", k};
        want = model.erase(k) ? "1" : "0";
        break;
    }
    ASSERT_EQ(h.Run(cmd), want) << "step " << step << ": " << cmd[0] << " " << cmd[1];
  }
  EXPECT_GT(biggest, 1024u);
  // Everything survives a final restart.
  h.Reopen();
  for (int i = 0; i < 4; ++i) {
    const std::string k = "k" + std::to_string(i);
    EXPECT_EQ(h.Run({"SMEMBERS", k}), Join(set_of(k)));
    EXPECT_EQ(h.Run({"SCARD", k}), std::to_string(set_of(k).size()));
  }
}

}  // namespace
}  // namespace larder::server
