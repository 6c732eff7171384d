#include "lsm/table_outputs.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "lsm/dbformat.h"
#include "lsm/filename.h"
#include "lsm/table.h"

namespace larder::lsm {
namespace {

struct PointEntry {
  std::string user_key;
  SequenceNumber seq;
  std::string value;
};

// What one written table holds: its point entries (user key, seq) and range tombstones.
struct TableContents {
  std::vector<std::pair<std::string, SequenceNumber>> points;
  std::vector<RangeTombstone> tombstones;
};

class LsmTableOutputsTest : public ::testing::Test {
 protected:
  // Writes `entries` (internal-key order) with `tombstones` through a TableOutputs.
  Status Write(TableCutRule rule, const std::vector<PointEntry>& entries,
               std::vector<RangeTombstone> tombstones = {}) {
    tombstones_ = std::move(tombstones);
    outputs_ = std::make_unique<TableOutputs>(fs_.get(), dir_, table_options_, rule,
                                              [this] { return next_number_++; });
    outputs_->SetTombstones(&tombstones_);
    std::string previous;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      std::string ikey;
      AppendInternalKey(&ikey, entries[i].user_key, entries[i].seq, ValueType::kValue);
      const bool new_user_key = i == 0 || entries[i].user_key != previous;
      previous = entries[i].user_key;
      LARDER_RETURN_IF_ERROR(outputs_->Add(ikey, entries[i].value, new_user_key));
    }
    return outputs_->Finish();
  }

  TableContents Read(const FileMetaData& f) {
    TableContents c;
    auto file = fs_->Open(TableFileName(dir_, f.number), {.read_only = true});
    EXPECT_TRUE(file.ok());
    if (!file.ok()) return c;
    auto t = Table::Open(std::move(*file), f.file_size, 0, nullptr, true);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    if (!t.ok()) return c;
    auto it = (*t)->NewIterator(true, false);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ParsedInternalKey k;
      EXPECT_TRUE(ParseInternalKey(it->key(), &k));
      c.points.emplace_back(std::string(k.user_key), k.sequence);
    }
    if (auto r = (*t)->NewRangeTombstoneIterator(); r != nullptr) {
      EXPECT_TRUE(CollectRangeTombstones(r.get(), &c.tombstones).ok());
    }
    return c;
  }

  std::unique_ptr<FileSystem> fs_ = NewMemFileSystem(std::size_t{16} << 20);
  std::string dir_ = "/out";
  TableOptions table_options_;
  std::uint64_t next_number_ = 10;
  std::vector<RangeTombstone> tombstones_;
  std::unique_ptr<TableOutputs> outputs_;
};

const std::vector<PointEntry> kThreePrefixes = {
    {"a1", 9, "x"}, {"a1", 5, "y"}, {"a2", 7, "z"}, {"b1", 8, "x"},
    {"b1", 6, "y"}, {"b1", 2, "z"}, {"c", 4, "x"},
};

TEST_F(LsmTableOutputsTest, APrefixChangeStartsATableAndUserKeysStayWhole) {
  ASSERT_TRUE(Write({.cut_prefix_length = 1}, kThreePrefixes).ok());
  const auto& files = outputs_->files();
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(outputs_->numbers(), (std::vector<std::uint64_t>{10, 11, 12}));
  using Points = std::vector<std::pair<std::string, SequenceNumber>>;
  EXPECT_EQ(Read(files[0]).points, (Points{{"a1", 9}, {"a1", 5}, {"a2", 7}}));
  EXPECT_EQ(Read(files[1]).points, (Points{{"b1", 8}, {"b1", 6}, {"b1", 2}}));
  EXPECT_EQ(Read(files[2]).points, (Points{{"c", 4}}));
  EXPECT_EQ(files[1].smallest_user_key(), "b1");
  EXPECT_EQ(files[1].largest_user_key(), "b1");
  EXPECT_EQ(files[1].smallest_seq, 2u);
  EXPECT_EQ(files[1].largest_seq, 8u);
}

TEST_F(LsmTableOutputsTest, WithoutAPrefixLengthOnlyTheSizeCuts) {
  ASSERT_TRUE(Write({}, kThreePrefixes).ok());
  EXPECT_EQ(outputs_->files().size(), 1u);

  // A 1-byte target cuts before every new user key once a block is out (one per entry here),
  // never between one key's versions.
  table_options_.block_size = 1;
  ASSERT_TRUE(Write({.target_size = 1}, kThreePrefixes).ok());
  ASSERT_EQ(outputs_->files().size(), 4u);
  EXPECT_EQ(Read(outputs_->files()[2]).points.size(), 3u);  // b1's three versions
}

