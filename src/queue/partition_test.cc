#include "queue/partition.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <tuple>

#include "larder/file_system.h"
#include "larder/lsm/db.h"
#include "queue/partition_check.h"

namespace larder::queue {
namespace {

// The partition's rules, written plainly (docs/queue.md): seq numbers are handed out in the
// order the rules below consume them, so ids can be compared exactly.
class Model {
 public:
  struct Item {
    std::uint64_t origin = 0;
    std::string payload;
    std::uint32_t attempts = 0;
    std::int64_t expires = 0;
  };
  std::map<std::uint64_t, Item> ready;                               // seq
  std::map<std::uint64_t, std::pair<Item, std::int64_t>> leased;     // seq -> (item, deadline)
  std::map<std::pair<std::int64_t, std::uint64_t>, Item> scheduled;  // (due, seq)
  std::map<std::uint64_t, std::pair<Item, std::string>> outbox;      // seq -> (item, reason)
  std::uint64_t next_seq = 1;
  std::uint64_t dead = 0;

  void Enqueue(const Item& item, std::int64_t delay, std::int64_t now) {
    const std::uint64_t seq = next_seq++;
    if (delay > 0) {
      scheduled[{now + delay, seq}] = item;
    } else {
      ready[seq] = item;
    }
  }
  void ToOutbox(const Item& item, std::string reason) { outbox[next_seq++] = {item, reason}; }

  std::vector<std::string> Produce(const std::vector<std::string>& payloads, std::int64_t delay,
                                   const QueueSettings& s, std::int64_t now) {
    std::vector<std::string> ids;
    for (const std::string& p : payloads) {
      Item item{.origin = next_seq,
                .payload = p,
                .attempts = 0,
                .expires = s.expire_timeout_ms > 0 ? now + s.expire_timeout_ms : 0};
      ids.push_back("0-" + std::to_string(next_seq));
      Enqueue(item, delay, now);
    }
    return ids;
  }
  std::vector<LeasedItem> Lease(std::uint32_t n, const QueueSettings& s, std::int64_t now) {
    std::vector<LeasedItem> out;
    while (!ready.empty() && out.size() < n) {
      auto [seq, item] = *ready.begin();
      ready.erase(ready.begin());
      if (item.expires > 0 && now >= item.expires) {
        ToOutbox(item, "expired");
        continue;
      }
      ++item.attempts;
      leased[seq] = {item, now + s.lease_timeout_ms};
      out.push_back(
          {"0-" + std::to_string(seq), item.attempts, now + s.lease_timeout_ms, item.payload});
    }
    return out;
  }
  void EndLease(std::uint64_t seq, std::int64_t delay, bool dead_now, const QueueSettings& s,
                std::int64_t now) {
    Item item = leased.at(seq).first;
    leased.erase(seq);
    const bool used_up = s.max_attempts > 0 && item.attempts >= s.max_attempts;
    const bool expired = item.expires > 0 && now >= item.expires;
    if (dead_now || used_up || expired) {
      ToOutbox(item, dead_now ? "retry dead" : used_up ? "max attempts" : "expired");
    } else {
      Enqueue(item, delay, now);
    }
  }
  void Tick(const QueueSettings& s, std::int64_t now) {
    std::vector<std::pair<std::int64_t, std::uint64_t>> ending;
    for (auto& [seq, l] : leased) {
      if (l.second <= now) ending.push_back({l.second, seq});
    }
    std::sort(ending.begin(), ending.end());
    for (auto [d, seq] : ending) EndLease(seq, 0, false, s, now);
    // Expiry of ready and scheduled items, by (expires, origin).
    std::vector<std::tuple<std::int64_t, std::uint64_t, bool, std::uint64_t, std::int64_t>> exp;
    for (auto& [seq, item] : ready) {
      if (item.expires > 0 && item.expires <= now)
        exp.push_back({item.expires, item.origin, true, seq, 0});
    }
    for (auto& [key, item] : scheduled) {
      if (item.expires > 0 && item.expires <= now) {
        exp.push_back({item.expires, item.origin, false, key.second, key.first});
      }
    }
    std::sort(exp.begin(), exp.end());
    for (auto& [at, origin, is_ready, seq, due] : exp) {
      Item item = is_ready ? ready.at(seq) : scheduled.at({due, seq});
      if (is_ready) {
        ready.erase(seq);
      } else {
        scheduled.erase({due, seq});
      }
      ToOutbox(item, "expired");
    }
    while (!scheduled.empty() && scheduled.begin()->first.first <= now) {
      Item item = scheduled.begin()->second;
      scheduled.erase(scheduled.begin());
      Enqueue(item, 0, now);
    }
  }
};

class PartitionModelTest : public ::testing::Test {
 protected:
  void Open() {
    lsm::Options o;
    o.file_system = fs_.get();
    o.write_buffer_size = 64 << 10;  // flushes and compactions happen within the test
    auto db = lsm::DB::Open("/p", o);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto p = Partition::Open(0, std::unique_ptr<kv::Store>(std::move(*db)));
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    p_ = std::move(*p);
  }
  void Reopen() {
    ASSERT_TRUE(p_->Close().ok());
    p_.reset();
    Open();
  }
  // The offline checker (partition_check.h) finds nothing wrong in a store the partition wrote.
  void CheckStore() {
    PartitionCheckResult r;
    ASSERT_TRUE(CheckPartitionStore(*p_->store(), &r).ok());
    ASSERT_EQ(r.problem_count, 0u) << r.problems[0];
  }
  void CheckCounts(const Model& m) {
    const PartitionMeta& meta = p_->meta();
    ASSERT_EQ(meta.ready, m.ready.size());
    ASSERT_EQ(meta.leased, m.leased.size());
    ASSERT_EQ(meta.scheduled, m.scheduled.size());
    ASSERT_EQ(meta.outbox, m.outbox.size());
    ASSERT_EQ(meta.dead_lettered, m.dead);
  }

