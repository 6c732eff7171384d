#include "lsm/db_iter.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <random>

#include "lsm/expiring_value.h"
#include "lsm/iter_testutil.h"
#include "lsm/merging_iterator.h"

namespace larder::lsm {
namespace {

using itertest::Entry;
using itertest::ExpiringValue;
using itertest::IKey;

constexpr std::uint64_t kNow = itertest::kTestNow;

// Pointers are "ptr:<value>"; they resolve to "<value>". Anything else is an error.
class FakeResolver final : public ValueResolver {
 public:
  Status Resolve(std::string_view pointer_bytes, std::string* out) override {
    ++calls;
    if (pointer_bytes.substr(0, 4) != "ptr:") return Status::Corruption("bad pointer");
    out->assign(pointer_bytes.substr(4));
    return Status::Ok();
  }
  int calls = 0;
};

class CountingPins final : public IteratorPins {
 public:
  explicit CountingPins(int* released) : released_(released) {}
  ~CountingPins() override { ++*released_; }

 private:
  int* released_;
};

std::unique_ptr<kv::Iterator> MakeIter(const std::vector<Entry>& entries, SequenceNumber seq,
                                       ValueResolver* resolver, IteratorOptions options = {},
                                       int children = 1, std::mt19937* rng = nullptr) {
  std::vector<Entry> sorted = entries;
  itertest::SortEntries(&sorted);
  std::vector<RangeTombstone> ts;
  VectorIterator scan(sorted);
  EXPECT_TRUE(CollectRangeTombstones(&scan, &ts).ok());
  DBIteratorArgs args;
  std::mt19937 local(1);
  args.input = NewMergingIterator(itertest::SplitIntoStack(sorted, children, rng ? rng : &local));
  args.sequence = seq;
  args.tombstones = std::make_shared<RangeTombstones>(ts);
  args.resolver = resolver;
  args.now_ms = kNow;
  args.options = options;
  return NewDBIterator(std::move(args));
}

std::vector<std::pair<std::string, std::string>> ScanForward(kv::Iterator* it) {
  std::vector<std::pair<std::string, std::string>> out;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out.emplace_back(std::string(it->key()), std::string(it->value()));
  }
  return out;
}

using KVs = std::vector<std::pair<std::string, std::string>>;

TEST(LsmDBIterTest, ShowsNewestVisibleVersionAndHidesDeletions) {
  FakeResolver resolver;
  const std::vector<Entry> entries = {
      {IKey("a", 1, ValueType::kValue), "a1"},
      {IKey("a", 3, ValueType::kValue), "a3"},
      {IKey("b", 2, ValueType::kValue), "b2"},
      {IKey("b", 4, ValueType::kDeletion), ""},
      {IKey("c", 5, ValueType::kValuePointer), "ptr:c5"},
      {IKey("d", 6, ValueType::kExpiringValue), ExpiringValue(kNow, "gone")},
      {IKey("d", 2, ValueType::kValue), "d2-hidden-by-expired"},
      {IKey("e", 7, ValueType::kExpiringPointer), ExpiringValue(kNow + 1, "ptr:e7")},
  };
  auto it = MakeIter(entries, kMaxSequenceNumber, &resolver);
  EXPECT_EQ(ScanForward(it.get()), (KVs{{"a", "a3"}, {"c", "c5"}, {"e", "e7"}}));
  EXPECT_TRUE(it->status().ok());
  auto old = MakeIter(entries, 2, &resolver);
  EXPECT_EQ(ScanForward(old.get()), (KVs{{"a", "a1"}, {"b", "b2"}, {"d", "d2-hidden-by-expired"}}));
}

TEST(LsmDBIterTest, RangeTombstonesHideOlderVersionsOnly) {
  FakeResolver resolver;
  const std::vector<Entry> entries = {
      {IKey("a", 1, ValueType::kValue), "a1"},        {IKey("b", 2, ValueType::kValue), "b2"},
      {IKey("b", 6, ValueType::kValue), "b6"},        {IKey("c", 3, ValueType::kValue), "c3"},
      {IKey("a", 5, ValueType::kRangeDeletion), "c"},  // deletes [a, c) below 5
  };
  auto latest = MakeIter(entries, kMaxSequenceNumber, &resolver);
  EXPECT_EQ(ScanForward(latest.get()), (KVs{{"b", "b6"}, {"c", "c3"}}));
  auto before = MakeIter(entries, 4, &resolver);
  EXPECT_EQ(ScanForward(before.get()), (KVs{{"a", "a1"}, {"b", "b2"}, {"c", "c3"}}));
}

TEST(LsmDBIterTest, BoundsAndPrefix) {
  FakeResolver resolver;
  std::vector<Entry> entries;
  SequenceNumber seq = 1;
  for (const char* k : {"a", "ab", "abc", "abd", "b", "\xff", "\xff\xff"}) {
    entries.push_back({IKey(k, seq++, ValueType::kValue), k});
  }
  IteratorOptions o;
  o.prefix = "ab";
  auto it = MakeIter(entries, kMaxSequenceNumber, &resolver, o);
  EXPECT_EQ(ScanForward(it.get()), (KVs{{"ab", "ab"}, {"abc", "abc"}, {"abd", "abd"}}));
  it->SeekToLast();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "abd");
  it->SeekForPrev("zzz");
  EXPECT_EQ(it->key(), "abd");
  it->Seek("a");
  EXPECT_EQ(it->key(), "ab");

