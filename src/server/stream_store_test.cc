// The stream encoding: ID parsing, and a randomized model test of StreamKey against std::map
// (appends, XDEL-style deletes, exact and approximate trims, pending entries and consumers) on a
// real keyspace reopened now and then.
#include "server/stream_store.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tests/util/temp_dir.h"

namespace larder::server::streams {
namespace {

TEST(StreamStoreIdTest, ParsesRedisSyntax) {
  EXPECT_EQ(ParseId("5", 0, true), (StreamId{5, 0}));
  EXPECT_EQ(ParseId("5", UINT64_MAX, true), (StreamId{5, UINT64_MAX}));
  EXPECT_EQ(ParseId("5-7", 0, true), (StreamId{5, 7}));
  EXPECT_EQ(ParseId("18446744073709551615-18446744073709551615", 0, true), kMaxId);
  EXPECT_FALSE(ParseId("18446744073709551616", 0, true));
  EXPECT_FALSE(ParseId("-", 0, true));
  EXPECT_EQ(ParseId("-", 0, false), StreamId{});
  EXPECT_EQ(ParseId("+", 0, false), kMaxId);
  EXPECT_FALSE(ParseId("a-1", 0, false));
  EXPECT_FALSE(ParseId("1-", 0, false));
  EXPECT_FALSE(ParseId("", 0, false));
  EXPECT_FALSE(ParseId("1-*", 0, false));  // only where a seq may be generated
  bool seq_given = true;
  EXPECT_EQ(ParseId("9-*", 0, true, &seq_given), (StreamId{9, 0}));
  EXPECT_FALSE(seq_given);
  EXPECT_EQ(StreamId(3, 4).ToString(), "3-4");
}

TEST(StreamStoreIdTest, IncrementAndDecrementCarry) {
  StreamId id{1, UINT64_MAX};
  ASSERT_TRUE(Increment(&id));
  EXPECT_EQ(id, (StreamId{2, 0}));
  ASSERT_TRUE(Decrement(&id));
  EXPECT_EQ(id, (StreamId{1, UINT64_MAX}));
  StreamId max = kMaxId;
  EXPECT_FALSE(Increment(&max));
  StreamId zero;
  EXPECT_FALSE(Decrement(&zero));
}

TEST(StreamStoreIdTest, EstimatesReadCounterAsRedis) {
  StreamMeta m;
  EXPECT_EQ(EstimateDistance(m, 0, StreamId{1, 0}), 0);  // never used
  m.entries_added = 5;
  m.last_id = {5, 0};
  m.first_id = {3, 0};
  EXPECT_EQ(EstimateDistance(m, 3, StreamId{5, 0}), 5);
  EXPECT_EQ(EstimateDistance(m, 3, StreamId{6, 0}), -1);
  EXPECT_EQ(EstimateDistance(m, 3, StreamId{3, 0}), 3);
  EXPECT_EQ(EstimateDistance(m, 3, StreamId{2, 0}), 2);
  EXPECT_EQ(EstimateDistance(m, 3, StreamId{4, 0}), -1);
  m.max_deleted = {4, 0};  // a tombstone after the first entry
  EXPECT_EQ(EstimateDistance(m, 3, StreamId{2, 0}), -1);
  EXPECT_TRUE(RangeHasTombstones(m, 3, StreamId{4, 0}, kMaxId));
  EXPECT_FALSE(RangeHasTombstones(m, 3, StreamId{4, 1}, kMaxId));
}

class StreamStoreModelTest : public ::testing::Test {
 protected:
  void Open() {
    KeyspaceOptions options;
    options.dir = dir_.File("data");
    options.appendfsync = AppendFsync::kNo;
    auto opened = Keyspace::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    keyspace_ = std::move(*opened);
  }
  void TearDown() override {
    if (keyspace_) {
      EXPECT_TRUE(keyspace_->Close().ok());
    }
  }
  StreamKey Load(Database& db, bool create) {
    auto info = db.Lookup("s");
    EXPECT_TRUE(info.ok());
    if (*info) {
      auto s = StreamKey::Open(db, "s", **info);
      EXPECT_TRUE(s.ok()) << s.status().ToString();
      return std::move(*s);
    }
    EXPECT_TRUE(create);
    auto s = StreamKey::Create(db, "s");
    EXPECT_TRUE(s.ok());
    return std::move(*s);
  }

