#include "lsm/compaction_iterator.h"

#include <gtest/gtest.h>

#include <random>

#include "lsm/iter_testutil.h"
#include "lsm/merging_iterator.h"

namespace larder::lsm {
namespace {

using itertest::Entry;
using itertest::ExpiringValue;
using itertest::IKey;
using itertest::kTestNow;

class CollectPointers final : public DroppedPointers {
 public:
  void OnDroppedPointer(std::string_view p) override { pointers.emplace_back(p); }
  std::vector<std::string> pointers;
};

struct Compacted {
  std::vector<Entry> out;
  CompactionDropCounts counts;
  std::vector<std::string> dropped_pointers;
  Status status;
};

Compacted Compact(const std::vector<Entry>& input, std::vector<SequenceNumber> snapshots,
                  bool bottommost, int children = 1, std::mt19937* rng = nullptr) {
  std::vector<Entry> sorted = input;
  itertest::SortEntries(&sorted);
  std::vector<RangeTombstone> ts;
  VectorIterator scan(sorted);
  EXPECT_TRUE(CollectRangeTombstones(&scan, &ts).ok());
  const RangeTombstones tombstones(ts);
  std::mt19937 local(1);
  auto merged = NewMergingIterator(itertest::SplitIntoStack(sorted, children, rng ? rng : &local));
  CollectPointers sink;
  CompactionIteratorOptions o;
  o.snapshots = std::move(snapshots);
  o.bottommost = bottommost;
  o.tombstones = &tombstones;
  o.now_ms = kTestNow;
  o.dropped_pointers = &sink;
  CompactionIterator it(merged.get(), std::move(o));
  Compacted r;
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    r.out.emplace_back(std::string(it.key()), std::string(it.value()));
  }
  r.counts = it.dropped();
  r.dropped_pointers = std::move(sink.pointers);
  r.status = it.status();
  return r;
}

TEST(LsmCompactionIteratorTest, KeepsTheNewestVersionPerSnapshotStripe) {
  const std::vector<Entry> in = {
      {IKey("a", 1, ValueType::kValue), "a1"},
      {IKey("a", 2, ValueType::kValuePointer), "ptr:a2"},
      {IKey("a", 3, ValueType::kValue), "a3"},
      {IKey("a", 5, ValueType::kValue), "a5"},
  };
  Compacted none = Compact(in, {}, false);
  ASSERT_TRUE(none.status.ok());
  EXPECT_EQ(none.out, (std::vector<Entry>{{IKey("a", 5, ValueType::kValue), "a5"}}));
  EXPECT_EQ(none.counts.overwritten, 3u);
  EXPECT_EQ(none.dropped_pointers, std::vector<std::string>{"ptr:a2"});
  Compacted snap = Compact(in, {2}, false);  // the snapshot at 2 keeps a@2
  EXPECT_EQ(snap.out, (std::vector<Entry>{{IKey("a", 5, ValueType::kValue), "a5"},
                                          {IKey("a", 2, ValueType::kValuePointer), "ptr:a2"}}));
  EXPECT_EQ(snap.counts.overwritten, 2u);
  EXPECT_TRUE(snap.dropped_pointers.empty());
}

TEST(LsmCompactionIteratorTest, TombstonesGoOnlyAtTheBottom) {
  const std::vector<Entry> in = {
      {IKey("a", 1, ValueType::kValue), "a1"},
      {IKey("a", 4, ValueType::kDeletion), ""},
      {IKey("b", 2, ValueType::kValue), "b2"},
      {IKey("b", 3, ValueType::kRangeDeletion), "c"},
      {IKey("d", 5, ValueType::kExpiringPointer), ExpiringValue(kTestNow, "ptr:d5")},
  };
  Compacted mid = Compact(in, {}, false);
  ASSERT_TRUE(mid.status.ok());
  EXPECT_EQ(mid.out, (std::vector<Entry>{{IKey("a", 4, ValueType::kDeletion), ""},
                                         {IKey("b", 3, ValueType::kRangeDeletion), "c"},
                                         {IKey("d", 5, ValueType::kDeletion), ""}}));
  EXPECT_EQ(mid.counts.overwritten, 1u);
  EXPECT_EQ(mid.counts.range_deleted, 1u);
  EXPECT_EQ(mid.counts.expired_to_tombstone, 1u);
  EXPECT_EQ(mid.dropped_pointers, std::vector<std::string>{"ptr:d5"});

  Compacted bottom = Compact(in, {}, true);
  EXPECT_TRUE(bottom.out.empty());
  EXPECT_EQ(bottom.counts.deletions, 1u);
  EXPECT_EQ(bottom.counts.range_tombstones, 1u);
  EXPECT_EQ(bottom.counts.expired, 1u);
  EXPECT_EQ(bottom.counts.total(), 5u);

  // A snapshot older than the tombstones keeps them (and what they hide from newer reads).
  Compacted held = Compact(in, {2}, true);
  EXPECT_EQ(held.out.size(), 5u);
}

TEST(LsmCompactionIteratorTest, CorruptEntriesStopIt) {
  Compacted r = Compact({{IKey("a", 1, ValueType::kExpiringValue), "abc"}}, {}, false);
  EXPECT_TRUE(r.status.IsCorruption());
  auto input = std::make_unique<VectorIterator>(std::vector<Entry>{
      {IKey("a", 1, ValueType::kValue), "a"}, {IKey("b", 1, ValueType::kValue), "b"}});
  input->InjectErrorAt(1, Status::IOError("read"));
  CompactionIterator it(input.get(), {});
  it.SeekToFirst();
  ASSERT_TRUE(it.Valid());
  it.Next();
  EXPECT_FALSE(it.Valid());
  EXPECT_TRUE(it.status().IsIOError());
}

// The output, read at every snapshot and at the latest state, equals the input read there;
// with older data below (not bottommost), the union with it reads the same too.
TEST(LsmCompactionIteratorTest, RandomizedReadsAreUnchangedAtEverySnapshot) {
  std::mt19937 rng(4242);
  for (int trial = 0; trial < 1500; ++trial) {
    const bool bottommost = rng() % 2 == 0;
    const int below_n = bottommost ? 0 : static_cast<int>(rng() % 40);
    const std::vector<Entry> below = itertest::RandomHistory(&rng, below_n, 1);
    const int n = static_cast<int>(rng() % 100);
    const SequenceNumber first = static_cast<SequenceNumber>(below_n) + 1;
    const std::vector<Entry> input = itertest::RandomHistory(&rng, n, first);
    std::vector<SequenceNumber> snapshots;
    for (int i = static_cast<int>(rng() % 4); i > 0; --i) {
      snapshots.push_back(rng() % (first + static_cast<SequenceNumber>(n) + 1));
    }
    std::sort(snapshots.begin(), snapshots.end());
    snapshots.erase(std::unique(snapshots.begin(), snapshots.end()), snapshots.end());
    Compacted r = Compact(input, snapshots, bottommost, 1 + static_cast<int>(rng() % 3), &rng);
    ASSERT_TRUE(r.status.ok());
    SCOPED_TRACE("trial " + std::to_string(trial));

    std::vector<Entry> before = below, after = below;
    before.insert(before.end(), input.begin(), input.end());
    after.insert(after.end(), r.out.begin(), r.out.end());
    std::vector<SequenceNumber> reads = snapshots;
    reads.push_back(kMaxSequenceNumber);
    for (SequenceNumber s : reads) {
      ASSERT_EQ(itertest::ReadAt(after, s), itertest::ReadAt(before, s)) << "read at " << s;
    }
    // Output is sorted and every input entry is accounted for.
    itertest::SortEntries(&after);
    ASSERT_TRUE(std::is_sorted(r.out.begin(), r.out.end(), [](const Entry& a, const Entry& b) {
      return CompareInternalKeys(a.first, b.first) < 0;
    }));
    ASSERT_EQ(r.out.size() + r.counts.total(), input.size());
    // Each pointer of the input is either written out or reported dropped, once.
    std::vector<std::string> in_ptrs, out_ptrs = r.dropped_pointers;
    auto pointer_of = [](const Entry& e, std::vector<std::string>* to) {
      ParsedInternalKey k;
      if (!ParseInternalKey(e.first, &k) || !IsPointerType(k.type)) return;
      std::string_view v = e.second;
      if (k.type == ValueType::kExpiringPointer) v.remove_prefix(kExpiryPrefixSize);
      to->emplace_back(v);
    };
    for (const Entry& e : input) pointer_of(e, &in_ptrs);
    for (const Entry& e : r.out) pointer_of(e, &out_ptrs);
    std::sort(in_ptrs.begin(), in_ptrs.end());
    std::sort(out_ptrs.begin(), out_ptrs.end());
    ASSERT_EQ(in_ptrs, out_ptrs);
  }
}

}  // namespace
}  // namespace larder::lsm