  IteratorOptions bounds;
  bounds.lower_bound = "abc";
  bounds.upper_bound = "b";
  auto b = MakeIter(entries, kMaxSequenceNumber, &resolver, bounds);
  EXPECT_EQ(ScanForward(b.get()), (KVs{{"abc", "abc"}, {"abd", "abd"}}));
  b->SeekForPrev("b");
  EXPECT_EQ(b->key(), "abd");
  b->SeekForPrev("ab");
  EXPECT_FALSE(b->Valid());

  IteratorOptions ff;
  ff.prefix = "\xff";
  auto f = MakeIter(entries, kMaxSequenceNumber, &resolver, ff);
  EXPECT_EQ(ScanForward(f.get()), (KVs{{"\xff", "\xff"}, {"\xff\xff", "\xff\xff"}}));

  IteratorOptions empty;
  empty.lower_bound = "b";
  empty.upper_bound = "a";
  auto e = MakeIter(entries, kMaxSequenceNumber, &resolver, empty);
  EXPECT_TRUE(ScanForward(e.get()).empty());
  e->SeekToLast();
  EXPECT_FALSE(e->Valid());
}

TEST(LsmDBIterTest, ManyVersionsOfAKeyAreSkippedBothWays) {
  FakeResolver resolver;
  std::vector<Entry> entries;
  SequenceNumber seq = 1;
  for (const char* k : {"a", "b", "c"}) {
    for (int v = 0; v < 50; ++v, ++seq) {
      entries.push_back({IKey(k, seq, ValueType::kValue), k + std::to_string(seq)});
    }
  }
  entries.push_back({IKey("b", seq++, ValueType::kDeletion), ""});  // b is deleted at 151
  for (SequenceNumber read : {SequenceNumber{25}, SequenceNumber{75}, SequenceNumber{120},
                              SequenceNumber{150}, kMaxSequenceNumber}) {
    auto it = MakeIter(entries, read, &resolver, {}, 3);
    KVs want;
    for (SequenceNumber first : {SequenceNumber{1}, SequenceNumber{51}, SequenceNumber{101}}) {
      if (read < first) continue;
      const char* k = first == 1 ? "a" : first == 51 ? "b" : "c";
      if (std::string(k) == "b" && read > 150) continue;
      want.emplace_back(k, k + std::to_string(std::min<SequenceNumber>(read, first + 49)));
    }
    EXPECT_EQ(ScanForward(it.get()), want) << "read " << read;
    KVs back;
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      back.emplace_back(std::string(it->key()), std::string(it->value()));
    }
    EXPECT_EQ(KVs(want.rbegin(), want.rend()), back) << "read " << read;
  }
}

