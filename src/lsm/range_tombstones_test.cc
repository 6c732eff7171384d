#include "lsm/range_tombstones.h"

#include <gtest/gtest.h>

#include <random>

#include "lsm/iter_testutil.h"

namespace larder::lsm {
namespace {

using itertest::IKey;

TEST(LsmRangeTombstonesTest, FragmentsOverlappingRanges) {
  RangeTombstones set({{"a", "e", 5}, {"c", "g", 9}, {"x", "x", 7}, {"z", "y", 3}});
  EXPECT_EQ(set.DebugString(), "[a,c):5 [c,e):9,5 [e,g):9");
  EXPECT_EQ(set.MaxCoveringSeq("b", 100), 5u);
  EXPECT_EQ(set.MaxCoveringSeq("d", 100), 9u);
  EXPECT_EQ(set.MaxCoveringSeq("d", 8), 5u);  // the newer one is invisible at 8
  EXPECT_EQ(set.MaxCoveringSeq("d", 4), 0u);
  EXPECT_EQ(set.MaxCoveringSeq("g", 100), 0u);  // end is exclusive
  EXPECT_EQ(set.MaxCoveringSeq("", 100), 0u);
  EXPECT_EQ(set.MaxCoveringSeq("x", 100), 0u);  // empty ranges are ignored
  EXPECT_TRUE(RangeTombstones().empty());
  EXPECT_EQ(RangeTombstones().MaxCoveringSeq("a", 1), 0u);
}

TEST(LsmRangeTombstonesTest, ShouldDropOnlyWhenNoSnapshotSeesTheEntry) {
  RangeTombstones set({{"a", "m", 10}, {"c", "e", 20}});
  const std::vector<SequenceNumber> none;
  EXPECT_TRUE(set.ShouldDrop("b", 5, none));
  EXPECT_FALSE(set.ShouldDrop("b", 10, none));  // not older than the tombstone
  EXPECT_FALSE(set.ShouldDrop("b", 11, none));
  EXPECT_FALSE(set.ShouldDrop("z", 1, none));
  const std::vector<SequenceNumber> snap7 = {7};
  EXPECT_FALSE(set.ShouldDrop("b", 5, snap7));  // the snapshot at 7 sees b@5
  EXPECT_TRUE(set.ShouldDrop("b", 8, snap7));
  const std::vector<SequenceNumber> snap15 = {15};
  EXPECT_FALSE(set.ShouldDrop("d", 12, snap15));  // the snapshot at 15 sees d@12, not 20
  EXPECT_TRUE(set.ShouldDrop("d", 16, snap15));
  EXPECT_FALSE(set.ShouldDrop("b", 12, snap15));  // only 10 covers b: not newer
  EXPECT_TRUE(set.ShouldDrop("d", 5, snap15));    // 10 covers d@5 before 15
}

// Brute force over the raw tombstones.
SequenceNumber BruteMax(const std::vector<RangeTombstone>& ts, std::string_view k,
                        SequenceNumber read) {
  SequenceNumber best = 0;
  for (const auto& t : ts) {
    if (t.begin <= k && k < t.end && t.seq <= read) best = std::max(best, t.seq);
  }
  return best;
}

bool BruteDrop(const std::vector<RangeTombstone>& ts, std::string_view k, SequenceNumber seq,
               const std::vector<SequenceNumber>& snaps) {
  for (const auto& t : ts) {
    if (!(t.begin <= k && k < t.end && t.seq > seq)) continue;
    bool seen = false;
    for (SequenceNumber s : snaps) seen |= (seq <= s && s < t.seq);
    if (!seen) return true;
  }
  return false;
}

TEST(LsmRangeTombstonesTest, RandomizedAgainstBruteForce) {
  std::mt19937 rng(99);
  auto key = [&] { return std::string(1 + rng() % 2, static_cast<char>('a' + rng() % 8)); };
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<RangeTombstone> ts;
    const int n = static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) ts.push_back({key(), key(), 1 + rng() % 30});
    const RangeTombstones set(ts);
    std::vector<SequenceNumber> snaps;
    for (int i = static_cast<int>(rng() % 4); i > 0; --i) snaps.push_back(rng() % 35);
    std::sort(snaps.begin(), snaps.end());
    RangeTombstones::Cursor cursor(&set);
    std::string k = key();
    for (int step = 0; step < 200; ++step) {
      // Mostly small moves (the cursor's case), sometimes jumps.
      if (rng() % 10 == 0) {
        k = key();
      } else if (rng() % 2 == 0 && !k.empty()) {
        ++k.back();
      } else if (!k.empty() && k.back() > 'a') {
        --k.back();
      }
      const SequenceNumber read = rng() % 35;
      ASSERT_EQ(set.MaxCoveringSeq(k, read), BruteMax(ts, k, read)) << set.DebugString();
      ASSERT_EQ(cursor.MaxCoveringSeq(k, read), BruteMax(ts, k, read))
          << set.DebugString() << " key " << k;
      const SequenceNumber seq = 1 + rng() % 32;
      ASSERT_EQ(set.ShouldDrop(k, seq, snaps), BruteDrop(ts, k, seq, snaps));
      ASSERT_EQ(cursor.ShouldDrop(k, seq, snaps), BruteDrop(ts, k, seq, snaps));
    }
  }
}

TEST(LsmRangeTombstonesTest, CollectsRangeDeletionEntries) {
  VectorIterator it({{IKey("a", 3, ValueType::kValue), "x"},
                     {IKey("b", 4, ValueType::kRangeDeletion), "d"},
                     {IKey("c", 5, ValueType::kDeletion), ""}});
  std::vector<RangeTombstone> ts;
  ASSERT_TRUE(CollectRangeTombstones(&it, &ts).ok());
  ASSERT_EQ(ts.size(), 1u);
  EXPECT_EQ(ts[0].begin, "b");
  EXPECT_EQ(ts[0].end, "d");
  EXPECT_EQ(ts[0].seq, 4u);
  VectorIterator bad({{std::string("short"), "x"}});
  EXPECT_TRUE(CollectRangeTombstones(&bad, &ts).IsCorruption());
}

}  // namespace
}  // namespace larder::lsm
