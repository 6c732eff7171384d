// A randomized model test: a stream of string and bitmap commands over a few keys runs through
// the handlers and against a std::map model with straightforward reference semantics; every
// reply and, at the end, every key's value must agree.
#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "server/args.h"
#include "server/string_test_util.h"

namespace larder::server::testing {
namespace {

using Model = std::map<std::string, std::string>;

// Reference integer parsing: "0", or an optional '-' then a non-zero digit then digits, in range.
std::optional<std::int64_t> RefInt(const std::string& s) {
  bool neg = !s.empty() && s[0] == '-';
  std::string digits = neg ? s.substr(1) : s;
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return {};
  if (digits[0] == '0' && (digits.size() > 1 || neg)) return {};
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return {};
  return v;
}

bool RefBit(const std::string& s, std::int64_t i) {
  auto byte = static_cast<std::size_t>(i / 8);
  return byte < s.size() && ((static_cast<unsigned char>(s[byte]) >> (7 - i % 8)) & 1);
}

// Redis index normalization for GETRANGE/BITCOUNT over `len` units; empty when nothing is left.
std::optional<std::pair<std::int64_t, std::int64_t>> RefRange(std::int64_t s, std::int64_t e,
                                                              std::int64_t len) {
  if (s < 0 && e < 0 && s > e) return {};
  auto norm = [len](std::int64_t x) { return x < 0 ? std::max<std::int64_t>(0, len + x) : x; };
  s = norm(s);
  e = std::min(norm(e), len - 1);
  if (s > e) return {};
  return std::make_pair(s, e);
}

class StringModelTest : public StringsTest {
 protected:
  std::string Pick(const std::vector<std::string>& from) {
    return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(rng_)];
  }
  std::int64_t Uniform(std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng_);
  }
  std::string Value() {
    static const std::vector<std::string> kValues = {"",   "0",   "1",     "-7",       "42", "abc",
                                                     "01", "x y", "hello", "\xff\x00", "9"};
    std::string v = Pick(kValues);
    if (v == "\xff") v.push_back('\0');
    return v;
  }
  std::string Key() { return Pick({"a", "b", "c", "d"}); }
  std::string Get(const std::string& k) {
    auto it = model_.find(k);
    return it == model_.end() ? kNil : Bulk(it->second);
  }