// A hot key rewritten many times (a counter in a memtable) costs a backward step a few seeks,
// not one step per version.
TEST(LsmDBIterTest, BackwardStepsDoNotWalkEveryVersion) {
  FakeResolver resolver;
  std::vector<Entry> entries;
  SequenceNumber seq = 1;
  entries.push_back({IKey("a", seq++, ValueType::kValue), "a"});
  for (int v = 0; v < 1000; ++v) {
    entries.push_back({IKey("b", seq, ValueType::kValue), "b" + std::to_string(seq)});
    ++seq;
  }
  entries.push_back({IKey("c", seq++, ValueType::kValue), "c"});
  itertest::SortEntries(&entries);
  auto input = std::make_unique<VectorIterator>(entries);
  VectorIterator* raw = input.get();
  DBIteratorArgs args;
  args.input = std::move(input);
  args.sequence = kMaxSequenceNumber;
  args.tombstones = std::make_shared<RangeTombstones>(std::vector<RangeTombstone>{});
  args.resolver = &resolver;
  args.now_ms = kNow;
  auto it = NewDBIterator(std::move(args));
  KVs back;
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    back.emplace_back(std::string(it->key()), std::string(it->value()));
  }
  EXPECT_EQ(back, (KVs{{"c", "c"}, {"b", "b1001"}, {"a", "a"}}));
  EXPECT_LT(raw->steps(), 100u);
}

TEST(LsmDBIterTest, PinsAreReleasedOnDestruction) {
  int released = 0;
  {
    DBIteratorArgs args;
    args.input = NewEmptyIterator();
    args.pins = std::make_unique<CountingPins>(&released);
    auto it = NewDBIterator(std::move(args));
    it->SeekToFirst();
    EXPECT_FALSE(it->Valid());
    EXPECT_EQ(released, 0);
  }
  EXPECT_EQ(released, 1);
}

TEST(LsmDBIterTest, ErrorsStopTheIterator) {
  FakeResolver resolver;
  auto bad_ptr = MakeIter({{IKey("a", 1, ValueType::kValuePointer), "nonsense"}},
                          kMaxSequenceNumber, &resolver);
  bad_ptr->SeekToFirst();
  EXPECT_FALSE(bad_ptr->Valid());
  EXPECT_TRUE(bad_ptr->status().IsCorruption());
  auto no_resolver =
      MakeIter({{IKey("a", 1, ValueType::kValuePointer), "ptr:x"}}, kMaxSequenceNumber, nullptr);
  no_resolver->SeekToLast();
  EXPECT_FALSE(no_resolver->Valid());
  EXPECT_TRUE(no_resolver->status().IsCorruption());
  auto short_exp =
      MakeIter({{IKey("a", 1, ValueType::kExpiringValue), "abc"}}, kMaxSequenceNumber, &resolver);
  short_exp->SeekToFirst();
  EXPECT_TRUE(short_exp->status().IsCorruption());

  auto input = std::make_unique<VectorIterator>(std::vector<Entry>{
      {IKey("a", 1, ValueType::kValue), "a"}, {IKey("b", 1, ValueType::kValue), "b"}});
  input->InjectErrorAt(1, Status::IOError("read failed"));
  DBIteratorArgs args;
  args.input = std::move(input);
  auto it = NewDBIterator(std::move(args));
  it->SeekToFirst();
  ASSERT_TRUE(it->Valid());
  it->Next();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsIOError());
  it->Seek("a");  // a seek retries
  ASSERT_TRUE(it->Valid());
  EXPECT_TRUE(it->status().ok());
}

// ---- The randomized model test -------------------------------------------------------------

struct RandomCase {
  std::vector<Entry> entries;
  SequenceNumber read_seq = 0;
  IteratorOptions options;
  std::optional<std::string> lower, upper, prefix;  // own the bytes options view
};

