// A randomized model test: random key, expiry and hash commands run through the handlers over
// a keyspace (the std::map one and the real bolt one), each reply compared with the reply a
// std::map model of Redis's semantics predicts.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "server/args.h"
#include "server/command_test_util.h"

namespace larder::server {
namespace {

using testing::Backing;
using testing::KeysHarness;
using testing::kWrongTypeReply;

struct Value {
  bool is_hash = false;
  std::string str;
  std::map<std::string, std::string> hash;
  std::int64_t expire_at_ms = 0;
};

class Model {
 public:
  // The live value of `key` in `db` (expired values are dropped).
  Value* Find(int db, const std::string& key, std::int64_t now) {
    auto& m = dbs_[db];
    auto it = m.find(key);
    if (it == m.end()) return nullptr;
    if (it->second.expire_at_ms != 0 && it->second.expire_at_ms <= now) {
      m.erase(it);
      return nullptr;
    }
    return &it->second;
  }
  std::map<std::string, Value>& db(int index) { return dbs_[index]; }
  std::vector<std::string> LiveKeys(int db, std::int64_t now) {
    std::vector<std::string> keys;
    for (auto& [k, v] : dbs_[db]) {
      if (v.expire_at_ms == 0 || v.expire_at_ms > now) keys.push_back(k);
    }
    return keys;
  }

