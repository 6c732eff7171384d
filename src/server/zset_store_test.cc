// ZSetStore and its rank index against an in-memory model (std::map + a sorted vector), over a
// real Keyspace (bolt and the log) that is closed and reopened along the way (which empties the
// in-memory rank index: the next rank query rebuilds it). A small chunk limit makes the rank
// index split, rename and empty its chunks often.
#include "server/zset_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "server/keyspace.h"
#include "server/rank_cache.h"
#include "server/rank_index.h"
#include "server/zset_encoding.h"
#include "tests/util/temp_dir.h"

namespace larder::server {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

class ZSetModelTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void TearDown() override {
    if (ks_) {
      EXPECT_TRUE(ks_->Close().ok());
    }
  }
  void Open() {
    KeyspaceOptions o;
    o.dir = dir_.File("data");
    o.databases = 1;
    o.appendfsync = AppendFsync::kNo;
    auto ks = Keyspace::Open(o);
    ASSERT_TRUE(ks.ok()) << ks.status().ToString();
    ks_ = std::move(*ks);
  }
  void Restart() {
    ASSERT_TRUE(ks_->Close().ok());
    ks_.reset();
    Open();
  }
  Database& Begin() {
    EXPECT_TRUE(ks_->BeginBatch().ok());
    return ks_->db(0);
  }
  void End() {
    auto t = ks_->EndBatch();
    ASSERT_TRUE(t.ok()) << t.status().ToString();
  }

  test::TempDir dir_;
  std::unique_ptr<Keyspace> ks_;
};

// The model: member -> score, and the elements in Redis's order.
struct Model {
  std::map<std::string, double> scores;
  std::vector<ZMember> Sorted() const {
    std::vector<ZMember> v;
    for (const auto& [m, s] : scores) v.push_back({m, s});
    std::sort(v.begin(), v.end(), [](const ZMember& a, const ZMember& b) {
      if (a.score != b.score) return a.score < b.score;
      return a.member < b.member;
    });
    return v;
  }
};

ZSetLimits SmallLimits() {
  ZSetLimits l;
  l.chunk_max = 4;
  l.walk_ranks = 2;
  l.listpack_entries = 0;  // "skiplist" from the start: -0.0 is kept as given
  return l;
}

// Compares scores bit for bit except that it accepts any NaN (none should appear).
::testing::AssertionResult SameMembers(const std::vector<ZMember>& got,
                                       const std::vector<ZMember>& want) {
  if (got.size() != want.size()) {
    return ::testing::AssertionFailure() << "size " << got.size() << " != " << want.size();
  }
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (got[i].member != want[i].member || got[i].score != want[i].score ||
        std::signbit(got[i].score) != std::signbit(want[i].score)) {
      return ::testing::AssertionFailure()
             << "at " << i << ": " << got[i].member << "/" << got[i].score
             << " != " << want[i].member << "/" << want[i].score;
    }
  }
  return ::testing::AssertionSuccess();
}

TEST(ZSetEncodingTest, OrderedScoresSortAsDoubles) {
  const std::vector<double> v = {-kInf, -1e300, -2.5, -1, -1e-300, 0, 1e-300, 1, 2.5, 1e300, kInf};
  for (std::size_t i = 0; i + 1 < v.size(); ++i) {
    EXPECT_LT(zenc::Ordered(v[i]), zenc::Ordered(v[i + 1])) << v[i];
    EXPECT_EQ(zenc::FromOrdered(zenc::Ordered(v[i])), v[i]);
  }
  EXPECT_EQ(zenc::Ordered(-0.0), zenc::Ordered(0.0));
}

TEST(ZSetRangeTest, ParsesBounds) {
  auto b = ParseZScoreBound("(1.5");
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->exclusive);
  EXPECT_EQ(b->value, 1.5);
  EXPECT_EQ(ParseZScoreBound("-inf")->value, -kInf);
  EXPECT_EQ(ParseZScoreBound("+inf")->value, kInf);
  EXPECT_FALSE(ParseZScoreBound("nan"));
  EXPECT_FALSE(ParseZScoreBound("(a"));
  EXPECT_EQ(ParseZScoreBound("")->value, 0);  // strtod, as Redis
  EXPECT_FALSE(ParseZLexBound("a"));
  EXPECT_EQ(ParseZLexBound("-")->kind, ZLexBound::Kind::kMinusInf);
  EXPECT_EQ(ParseZLexBound("(ab")->value, "ab");
  ZScoreRange r{{1, true}, {1, false}};
  EXPECT_TRUE(r.Empty());
}