  test::TempDir dir_;
  std::unique_ptr<Keyspace> keyspace_;
};

TEST_F(StreamStoreModelTest, RandomEditsMatchAMap) {
  Open();
  std::mt19937_64 rng(20261202);
  std::map<StreamId, std::string> model;
  StreamId last;
  std::uint64_t added = 0;
  const NodeLimits limits{.max_entries = 5, .max_bytes = 4096};
  for (int step = 0; step < 1500; ++step) {
    ASSERT_TRUE(keyspace_->BeginBatch().ok());
    Database& db = keyspace_->db(0);
    StreamKey s = Load(db, true);
    const int op = static_cast<int>(rng() % 10);
    if (op < 5 || model.empty()) {
      StreamId id = last;
      id.ms += rng() % 3;
      ASSERT_TRUE(Increment(&id));
      const std::string value = std::to_string(rng() % 1000);
      const std::string_view fields[] = {"f", value};
      ASSERT_TRUE(s.Append(id, fields, limits).ok());
      model[id] = value;
      last = id;
      ++added;
    } else if (op < 8) {
      // Delete an existing entry or a missing ID.
      auto it = model.begin();
      std::advance(it, static_cast<long>(rng() % model.size()));
      StreamId id = it->first;
      if (rng() % 4 == 0) ++id.seq;
      auto gone = s.Delete(id);
      ASSERT_TRUE(gone.ok());
      EXPECT_EQ(*gone, model.erase(id) == 1);
    } else {
      TrimSpec spec;
      spec.approx = rng() % 2 == 0;
      spec.limit = spec.approx ? 500 : 0;
      if (rng() % 2 == 0) {
        spec.strategy = TrimStrategy::kMaxLen;
        spec.maxlen = rng() % (model.size() + 2);
      } else {
        spec.strategy = TrimStrategy::kMinId;
        spec.minid = std::next(model.begin(), static_cast<long>(rng() % model.size()))->first;
      }
      auto trimmed = s.Trim(spec);
      ASSERT_TRUE(trimmed.ok());
      // Trims remove a prefix; exact ones exactly what the threshold says, approximate ones
      // no more than it.
      std::int64_t expect_max = 0;
      for (const auto& [id, v] : model) {
        const bool over = spec.strategy == TrimStrategy::kMaxLen
                              ? model.size() - static_cast<std::size_t>(expect_max) > spec.maxlen
                              : id < spec.minid;
        if (!over) break;
        ++expect_max;
      }
      if (spec.approx) {
        EXPECT_LE(*trimmed, expect_max);
      } else {
        EXPECT_EQ(*trimmed, expect_max);
      }
      for (std::int64_t i = 0; i < *trimmed; ++i) model.erase(model.begin());
    }
    if (op >= 5 && op < 8) {  // XDEL keeps the first ID as the command does
      if (s.length() == 0) {
        s.mutable_meta().first_id = StreamId{};
      } else if (!model.empty() && s.meta().first_id < model.begin()->first) {
        auto first = s.EdgeId(true);
        ASSERT_TRUE(first.ok());
        s.mutable_meta().first_id = **first;
      }
    }
    ASSERT_TRUE(s.Commit().ok());
    ASSERT_TRUE(keyspace_->EndBatch().ok());

    if (step % 300 == 299) {
      ASSERT_TRUE(keyspace_->Close().ok());
      keyspace_.reset();
      Open();
    }
    if (step % 25 != 0 && step != 1499) continue;
    ASSERT_TRUE(keyspace_->BeginBatch().ok());
    StreamKey r = Load(keyspace_->db(0), false);
    ASSERT_EQ(r.length(), model.size());
    EXPECT_EQ(r.meta().last_id, last);
    EXPECT_EQ(r.meta().entries_added, added);
    EXPECT_EQ(r.meta().first_id, model.empty() ? StreamId{} : model.begin()->first);
    // The node records: as many as the metadata says, each holding at most max_entries entries
    // (live + deleted), so there are at least length / 5.
    {
      auto nodes = keyspace_->db(0).Records(r.info().version, "n");
      ASSERT_TRUE(nodes.ok());
      std::uint64_t n = 0;
      for (; (*nodes)->Valid() && (*nodes)->key()[0] == 'n'; (*nodes)->Next()) {
        if (n++ == 0) {
          EXPECT_EQ((*nodes)->key().substr(1), EntryRecord(r.meta().first_node).substr(1));
        }
      }
      EXPECT_EQ(n, r.meta().nodes);
      EXPECT_GE(n * limits.max_entries, model.size());
    }
    auto all = r.Range(StreamId{}, kMaxId, 0);
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), model.size());
    auto it = model.begin();
    for (const Entry& e : *all) {
      EXPECT_EQ(e.id, it->first);
      ASSERT_EQ(e.fields.size(), 2u);
      EXPECT_EQ(e.fields[1], it->second);
      ++it;
    }
    if (!model.empty()) {
      // A reverse range from the middle.
      const StreamId mid = std::next(model.begin(), static_cast<long>(model.size() / 2))->first;
      auto rev = r.Range(StreamId{}, mid, 3, /*reverse=*/true);
      ASSERT_TRUE(rev.ok());
      auto m = model.upper_bound(mid);
      for (const Entry& e : *rev) {
        --m;
        EXPECT_EQ(e.id, m->first);
      }
    }
    ASSERT_TRUE(keyspace_->EndBatch().ok());
  }
}