 private:
  std::map<std::string, Value> dbs_[2];
};

std::string Join(const std::vector<std::string>& items) {
  std::string s = "[";
  for (std::size_t i = 0; i < items.size(); ++i) s += (i ? "," : "") + items[i];
  return s + "]";
}

class KeyHashModelTest : public ::testing::TestWithParam<Backing> {};

TEST_P(KeyHashModelTest, RandomCommandsMatchTheModel) {
  KeysHarness h(GetParam());
  Model model;
  std::mt19937 rng(20261201);
  int db = 0;
  const auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const auto key = [&] { return "k" + std::to_string(pick(6)); };
  const auto field = [&] { return "f" + std::to_string(pick(5)); };
  const int steps = 6000;
  for (int step = 0; step < steps; ++step) {
    const std::int64_t now = h.now_ms();
    const std::string k = key();
    Value* v = model.Find(db, k, now);
    std::vector<std::string> cmd;
    std::string want;
    switch (pick(20)) {
      case 0: {  // a string value, through the Database API
        const std::string s = std::to_string(pick(100));
        h.SetString(k, s);
        model.db(db)[k] = Value{false, s, {}, 0};
        continue;
      }
      case 1:
      case 2: {
        cmd = {"HSET", k};
        int added = 0;
        std::map<std::string, std::string> pairs;
        for (int n = 1 + pick(3); n > 0; --n) {
          const std::string f = field(), val = "v" + std::to_string(pick(50));
          cmd.push_back(f);
          cmd.push_back(val);
          pairs[f] = val;
        }
        if (v && !v->is_hash) {
          want = kWrongTypeReply;
          break;
        }
        if (!v) v = &(model.db(db)[k] = Value{true, "", {}, 0});
        for (auto& [f, val] : pairs) added += v->hash.count(f) ? 0 : 1;
        for (std::size_t i = 2; i < cmd.size(); i += 2) v->hash[cmd[i]] = cmd[i + 1];
        want = std::to_string(added);
        break;
      }
      case 3: {
        const std::string f = field();
        cmd = {"HDEL", k, f};
        if (v && !v->is_hash) {
          want = kWrongTypeReply;
        } else if (!v || v->hash.erase(f) == 0) {
          want = "0";
        } else {
          want = "1";
          if (v->hash.empty()) model.db(db).erase(k);
        }
        break;
      }
      case 4: {
        const std::string f = field();
        cmd = {"HGET", k, f};
        if (v && !v->is_hash) {
          want = kWrongTypeReply;
        } else {
          want = v && v->hash.count(f) ? v->hash[f] : "(nil)";
        }
        break;
      }
      case 5: {
        const std::string f = field();
        const int by = pick(21) - 10;
        cmd = {"HINCRBY", k, f, std::to_string(by)};
        if (v && !v->is_hash) {
          want = kWrongTypeReply;
          break;
        }
        if (v && v->hash.count(f) && !ParseInt64(v->hash[f])) {
          want = "-ERR hash value is not an integer";
          break;
        }
        if (!v) v = &(model.db(db)[k] = Value{true, "", {}, 0});
        const std::int64_t n = (v->hash.count(f) ? std::stoll(v->hash[f]) : 0) + by;
        v->hash[f] = std::to_string(n);
        want = std::to_string(n);
        break;
      }
      case 6: {
        cmd = {"HGETALL", k};
        if (v && !v->is_hash) {
          want = kWrongTypeReply;
          break;
        }
        std::vector<std::string> items;
        if (v) {
          for (auto& [f, val] : v->hash) {
            items.push_back(f);
            items.push_back(val);
          }
        }
        want = Join(items);
        break;
      }
      case 7: {
        cmd = {"HLEN", k};
        want = v && !v->is_hash ? kWrongTypeReply : std::to_string(v ? v->hash.size() : 0);
        break;
      }
      case 8: {
        const std::string f = field();
        cmd = {"HSETNX", k, f, "nx"};
        if (v && !v->is_hash) {
          want = kWrongTypeReply;
        } else if (v && v->hash.count(f)) {
          want = "0";
        } else {
          if (!v) v = &(model.db(db)[k] = Value{true, "", {}, 0});
          v->hash[f] = "nx";
          want = "1";
        }
        break;
      }
      case 9: {
        const std::string k2 = key();
        cmd = {"DEL", k, k2};
        int n = 0;
        if (v) {
          model.db(db).erase(k);
          ++n;
        }
        if (k2 != k && model.Find(db, k2, now)) {
          model.db(db).erase(k2);
          ++n;
        }
        want = std::to_string(n);
        break;
      }
      case 10: {
        cmd = {"TYPE", k};
        want = !v ? "none" : v->is_hash ? "hash" : "string";
        break;
      }
      case 11:
      case 12: {
        const bool nx = pick(2) == 0;
        const std::string k2 = key();
        cmd = {nx ? "RENAMENX" : "RENAME", k, k2};
        if (!v) {
          want = "-ERR no such key";
        } else if (k == k2) {
          want = nx ? "0" : "OK";
        } else if (nx && model.Find(db, k2, now)) {
          want = "0";
        } else {
          Value moved = *v;
          model.db(db).erase(k);
          model.db(db)[k2] = moved;
          want = nx ? "1" : "OK";
        }
        break;
      }
      case 13: {
        const std::string k2 = key();
        const int to = pick(2);
        const bool replace = pick(2) == 0;
        cmd = {"COPY", k, k2, "DB", std::to_string(to)};
        if (replace) cmd.push_back("REPLACE");
        if (to == db && k == k2) {
          want = "-ERR source and destination objects are the same";
        } else if (!v || (!replace && model.Find(to, k2, now))) {
          want = "0";
        } else {
          model.db(to)[k2] = *v;
          want = "1";
        }
        break;
      }
      case 14: {
        const int to = 1 - db;
        cmd = {"MOVE", k, std::to_string(to)};
        if (!v || model.Find(to, k, now)) {
          want = "0";
        } else {
          model.db(to)[k] = *v;
          model.db(db).erase(k);
          want = "1";
        }
        break;
      }
      case 15: {
        const std::int64_t ms = pick(3000) - 200;
        cmd = {"PEXPIRE", k, std::to_string(ms)};
        if (!v) {
          want = "0";
        } else {
          if (ms <= 0) {
            model.db(db).erase(k);
          } else {
            v->expire_at_ms = now + ms;
          }
          want = "1";
        }
        break;
      }
      case 16: {
        cmd = {pick(2) ? "PTTL" : "PERSIST", k};
        if (cmd[0] == "PTTL") {
          want = !v ? "-2" : v->expire_at_ms == 0 ? "-1" : std::to_string(v->expire_at_ms - now);
        } else {
          want = v && v->expire_at_ms != 0 ? "1" : "0";
          if (v) v->expire_at_ms = 0;
        }
        break;
      }
      case 17: {
        cmd = {"KEYS", "*"};
        want = Join(model.LiveKeys(db, now));
        break;
      }
      case 18: {
        cmd = {"EXISTS", k, k, key()};
        int n = v ? 2 : 0;
        n += model.Find(db, cmd[3], now) ? 1 : 0;
        want = std::to_string(n);
        break;
      }
      case 19: {  // time passes, or the client switches database
        if (pick(2) == 0) {
          h.Advance(pick(400));
        } else {
          db = 1 - db;
          h.select(db);
        }
        continue;
      }
    }
    ASSERT_EQ(h.Run(cmd), want) << "step " << step << ": " << Join(cmd);
  }
  // A full SCAN of each database sees exactly the model's live keys.
  for (int d = 0; d < 2; ++d) {
    h.select(d);
    std::string cursor = "0";
    std::vector<std::string> seen;
    do {
      const testing::ScanStep step = testing::ParseScanReply(h.Run({"SCAN", cursor, "COUNT", "2"}));
      cursor = step.cursor;
      seen.insert(seen.end(), step.items.begin(), step.items.end());
    } while (cursor != "0");
    EXPECT_EQ(seen, model.LiveKeys(d, h.now_ms())) << "db " << d;
  }
}

INSTANTIATE_TEST_SUITE_P(Backings, KeyHashModelTest,
                         ::testing::Values(Backing::kMap, Backing::kEngine), testing::BackingName);

}  // namespace
}  // namespace larder::server