TEST_F(ZSetModelTest, RandomOperationsMatchTheModelAcrossRestarts) {
  std::mt19937_64 rng(20261202);
  Model model;
  const std::vector<double> specials = {-kInf, -2.5, -0.0, 0, 1, 3.5, kInf};
  const auto random_score = [&]() -> double {
    if (rng() % 4 == 0) return specials[rng() % specials.size()];
    return static_cast<double>(static_cast<int>(rng() % 40) - 10);
  };
  const auto random_member = [&] { return "m" + std::to_string(rng() % 300); };
  const auto random_bound = [&](bool allow_inf) {
    ZScoreBound b;
    b.value = allow_inf && rng() % 5 == 0 ? specials[rng() % specials.size()] : random_score();
    b.exclusive = rng() % 2 == 0;
    return b;
  };
  int checks = 0;
  int cached_checks = 0;
  for (int round = 0; round < 160; ++round) {
    Database& db = Begin();
    ZSetStore z(db, "z", SmallLimits());
    auto state = z.Load();
    ASSERT_TRUE(state.ok());
    ASSERT_EQ(*state, model.scores.empty() ? ZSetStore::State::kMissing : ZSetStore::State::kZSet);
    const int ops = 1 + static_cast<int>(rng() % 30);
    for (int op = 0; op < ops; ++op) {
      const int kind = static_cast<int>(rng() % 100);
      if (kind < 55) {
        const std::string m = random_member();
        const double s = random_score();
        const std::uint32_t flags = std::vector<std::uint32_t>{
            0, 0, kZAddNx, kZAddXx, kZAddGt, kZAddLt, kZAddIncr, kZAddIncr | kZAddGt}[rng() % 8];
        auto r = z.Add(m, s, flags);
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        auto it = model.scores.find(m);
        double want = s;
        if ((flags & kZAddIncr) && it != model.scores.end()) want = it->second + s;
        if (std::isnan(want)) {
          EXPECT_EQ(r->outcome, ZAddOutcome::kNaN);
          continue;
        }
        bool apply = it == model.scores.end() ? !(flags & kZAddXx) : !(flags & kZAddNx);
        if (it != model.scores.end() && (flags & kZAddGt) && !(want > it->second)) apply = false;
        if (it != model.scores.end() && (flags & kZAddLt) && !(want < it->second)) apply = false;
        if (apply && (it == model.scores.end() || it->second != want)) {
          model.scores[m] = want;
          EXPECT_EQ(r->outcome,
                    it == model.scores.end() ? ZAddOutcome::kAdded : ZAddOutcome::kUpdated);
        } else if (!apply) {
          EXPECT_EQ(r->outcome, ZAddOutcome::kNotApplied);
        }
      } else if (kind < 70) {
        const std::string m = random_member();
        auto r = z.Remove(m);
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(*r, model.scores.erase(m) == 1);
      } else if (kind < 76) {
        const bool max = rng() % 2 == 0;
        const std::uint64_t count = rng() % 6;
        auto r = z.Pop(max, count);
        ASSERT_TRUE(r.ok());
        auto sorted = model.Sorted();
        if (max) std::reverse(sorted.begin(), sorted.end());
        sorted.resize(std::min<std::size_t>(sorted.size(), count));
        EXPECT_TRUE(SameMembers(*r, sorted));
        for (const auto& e : sorted) model.scores.erase(e.member);
      } else if (kind < 80) {
        ZScoreRange range{random_bound(true), random_bound(true)};
        auto r = z.RemoveRangeByScore(range);
        ASSERT_TRUE(r.ok());
        std::uint64_t n = 0;
        for (auto it = model.scores.begin(); it != model.scores.end();) {
          if (range.Contains(it->second)) {
            it = model.scores.erase(it);
            ++n;
          } else {
            ++it;
          }
        }
        EXPECT_EQ(*r, n);
      } else if (kind < 83 && !model.scores.empty()) {
        const std::uint64_t a = rng() % model.scores.size();
        const std::uint64_t b = a + rng() % 8;
        auto sorted = model.Sorted();
        auto r = z.RemoveRangeByRank(a, b);
        ASSERT_TRUE(r.ok());
        std::uint64_t n = 0;
        for (std::uint64_t i = a; i <= b && i < sorted.size(); ++i, ++n) {
          model.scores.erase(sorted[i].member);
        }
        EXPECT_EQ(*r, n);
      } else {
        // Reads.
        ++checks;
        const auto sorted = model.Sorted();
        EXPECT_EQ(z.card(), sorted.size());
        const std::string m = random_member();
        auto rank = z.Rank(m, rng() % 2 == 0);
        ASSERT_TRUE(rank.ok());
        auto found = std::find_if(sorted.begin(), sorted.end(),
                                  [&](const ZMember& e) { return e.member == m; });
        if (found == sorted.end()) {
          EXPECT_FALSE(rank->has_value());
        } else {
          ASSERT_TRUE(rank->has_value());
          const auto fwd = static_cast<std::uint64_t>(found - sorted.begin());
          EXPECT_TRUE(**rank == fwd || **rank == sorted.size() - 1 - fwd);
        }
        if (!sorted.empty()) {
          const std::uint64_t a = rng() % sorted.size();
          const std::uint64_t b = a + rng() % 10;
          const bool rev = rng() % 2 == 0;
          auto r = z.RangeByRank(a, b, rev);
          ASSERT_TRUE(r.ok());
          auto want = sorted;
          if (rev) std::reverse(want.begin(), want.end());
          want = std::vector<ZMember>(
              want.begin() + static_cast<std::ptrdiff_t>(a),
              want.begin() +
                  static_cast<std::ptrdiff_t>(std::min<std::uint64_t>(b + 1, sorted.size())));
          EXPECT_TRUE(SameMembers(*r, want)) << "rank " << a << ".." << b << " rev " << rev;
        }
        ZScoreRange range{random_bound(true), random_bound(true)};
        const bool rev = rng() % 2 == 0;
        ZLimit limit{static_cast<std::int64_t>(rng() % 4),
                     static_cast<std::int64_t>(rng() % 6) - 1};
        auto r = z.RangeByScore(range, rev, limit);
        ASSERT_TRUE(r.ok());
        std::vector<ZMember> in;
        for (const auto& e : sorted) {
          if (range.Contains(e.score)) in.push_back(e);
        }
        EXPECT_EQ(*z.CountByScore(range), in.size());
        if (rev) std::reverse(in.begin(), in.end());
        std::vector<ZMember> want;
        for (std::size_t i = static_cast<std::size_t>(limit.offset); i < in.size(); ++i) {
          if (limit.count >= 0 && want.size() >= static_cast<std::size_t>(limit.count)) break;
          want.push_back(in[i]);
        }
        EXPECT_TRUE(SameMembers(*r, want));
        auto score = z.Score(m);
        ASSERT_TRUE(score.ok());
        EXPECT_EQ(score->has_value(), found != sorted.end());
      }
    }
    ASSERT_TRUE(z.Commit().ok());
    if (z.exists()) {
      auto info = db.Lookup("z");
      ASSERT_TRUE(info.ok() && info->has_value());
      RankIndex index(db, (*info)->version, "s", SmallLimits().chunk_max);
      if (index.cached()) ++cached_checks;
      Status s = index.Check(model.scores.size());
      ASSERT_TRUE(s.ok()) << s.ToString() << " round " << round;
      ASSERT_EQ(db.rank_cache()->distrusted(), 0u) << " round " << round;
    } else {
      auto info = db.Lookup("z");
      ASSERT_TRUE(info.ok());
      EXPECT_FALSE(info->has_value());
    }
    End();
    if (round % 20 == 19) Restart();
  }
  EXPECT_GT(checks, 100);
  EXPECT_GT(cached_checks, 100);  // the rank index was in memory and checked, not rebuilt
}