RandomCase MakeRandomCase(std::mt19937* rng) {
  RandomCase c;
  const auto& pool = itertest::KeyPool();
  auto pick = [&] { return pool[(*rng)() % pool.size()]; };
  const int n = static_cast<int>((*rng)() % 120);
  c.entries = itertest::RandomHistory(rng, n, 1);
  c.read_seq = (*rng)() % 5 == 0 ? kMaxSequenceNumber : (*rng)() % (n + 2);
  if ((*rng)() % 3 == 0) c.lower = pick();
  if ((*rng)() % 3 == 0) c.upper = pick();
  if ((*rng)() % 4 == 0) c.prefix = std::string(pick()).substr(0, 1 + (*rng)() % 2);
  if (c.lower) c.options.lower_bound = *c.lower;
  if (c.upper) c.options.upper_bound = *c.upper;
  if (c.prefix) c.options.prefix = *c.prefix;
  return c;
}

// The user view computed directly from the entries, within the bounds and prefix.
std::map<std::string, std::string> Model(const RandomCase& c) {
  std::map<std::string, std::string> out = itertest::ReadAt(c.entries, c.read_seq);
  std::erase_if(out, [&](const auto& kv) {
    const std::string& user = kv.first;
    return (c.lower && user < *c.lower) || (c.upper && user >= *c.upper) ||
           (c.prefix && user.compare(0, c.prefix->size(), *c.prefix) != 0);
  });
  return out;
}

TEST(LsmDBIterTest, RandomizedAgainstAModel) {
  std::mt19937 rng(1616);
  FakeResolver resolver;
  std::vector<std::string> targets = itertest::KeyPool();
  for (const char* t : {"a\x00", "aa", "abcd", "k", "k5", "zz", "\xff\xff\xff"}) {
    targets.emplace_back(t);
  }
  targets.emplace_back(std::string("a\0", 2));
  for (int trial = 0; trial < 1500; ++trial) {
    const RandomCase c = MakeRandomCase(&rng);
    const std::map<std::string, std::string> model = Model(c);
    const std::vector<std::pair<std::string, std::string>> want(model.begin(), model.end());
    const int children = 1 + static_cast<int>(rng() % 4);
    auto it = MakeIter(c.entries, c.read_seq, &resolver, c.options, children, &rng);
    SCOPED_TRACE("trial " + std::to_string(trial) + " read_seq " + std::to_string(c.read_seq));

    ASSERT_EQ(ScanForward(it.get()), want);
    KVs backward;
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      backward.emplace_back(std::string(it->key()), std::string(it->value()));
    }
    ASSERT_EQ(KVs(want.rbegin(), want.rend()), backward);
    ASSERT_TRUE(it->status().ok());

    // Random seeks, then random walks with direction changes.
    for (int round = 0; round < 20; ++round) {
      const std::string& t = targets[rng() % targets.size()];
      std::ptrdiff_t pos;
      if (rng() % 2 == 0) {
        it->Seek(t);
        pos = std::distance(model.begin(), model.lower_bound(t));
      } else {
        it->SeekForPrev(t);
        pos = std::distance(model.begin(), model.upper_bound(t)) - 1;
      }
      for (int step = 0;; ++step) {
        const bool in = pos >= 0 && pos < static_cast<std::ptrdiff_t>(want.size());
        ASSERT_EQ(it->Valid(), in) << "target " << t << " step " << step;
        if (!in || step == 10) break;
        ASSERT_EQ(it->key(), want[static_cast<std::size_t>(pos)].first);
        ASSERT_EQ(it->value(), want[static_cast<std::size_t>(pos)].second);
        if (rng() % 2 == 0) {
          it->Next();
          ++pos;
        } else {
          it->Prev();
          --pos;
        }
      }
      ASSERT_TRUE(it->status().ok());
    }
  }
}

}  // namespace
}  // namespace larder::lsm
