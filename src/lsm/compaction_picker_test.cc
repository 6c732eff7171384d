#include "lsm/compaction_picker.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <set>

#include "lsm/manifest_test_util.h"
#include "lsm/version_set.h"

namespace larder::lsm {
namespace {

using manifest_test::IKey;
using manifest_test::Table;

Options PickerOptions() {
  Options o;
  o.num_levels = 4;
  o.level0_compaction_trigger = 2;
  o.max_bytes_for_level_base = 1000;
  o.level_size_multiplier = 10;
  o.deletion_compaction_ratio = 0.5;
  o.deletion_compaction_min_entries = 500;
  return o;
}

std::shared_ptr<const Version> Build(const VersionEdit& edit) {
  Version base(4);
  VersionBuilder b(base);
  EXPECT_TRUE(b.Apply(edit).ok());
  std::shared_ptr<const Version> v;
  EXPECT_TRUE(b.Build(&v).ok());
  return v;
}

std::vector<std::uint64_t> Numbers(const std::vector<FileRef>& files) {
  std::vector<std::uint64_t> out;
  for (const auto& f : files) out.push_back(f->number);
  return out;
}

const std::vector<std::string> kNoPointers(4);

// "reason: Lx->Ly [inputs of x] [inputs of y]".
std::string Describe(const Compaction& c) {
  std::string out =
      fmt::format("{}: L{}->L{}", CompactionReasonName(c.reason), c.level, c.output_level);
  for (const auto& which : c.inputs) out += fmt::format(" [{}]", fmt::join(Numbers(which), ","));
  return out;
}

TEST(LsmCompactionPickerTest, ScoresAndLevelSizes) {
  CompactionPicker picker(PickerOptions());
  EXPECT_EQ(picker.MaxBytesForLevel(1), 1000u);
  EXPECT_EQ(picker.MaxBytesForLevel(3), 100000u);
  VersionEdit e;
  e.AddFile(0, Table(1, "a", "b", 10, 100));
  e.AddFile(1, Table(2, "a", "b", 1500));
  e.AddFile(3, Table(3, "a", "b", 1 << 30));
  auto v = Build(e);
  EXPECT_DOUBLE_EQ(picker.Score(*v, 0), 0.5);
  EXPECT_DOUBLE_EQ(picker.Score(*v, 1), 1.5);
  EXPECT_DOUBLE_EQ(picker.Score(*v, 3), 0);  // the last level never scores
}

TEST(LsmCompactionPickerTest, Level0TakesEveryOverlappingTableAndExpands) {
  CompactionPicker picker(PickerOptions());
  VersionEdit e;
  e.AddFile(0, Table(1, "a", "c", 10, 100));  // oldest
  e.AddFile(0, Table(2, "b", "f", 10, 200));
  e.AddFile(0, Table(3, "x", "z", 10, 300));  // newest, elsewhere
  e.AddFile(1, Table(4, "a", "b", 100));
  e.AddFile(1, Table(5, "e", "g", 100));
  e.AddFile(1, Table(6, "y", "z", 100));
  e.AddFile(2, Table(7, "f", "h", 333));
  e.AddFile(2, Table(8, "i", "j", 444));
  auto v = Build(e);
  auto c = picker.Pick(v, kNoPointers);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(Describe(*c), "level-0 count: L0->L1 [2,1] [4,5]");
  EXPECT_EQ(c->smallest_user_key, "a");
  EXPECT_EQ(c->largest_user_key, "g");            // widened by table 5
  EXPECT_EQ(c->grandparent_overlap_bytes, 333u);  // table 7 meets [a, g]
  EXPECT_TRUE(v->files(0)[1]->being_compacted);
  EXPECT_FALSE(v->files(0)[0]->being_compacted);
  // One level-0 compaction at a time.
  EXPECT_FALSE(picker.Pick(v, kNoPointers).has_value());
  c->ReleaseInputs();
  EXPECT_FALSE(v->files(0)[1]->being_compacted);
  EXPECT_TRUE(picker.Pick(v, kNoPointers).has_value());
}

TEST(LsmCompactionPickerTest, LevelSizeRoundRobinSkipsBusyTables) {
  CompactionPicker picker(PickerOptions());
  VersionEdit e;
  e.AddFile(1, Table(1, "a", "b", 500));
  e.AddFile(1, Table(2, "c", "d", 500));
  e.AddFile(1, Table(3, "e", "f", 500));
  e.AddFile(2, Table(4, "c", "c", 10));
  e.AddFile(3, Table(5, "a", "z", 77));
  auto v = Build(e);
  std::vector<std::string> pointers(4);
  auto c = picker.Pick(v, pointers);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(Describe(*c), "level size: L1->L2 [1] []");
  EXPECT_EQ(c->grandparent_overlap_bytes, 77u);
  VersionEdit done;
  c->AddInputDeletions(&done);
  ASSERT_EQ(done.compact_pointers().size(), 1u);
  pointers[1] = done.compact_pointers()[0].second;  // after table 1
  c->ReleaseInputs();

  c = picker.Pick(v, pointers);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(Describe(*c), "level size: L1->L2 [2] [4]");
  // Table 2 and its overlap are busy now: the next pick moves on to table 3.
  auto c2 = picker.Pick(v, pointers);
  ASSERT_TRUE(c2.has_value());
  EXPECT_EQ(Numbers(c2->inputs[0]), (std::vector<std::uint64_t>{3}));
  // A pointer past the last table wraps around to the first.
  c->ReleaseInputs();
  c2->ReleaseInputs();
  pointers[1] = IKey("zzz", 1);
  c = picker.Pick(v, pointers);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(Numbers(c->inputs[0]), (std::vector<std::uint64_t>{1}));
}

TEST(LsmCompactionPickerTest, HighestScoreWins) {
  CompactionPicker picker(PickerOptions());
  VersionEdit e;
  e.AddFile(0, Table(1, "a", "b", 10, 100));
  e.AddFile(0, Table(2, "a", "b", 10, 200));
  e.AddFile(0, Table(3, "a", "b", 10, 300));  // L0 score 1.5
  e.AddFile(1, Table(4, "m", "n", 3000));     // L1 score 3
  auto v = Build(e);
  auto c = picker.Pick(v, kNoPointers);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->level, 1);
  auto c0 = picker.Pick(v, kNoPointers);  // then level 0
  ASSERT_TRUE(c0.has_value());
  EXPECT_EQ(c0->level, 0);
  EXPECT_EQ(c0->inputs[0].size(), 3u);
}

TEST(LsmCompactionPickerTest, BoundaryUserKeyKeepsNeighbours) {
  CompactionPicker picker(PickerOptions());
  VersionEdit e;
  FileMetaData a = Table(1, "a", "k", 600);
  a.largest = IKey("k", 50);
  FileMetaData b = Table(2, "k", "p", 600);
  b.smallest = IKey("k", 40);
  e.AddFile(1, a);
  e.AddFile(1, b);
  e.AddFile(1, Table(3, "q", "r", 600));
  auto v = Build(e);
  auto c = picker.Pick(v, kNoPointers);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(Numbers(c->inputs[0]), (std::vector<std::uint64_t>{1, 2}));
}

TEST(LsmCompactionPickerTest, DeletionDensity) {
  CompactionPicker picker(PickerOptions());
  VersionEdit e;
  FileMetaData sparse = Table(1, "a", "c", 100);
  sparse.num_entries = 2000;
  sparse.num_deletions = 900;  // 45%: below the ratio
  FileMetaData dense = Table(2, "d", "f", 100);
  dense.num_entries = 1000;
  dense.num_deletions = 800;
  FileMetaData few = Table(3, "g", "h", 100);
  few.num_entries = 10;
  few.num_deletions = 10;  // dense but under the minimum count
  e.AddFile(1, sparse);
  e.AddFile(2, dense);
  e.AddFile(2, few);
  e.AddFile(3, Table(4, "e", "e", 100));
  auto v = Build(e);
  auto c = picker.Pick(v, kNoPointers);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(Describe(*c), "deletion density: L2->L3 [2] [4]");
  EXPECT_FALSE(picker.Pick(v, kNoPointers).has_value());  // nothing else qualifies

  // At the last level the table is rewritten in place.
  VersionEdit last;
  last.AddFile(3, dense);
  v = Build(last);
  c = picker.Pick(v, kNoPointers);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(Describe(*c), "deletion density: L3->L3 [2] []");

  // Size work comes first.
  VersionEdit both;
  both.AddFile(2, dense);
  both.AddFile(1, Table(5, "x", "y", 5000));
  v = Build(both);
  c = picker.Pick(v, kNoPointers);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->reason, CompactionReason::kLevelSize);
}