  std::unique_ptr<FileSystem> fs_ = NewMemFileSystem(std::size_t{64} << 20);
  std::unique_ptr<Partition> p_;
};

TEST_F(PartitionModelTest, RandomOperationsMatchTheModelAcrossReopens) {
  const std::uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  Open();
  Model m;
  QueueSettings s{.lease_timeout_ms = 50, .expire_timeout_ms = 0, .max_attempts = 3};
  std::int64_t now = 1'000'000;
  int leased_total = 0, expired_total = 0;
  for (int step = 0; step < 3000; ++step) {
    const int op = static_cast<int>(rng() % 100);
    if (op < 30) {
      std::vector<std::string> payloads;
      for (int i = 0, n = 1 + static_cast<int>(rng() % 5); i < n; ++i) {
        payloads.push_back("v" + std::to_string(step) + "." + std::to_string(i) +
                           std::string(rng() % 200, 'x'));
      }
      const std::int64_t delay = rng() % 4 == 0 ? 1 + static_cast<std::int64_t>(rng() % 100) : 0;
      std::vector<std::string_view> views(payloads.begin(), payloads.end());
      std::vector<std::string> ids;
      ASSERT_TRUE(p_->Produce(views, {.due_ms = delay > 0 ? now + delay : 0}, s, now, &ids).ok());
      ASSERT_EQ(ids, m.Produce(payloads, delay, s, now));
    } else if (op < 50) {
      const auto n = static_cast<std::uint32_t>(1 + rng() % 8);
      std::vector<LeasedItem> got;
      ASSERT_TRUE(p_->Lease(n, "client", s, now, &got).ok());
      const std::vector<LeasedItem> want = m.Lease(n, s, now);
      ASSERT_EQ(got.size(), want.size()) << "step " << step;
      for (std::size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(got[i].id, want[i].id);
        ASSERT_EQ(got[i].attempts, want[i].attempts);
        ASSERT_EQ(got[i].deadline_ms, want[i].deadline_ms);
        ASSERT_EQ(got[i].payload, want[i].payload);
      }
      leased_total += static_cast<int>(got.size());
    } else if (op < 65 && !m.leased.empty()) {
      std::vector<std::uint64_t> seqs;
      for (auto& [seq, l] : m.leased) {
        if (rng() % 2) seqs.push_back(seq);
      }
      for (auto seq : seqs) ASSERT_TRUE(p_->IsLeased(seq));
      ASSERT_TRUE(p_->Complete(seqs).ok());
      for (auto seq : seqs) m.leased.erase(seq);
    } else if (op < 75 && !m.leased.empty()) {
      std::vector<std::uint64_t> seqs;
      for (auto& [seq, l] : m.leased) {
        if (rng() % 3 == 0) seqs.push_back(seq);
      }
      const std::int64_t delay = rng() % 2 ? static_cast<std::int64_t>(rng() % 60) : 0;
      const bool dead = rng() % 8 == 0;
      ASSERT_TRUE(p_->Retry(seqs, delay, dead, s, now).ok());
      for (auto seq : seqs) m.EndLease(seq, delay, dead, s, now);
    } else if (op < 90) {
      now += static_cast<std::int64_t>(rng() % 40);
      ASSERT_TRUE(p_->Tick(s, now).ok());
      m.Tick(s, now);
    } else if (op < 94) {
      auto out = p_->Outbox(1000);
      ASSERT_TRUE(out.ok());
      ASSERT_EQ(out->size(), m.outbox.size());
      std::vector<std::uint64_t> drop;
      for (std::size_t i = 0; i < out->size(); ++i) {
        auto& [item, reason] = m.outbox.at((*out)[i].outbox_seq);
        ASSERT_EQ((*out)[i].payload, item.payload);
        ASSERT_EQ((*out)[i].attempts, item.attempts);
        ASSERT_EQ((*out)[i].reason, reason);
        if (rng() % 2) drop.push_back((*out)[i].outbox_seq);
      }
      ASSERT_TRUE(p_->DropFromOutbox(drop).ok());
      for (auto seq : drop) m.outbox.erase(seq);
      m.dead += drop.size();
      expired_total += static_cast<int>(drop.size());
    } else if (op < 98) {
      Reopen();
      CheckStore();
    } else if (op == 98) {
      // Items start to expire from here on (the settings of a QUPDATE apply to new items).
      s.expire_timeout_ms = s.expire_timeout_ms == 0 ? 120 : 0;
    } else if (rng() % 4 == 0) {
      ASSERT_TRUE(p_->Clear(7).ok());
      m.ready.clear();
      m.leased.clear();
      m.scheduled.clear();
      m.outbox.clear();
    }
    CheckCounts(m);
  }
  EXPECT_GT(leased_total, 500);  // the run exercised what it checks
  EXPECT_GT(expired_total, 0);
  Reopen();
  CheckCounts(m);
  CheckStore();
}

TEST_F(PartitionModelTest, LeaseCostDoesNotGrowWithTheDeletedHead) {
  // A head of completed items is never walked again: the lease seeks to the head kept in memory
  // (and in the meta record across a reopen).
  Open();
  QueueSettings s;
  std::vector<std::string> payloads(1000, std::string(10, 'p'));
  std::vector<std::string_view> views(payloads.begin(), payloads.end());
  for (int round = 0; round < 20; ++round) {
    std::vector<std::string> ids;
    ASSERT_TRUE(p_->Produce(views, {}, s, 1000, &ids).ok());
    std::vector<LeasedItem> got;
    ASSERT_TRUE(p_->Lease(1000, "c", s, 1000, &got).ok());
    ASSERT_EQ(got.size(), 1000u);
    std::vector<std::uint64_t> seqs;
    for (auto& g : got) seqs.push_back(std::stoull(g.id.substr(2)));
    ASSERT_TRUE(p_->Complete(seqs).ok());
  }
  EXPECT_EQ(p_->meta().ready_head, p_->meta().next_seq);
  Reopen();
  EXPECT_EQ(p_->meta().ready_head, p_->meta().next_seq);
  std::vector<std::string> ids;
  ASSERT_TRUE(p_->Produce(std::span(views).subspan(0, 1), {}, s, 1000, &ids).ok());
  EXPECT_EQ(ids[0], "0-" + std::to_string(20'001));
  auto st = p_->Stats(1500);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->ready, 1u);
  EXPECT_EQ(st->oldest_ms, 500);
}

}  // namespace
}  // namespace larder::queue