TEST_F(ZSetModelTest, LexRangesOverEqualScores) {
  std::mt19937_64 rng(7);
  std::vector<std::string> members;
  Database& db = Begin();
  ZSetStore z(db, "lex", SmallLimits());
  ASSERT_TRUE(z.Load().ok());
  for (int i = 0; i < 120; ++i) {
    std::string m(1 + rng() % 3, 'a');
    for (char& c : m) c = static_cast<char>('a' + rng() % 5);
    if (z.Add(m, 7, 0)->outcome == ZAddOutcome::kAdded) members.push_back(m);
  }
  std::sort(members.begin(), members.end());
  const auto random_bound = [&] {
    ZLexBound b;
    const int k = static_cast<int>(rng() % 10);
    if (k == 0) b.kind = ZLexBound::Kind::kMinusInf;
    if (k == 1) b.kind = ZLexBound::Kind::kPlusInf;
    b.value = std::string(1, static_cast<char>('a' + rng() % 5));
    if (rng() % 2) b.value.push_back(static_cast<char>('a' + rng() % 5));
    b.exclusive = rng() % 2 == 0;
    return b;
  };
  for (int i = 0; i < 300; ++i) {
    ZLexRange range{random_bound(), random_bound()};
    std::vector<ZMember> want;
    for (const auto& m : members) {
      if (range.Contains(m)) want.push_back({m, 7});
    }
    EXPECT_EQ(*z.CountByLex(range), want.size());
    const bool rev = i % 2 == 1;
    if (rev) std::reverse(want.begin(), want.end());
    const std::int64_t offset = static_cast<std::int64_t>(rng() % 3);
    want.erase(want.begin(), want.begin() + std::min<std::ptrdiff_t>(offset, want.size()));
    auto got = z.RangeByLex(range, rev, ZLimit{offset, -1});
    ASSERT_TRUE(got.ok());
    EXPECT_TRUE(SameMembers(*got, want)) << i;
  }
  ASSERT_TRUE(z.Commit().ok());
  End();
}

}  // namespace
}  // namespace larder::server