TEST(LsmCompactionPickerTest, ManualRanges) {
  CompactionPicker picker(PickerOptions());
  VersionEdit e;
  e.AddFile(1, Table(1, "a", "b"));
  e.AddFile(1, Table(2, "c", "d"));
  e.AddFile(1, Table(3, "e", "f"));
  e.AddFile(2, Table(4, "b", "c"));
  e.AddFile(3, Table(5, "a", "z"));
  auto v = Build(e);
  auto c = picker.PickManual(v, 1, "c", "e");
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c->has_value());
  EXPECT_EQ((*c)->reason, CompactionReason::kManual);
  EXPECT_EQ(Numbers((*c)->inputs[0]), (std::vector<std::uint64_t>{2, 3}));
  EXPECT_EQ(Numbers((*c)->inputs[1]), (std::vector<std::uint64_t>{4}));
  EXPECT_EQ(picker.PickManual(v, 1, "a", "a").status().code(), Code::kBusy);  // table 4 busy
  auto none = picker.PickManual(v, 2, "x", std::nullopt);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto last = picker.PickManual(v, 3, std::nullopt, std::nullopt);
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->output_level, 3);
  EXPECT_TRUE(picker.PickManual(v, 4, std::nullopt, std::nullopt).status().IsInvalidArgument());

  // The plan's deletions apply to the version it came from.
  VersionEdit edit;
  (*c)->AddInputDeletions(&edit);
  edit.AddFile(2, Table(6, "b", "f"));
  VersionBuilder b(*v);
  ASSERT_TRUE(b.Apply(edit).ok());
  std::shared_ptr<const Version> next;
  ASSERT_TRUE(b.Build(&next).ok());
  EXPECT_EQ(next->NumFiles(1), 1);
  EXPECT_EQ(next->NumFiles(2), 1);
}