TEST_F(LsmTableOutputsTest, KeysShorterThanThePrefixAreTheirOwnPrefix) {
  ASSERT_TRUE(Write({.cut_prefix_length = 2},
                    {{"a", 1, ""}, {"ab", 1, ""}, {"abc", 1, ""}, {"abd", 1, ""}, {"b", 1, ""}})
                  .ok());
  const auto& files = outputs_->files();
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(Read(files[1]).points.size(), 3u);  // ab, abc, abd share "ab"
}

// A queue's head and tail: keys a1, a2 (deletions at the head) and z1, z2 (new items at the
// tail), with older tables below between them.
const std::vector<PointEntry> kHeadAndTail = {
    {"a1", 9, ""}, {"a2", 9, ""}, {"z1", 9, "x"}, {"z2", 9, "x"}};

TEST_F(LsmTableOutputsTest, AWholeTableBelowBetweenTwoKeysCutsThere) {
  ASSERT_TRUE(
      Write({.tables_below = {{"a0", "a1"}, {"b", "m"}, {"n", "y"}, {"z2", "zz"}}}, kHeadAndTail)
          .ok());
  const auto& files = outputs_->files();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].largest_user_key(), "a2");
  EXPECT_EQ(files[1].smallest_user_key(), "z1");
}

TEST_F(LsmTableOutputsTest, NoCutWhereTheTablesBelowHoldAKeyOrTheTableIsSmall) {
  // Each table below holds one of the keys (or begins at one): no gap skips a whole table.
  ASSERT_TRUE(
      Write({.tables_below = {{"a0", "a1"}, {"a2", "z1"}, {"z2", "zz"}}}, kHeadAndTail).ok());
  EXPECT_EQ(outputs_->files().size(), 1u);
  ASSERT_TRUE(Write({.tables_below = {{"a", "a0"}, {"zz", "zzz"}}}, kHeadAndTail).ok());
  EXPECT_EQ(outputs_->files().size(), 1u);
  // A whole table in the gap, but the table so far is below gap_cut_size.
  ASSERT_TRUE(Write({.tables_below = {{"b", "m"}}, .gap_cut_size = 1 << 20}, kHeadAndTail).ok());
  EXPECT_EQ(outputs_->files().size(), 1u);
}

TEST_F(LsmTableOutputsTest, RangeTombstonesAreSplitAtTheCutsWithNothingLost) {
  // [a5, b2) crosses the a|b cut; [0, z) covers all three tables and the space around them.
  ASSERT_TRUE(
      Write({.cut_prefix_length = 1}, kThreePrefixes, {{"a5", "b2", 20}, {"0", "z", 3}}).ok());
  const auto& files = outputs_->files();
  ASSERT_EQ(files.size(), 3u);
  std::vector<std::vector<std::pair<std::string, std::string>>> parts(files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    for (const RangeTombstone& t : Read(files[i]).tombstones) parts[i].emplace_back(t.begin, t.end);
    if (i > 0) {
      EXPECT_LT(CompareInternalKeys(files[i - 1].largest, files[i].smallest), 0)
          << "tables " << i - 1 << " and " << i << " overlap";
    }
  }
  using Parts = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(parts[0], (Parts{{"0", "b1"}, {"a5", "b1"}}));
  EXPECT_EQ(parts[1], (Parts{{"b1", "b2"}, {"b1", "c"}}));
  EXPECT_EQ(parts[2], (Parts{{"c", "z"}}));
  EXPECT_EQ(files[0].smallest_user_key(), "0");
  EXPECT_EQ(files[2].largest_user_key(), "z");
}

TEST_F(LsmTableOutputsTest, OnlyTombstonesMakeOneTableAndNothingMakesNone) {
  ASSERT_TRUE(Write({.cut_prefix_length = 1}, {}, {{"a", "c", 4}}).ok());
  ASSERT_EQ(outputs_->files().size(), 1u);
  EXPECT_EQ(Read(outputs_->files()[0]).tombstones.size(), 1u);

  ASSERT_TRUE(Write({.cut_prefix_length = 1}, {}).ok());
  EXPECT_TRUE(outputs_->files().empty());
  EXPECT_TRUE(outputs_->numbers().empty());
  EXPECT_EQ(outputs_->bytes(), 0u);
}

TEST_F(LsmTableOutputsTest, SyncNamesThenRemoveAllAfterAFailure) {
  ASSERT_TRUE(Write({.cut_prefix_length = 1}, kThreePrefixes).ok());
  ASSERT_EQ(outputs_->numbers().size(), 3u);
  EXPECT_TRUE(outputs_->SyncNames().ok());
  for (std::uint64_t n : outputs_->numbers()) {
    EXPECT_EQ(fs_->Exists(TableFileName(dir_, n)).value_or(false), true) << n;
  }
  outputs_->RemoveAll();  // as after a failed MANIFEST write: no table is left behind
  for (std::uint64_t n : outputs_->numbers()) {
    EXPECT_EQ(fs_->Exists(TableFileName(dir_, n)).value_or(true), false) << n;
  }
}

}  // namespace
}  // namespace larder::lsm