TEST_F(StreamStoreModelTest, GroupsPendingAndConsumers) {
  Open();
  ASSERT_TRUE(keyspace_->BeginBatch().ok());
  Database& db = keyspace_->db(0);
  StreamKey s = Load(db, true);
  GroupMeta g;
  g.gid = 7;
  g.entries_read = -1;
  ASSERT_TRUE(s.PutGroup("grp", g).ok());
  for (std::uint64_t i = 1; i <= 6; ++i) {
    PendingEntry pe;
    pe.id = {i, 0};
    pe.delivery_time = static_cast<std::int64_t>(100 + i);
    pe.delivery_count = i;
    pe.consumer = i % 2 == 0 ? "even" : "odd";
    ASSERT_TRUE(s.PutPending(g.gid, pe).ok());
  }
  ASSERT_TRUE(s.PutConsumer(g.gid, ConsumerMeta{.name = "odd", .seen_time = 5, .pending = 3}).ok());
  ASSERT_TRUE(s.Commit().ok());
  ASSERT_TRUE(keyspace_->EndBatch().ok());

  ASSERT_TRUE(keyspace_->BeginBatch().ok());
  StreamKey r = Load(keyspace_->db(0), false);
  auto all = r.PendingRange(7, std::nullopt, StreamId{2, 0}, StreamId{5, 0}, 0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].consumer, "even");
  EXPECT_EQ((*all)[1].delivery_count, 3u);
  auto odd = r.PendingRange(7, std::string("odd"), StreamId{}, kMaxId, 2, /*reverse=*/true);
  ASSERT_TRUE(odd.ok());
  ASSERT_EQ(odd->size(), 2u);
  EXPECT_EQ((*odd)[0].id, (StreamId{5, 0}));
  EXPECT_EQ((*odd)[1].id, (StreamId{3, 0}));
  auto c = r.GetConsumer(7, "odd");
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->pending, 3u);
  auto groups = r.Groups();
  ASSERT_TRUE(groups.ok());
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ((*groups)[0].first, "grp");
  ASSERT_TRUE(r.DestroyGroup("grp", (*groups)[0].second).ok());
  auto none = r.PendingRange(7, std::nullopt, StreamId{}, kMaxId, 0);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto consumers = r.Consumers(7);
  ASSERT_TRUE(consumers.ok());
  EXPECT_TRUE(consumers->empty());
  ASSERT_TRUE(keyspace_->EndBatch().ok());
}

}  // namespace
}  // namespace larder::server::streams