TEST(LsmCompactionPickerTest, KeyRangeFreeBelow) {
  VersionEdit e;
  e.AddFile(1, Table(1, "a", "m"));
  e.AddFile(2, Table(2, "c", "d"));
  e.AddFile(3, Table(3, "x", "z"));
  auto v = Build(e);
  EXPECT_FALSE(KeyRangeFreeBelow(*v, 1, "a", "c"));
  EXPECT_TRUE(KeyRangeFreeBelow(*v, 1, "e", "m"));
  EXPECT_FALSE(KeyRangeFreeBelow(*v, 1, "e", "x"));
  EXPECT_TRUE(KeyRangeFreeBelow(*v, 3, "a", "z"));
  EXPECT_FALSE(KeyRangeFreeBelow(*v, 0, "a", "a"));
}

}  // namespace
}  // namespace larder::lsm

namespace larder::lsm {
namespace {

// A running compaction's plan does not keep its inputs from deletion once its edit is in.
TEST(LsmCompactionPickerTest, PlanDoesNotPinInputsInLiveFiles) {
  auto fs = NewMemFileSystem(std::size_t{1} << 24);
  VersionSet vs("/db", fs.get(), PickerOptions());
  ASSERT_TRUE(vs.Create().ok());
  VersionEdit e;
  e.AddFile(1, Table(5, "a", "c", 5000));
  e.AddFile(2, Table(6, "b", "d", 10));
  ASSERT_TRUE(vs.LogAndApply(&e).ok());
  CompactionPicker picker(PickerOptions());
  auto c = picker.Pick(vs.current(), vs.compact_pointers());
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(KeyRangeFreeBelow(*c->version, 2, "a", "d"));  // the plan's metadata is readable
  VersionEdit done;
  c->AddInputDeletions(&done);
  done.AddFile(2, Table(7, "a", "d", 5010));
  ASSERT_TRUE(vs.LogAndApply(&done).ok());
  EXPECT_EQ(vs.LiveFiles(), (std::set<std::uint64_t>{7}));
  c->ReleaseInputs();
}

}  // namespace
}  // namespace larder::lsm