  // Runs one random command and checks its reply against the model.
  void Step(int step) {
    std::vector<std::string> argv;
    std::string want;
    std::string k = Key();
    switch (Uniform(0, 15)) {
      case 0: {  // SET [NX|XX] [GET]
        std::string v = Value();
        argv = {"SET", k, v};
        int cond = static_cast<int>(Uniform(0, 2));
        bool get = Uniform(0, 1) == 1;
        if (cond == 1) argv.push_back("NX");
        if (cond == 2) argv.push_back("XX");
        if (get) argv.push_back("GET");
        bool exists = model_.count(k) > 0;
        std::string old = Get(k);
        if ((cond == 1 && exists) || (cond == 2 && !exists)) {
          want = get ? old : kNil;
        } else {
          model_[k] = v;
          want = get ? old : kOk;
        }
        break;
      }
      case 1:
        argv = {"GET", k};
        want = Get(k);
        break;
      case 2:
        argv = {"GETSET", k, Value()};
        want = Get(k);
        model_[k] = argv[2];
        break;
      case 3:
        argv = {"GETDEL", k};
        want = Get(k);
        model_.erase(k);
        break;
      case 4: {
        std::string k2 = Key();
        argv = {"MSETNX", k, Value(), k2, Value()};
        bool any = model_.count(k) + model_.count(k2) > 0;
        if (!any) {
          model_[k] = argv[2];
          model_[k2] = argv[4];
        }
        want = Int(any ? 0 : 1);
        break;
      }
      case 5: {
        argv = {"MGET", k, Key(), "zz"};
        want = "*3\r\n" + Get(argv[1]) + Get(argv[2]) + kNil;
        break;
      }
      case 6:
        argv = {"APPEND", k, Value()};
        model_[k] += argv[2];
        want = Int(static_cast<std::int64_t>(model_[k].size()));
        break;
      case 7: {
        std::int64_t by = Uniform(-3, 3);
        argv = {"INCRBY", k, std::to_string(by)};
        std::optional<std::int64_t> cur = model_.count(k) ? RefInt(model_[k]) : 0;
        if (!cur) {
          want = Err(errors::kNotInteger);
        } else {
          model_[k] = std::to_string(*cur + by);
          want = Int(*cur + by);
        }
        break;
      }
      case 8: {
        std::int64_t s = Uniform(-6, 6), e = Uniform(-6, 6);
        argv = {"GETRANGE", k, std::to_string(s), std::to_string(e)};
        std::string v = model_.count(k) ? model_[k] : "";
        auto r = RefRange(s, e, static_cast<std::int64_t>(v.size()));
        want = Bulk(r ? v.substr(r->first, r->second - r->first + 1) : "");
        break;
      }
      case 9: {
        std::int64_t off = Uniform(0, 12);
        std::string v = Value();
        argv = {"SETRANGE", k, std::to_string(off), v};
        std::string cur = model_.count(k) ? model_[k] : "";
        if (!v.empty()) {
          std::string next = cur;
          for (std::size_t i = 0; i < v.size(); ++i) {
            std::size_t at = static_cast<std::size_t>(off) + i;
            if (next.size() <= at) next.resize(at + 1, '\0');
            next[at] = v[i];
          }
          model_[k] = next;
          cur = next;
        }
        want = Int(static_cast<std::int64_t>(cur.size()));
        break;
      }
      case 10: {
        std::int64_t bit = Uniform(0, 40);
        bool on = Uniform(0, 1) == 1;
        argv = {"SETBIT", k, std::to_string(bit), on ? "1" : "0"};
        std::string& v = model_[k];
        want = Int(RefBit(v, bit) ? 1 : 0);
        if (v.size() <= static_cast<std::size_t>(bit / 8)) v.resize(bit / 8 + 1, '\0');
        unsigned char mask = 0x80u >> (bit % 8);
        v[bit / 8] = static_cast<char>(on ? (v[bit / 8] | mask) : (v[bit / 8] & ~mask));
        break;
      }
      case 11: {
        std::int64_t bit = Uniform(0, 40);
        argv = {"GETBIT", k, std::to_string(bit)};
        want = Int(model_.count(k) && RefBit(model_[k], bit) ? 1 : 0);
        break;
      }
      case 12: {
        bool bits = Uniform(0, 1) == 1;
        std::int64_t s = Uniform(-20, 20), e = Uniform(-20, 20);
        argv = {"BITCOUNT", k, std::to_string(s), std::to_string(e), bits ? "BIT" : "BYTE"};
        std::string v = model_.count(k) ? model_[k] : "";
        auto unit = static_cast<std::int64_t>(bits ? 1 : 8);
        auto r = RefRange(s, e, static_cast<std::int64_t>(v.size()) * 8 / unit);
        std::int64_t count = 0;
        if (r && model_.count(k)) {
          for (std::int64_t i = r->first * unit; i < (r->second + 1) * unit; ++i) {
            count += RefBit(v, i);
          }
        }
        want = Int(count);
        break;
      }
      case 13: {
        std::string op = Pick({"AND", "OR", "XOR"});
        std::string x = Key(), y = Key();
        argv = {"BITOP", op, k, x, y};
        std::string vx = model_.count(x) ? model_[x] : "";
        std::string vy = model_.count(y) ? model_[y] : "";
        std::size_t n = std::max(vx.size(), vy.size());
        vx.resize(n, '\0');
        vy.resize(n, '\0');
        std::string out(n, '\0');
        for (std::size_t i = 0; i < n; ++i) {
          int a = static_cast<unsigned char>(vx[i]), b = static_cast<unsigned char>(vy[i]);
          out[i] = static_cast<char>(op == "AND" ? (a & b) : op == "OR" ? (a | b) : (a ^ b));
        }
        if (n == 0) {
          model_.erase(k);
        } else {
          model_[k] = out;
        }
        want = Int(static_cast<std::int64_t>(n));
        break;
      }
      case 14:
        argv = {"STRLEN", k};
        want = Int(model_.count(k) ? static_cast<std::int64_t>(model_[k].size()) : 0);
        break;
      default:
        argv = {"SETNX", k, Value()};
        want = Int(model_.count(k) ? 0 : 1);
        model_.emplace(k, argv[2]);
        break;
    }
    std::vector<std::string_view> views(argv.begin(), argv.end());
    std::string got = Run(views);
    std::string text;
    for (const std::string& a : argv) text += a + " ";
    ASSERT_EQ(got, want) << "step " << step << ": " << text;
  }

  std::mt19937_64 rng_{20261201};
  Model model_;
};

TEST_P(StringModelTest, RandomCommandsAgreeWithTheModel) {
  for (int step = 0; step < 3000; ++step) {
    ASSERT_NO_FATAL_FAILURE(Step(step));
  }
  for (const std::string k : {"a", "b", "c", "d"}) EXPECT_EQ(Run({"GET", k}), Get(k)) << k;
  EXPECT_FALSE(model_.empty());  // the stream did build state
}

INSTANTIATE_TEST_SUITE_P(Keyspaces, StringModelTest, ::testing::ValuesIn(KeyspaceKinds()));

}  // namespace
}  // namespace larder::server::testing
