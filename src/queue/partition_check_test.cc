// The partition checker on a store made by Partition (ready, leased, scheduled, expiring and
// outboxed items), then on the same store damaged on purpose, one kind of damage at a time:
// each must be reported, naming the key.
#include "queue/partition_check.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "larder/lsm/db.h"
#include "queue/item_format.h"
#include "queue/partition.h"

namespace larder::queue {
namespace {

std::unique_ptr<Partition> MakePartition() {
  lsm::Options o;
  o.in_memory = true;
  auto db = lsm::DB::Open("/qcheck", o);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  auto p = Partition::Open(0, std::unique_ptr<kv::Store>(std::move(*db)));
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return std::move(*p);
}

// 10 items expiring at 1000 + 60000, 3 leased, 1 of them retried DEAD (outbox), 2 scheduled.
std::unique_ptr<Partition> Filled() {
  auto p = MakePartition();
  const QueueSettings s{.lease_timeout_ms = 30'000, .expire_timeout_ms = 60'000};
  std::vector<std::string_view> payloads(10, "payload");
  std::vector<std::string> ids;
  EXPECT_TRUE(p->Produce(payloads, {}, s, 1000, &ids).ok());
  EXPECT_TRUE(p->Produce({payloads.data(), 2}, {.due_ms = 9000}, s, 1000, &ids).ok());
  std::vector<LeasedItem> leased;
  EXPECT_TRUE(p->Lease(3, "c", s, 2000, &leased).ok());
  EXPECT_EQ(leased.size(), 3u);
  const std::uint64_t first = 1;  // the first leased item's seq ("0-1")
  EXPECT_TRUE(p->Retry({&first, 1}, 0, true, s, 2000).ok());
  return p;
}

std::vector<std::string> Check(Partition& p, std::uint64_t* items = nullptr) {
  PartitionCheckResult r;
  Status s = CheckPartitionStore(*p.store(), &r);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(r.problem_count, r.problems.size());
  if (items != nullptr) *items = r.items;
  return r.problems;
}

bool Mentions(const std::vector<std::string>& problems, const std::string& what) {
  for (const std::string& p : problems) {
    if (p.find(what) != std::string::npos) return true;
  }
  return false;
}

std::string Join(const std::vector<std::string>& problems) {
  std::string out;
  for (const std::string& p : problems) out += p + "\n";
  return out;
}

TEST(QueueCheckTest, CleanStoreHasNoProblems) {
  auto p = Filled();
  std::uint64_t items = 0;
  EXPECT_EQ(Join(Check(*p, &items)), "");
  EXPECT_EQ(items, 12u);                         // 7 ready + 2 leased + 2 scheduled + 1 outbox
  EXPECT_EQ(Join(Check(*MakePartition())), "");  // an empty store
}

TEST(QueueCheckTest, EachDamageIsReported) {
  struct Damage {
    const char* name;
    std::function<void(kv::Store&)> apply;
    std::string expected;
  };
  const std::vector<Damage> damages = {
      {"missing payload of a ready item",
       [](kv::Store& st) { ASSERT_TRUE(st.Delete({}, TagKey(kPayloadTag, 5)).ok()); },
       "R 5: payload P 5 is missing"},
      {"missing payload of a leased item",
       [](kv::Store& st) { ASSERT_TRUE(st.Delete({}, TagKey(kPayloadTag, 2)).ok()); },
       "L 2: payload P 2 is missing"},
      {"missing payload of an outbox item",
       [](kv::Store& st) { ASSERT_TRUE(st.Delete({}, TagKey(kPayloadTag, 1)).ok()); },
       "payload P 1 is missing"},
      {"wrong ready counter",
       [](kv::Store& st) {
         std::string v;
         ASSERT_TRUE(st.Get(kMetaKey, &v).ok());
         PartitionMeta m = *DecodeMeta(v);
         ++m.ready;
         ASSERT_TRUE(st.Put({}, kMetaKey, EncodeMeta(m)).ok());
       },
       "counter ready is 8 but the range holds 7"},
      {"a ready entry lost (counter and payload left)",
       [](kv::Store& st) { ASSERT_TRUE(st.Delete({}, TagKey(kReadyTag, 6)).ok()); },
       "P 6: a payload without an item"},
      {"expiry index entry lost",
       [](kv::Store& st) { ASSERT_TRUE(st.Delete({}, TagKey(kExpiryTag, 61'000, 7)).ok()); },
       "R 7: no expiry index entry E 61000 7"},
      {"expiry index naming the wrong entry",
       [](kv::Store& st) {
         ASSERT_TRUE(st.Put({}, TagKey(kExpiryTag, 61'000, 7), TagKey(kReadyTag, 8)).ok());
       },
       "E 61000 7: names R 8 instead of R 7"},
      {"a leased item left in the expiry index",
       [](kv::Store& st) {
         ASSERT_TRUE(st.Put({}, TagKey(kExpiryTag, 61'000, 2), TagKey(kLeasedTag, 2)).ok());
       },
       "E 61000 2: names L 2, which is no ready or scheduled entry"},
      {"an item in two states",
       [](kv::Store& st) {
         ASSERT_TRUE(st.Put({}, TagKey(kScheduledTag, 9000, 99),
                            EncodeEntry({.origin = 4, .expires_ms = 61'000}))
                         .ok());
       },
       "one item (origin 4) in two places"},
      {"an outbox entry with an unknown reason",
       [](kv::Store& st) {
         std::string v;
         ASSERT_TRUE(st.Get(TagKey(kOutboxTag, 13), &v).ok());
         EntryRecord e = *DecodeEntry(v);
         e.client = "lost";
         ASSERT_TRUE(st.Put({}, TagKey(kOutboxTag, 13), EncodeEntry(e)).ok());
       },
       "X 13: unknown outbox reason 'lost'"},
      {"a ready entry below the head",
       [](kv::Store& st) {
         ASSERT_TRUE(st.Put({}, TagKey(kReadyTag, 2), EncodeEntry({.origin = 2})).ok());
         ASSERT_TRUE(st.Delete({}, TagKey(kLeasedTag, 2)).ok());
       },
       "R 2: below the ready head 4"},
      {"an undecodable payload",
       [](kv::Store& st) { ASSERT_TRUE(st.Put({}, TagKey(kPayloadTag, 8), "\x80").ok()); },
       "P 8: corruption"},
      {"a record of no known kind", [](kv::Store& st) { ASSERT_TRUE(st.Put({}, "Zzz", "x").ok()); },
       "Z7a7a: unknown record"},
  };
  for (const Damage& d : damages) {
    SCOPED_TRACE(d.name);
    auto p = Filled();
    ASSERT_EQ(Join(Check(*p)), "");
    d.apply(*p->store());
    const std::vector<std::string> problems = Check(*p);
    EXPECT_TRUE(Mentions(problems, d.expected)) << "expected: " << d.expected << "\n"
                                                << Join(problems);
  }
}

TEST(QueueCheckTest, ReportsAreCappedButCounted) {
  auto p = Filled();
  for (std::uint64_t i = 100; i < 150; ++i) {
    ASSERT_TRUE(p->store()->Put({}, TagKey(kPayloadTag, i), EncodePayload({})).ok());
  }
  PartitionCheckResult r;
  ASSERT_TRUE(CheckPartitionStore(*p->store(), &r).ok());
  EXPECT_EQ(r.problems.size(), kMaxReportedProblems);
  EXPECT_GE(r.problem_count, 50u);
}

}  // namespace
}  // namespace larder::queue
