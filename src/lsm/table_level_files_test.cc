#include "lsm/table_level_files.h"

#include <gtest/gtest.h>

#include <random>

#include "larder/file_system.h"
#include "lsm/filename.h"
#include "lsm/iter_testutil.h"
#include "lsm/table_builder.h"
#include "lsm/table_cache.h"

namespace larder::lsm {
namespace {

using itertest::Entry;
using itertest::IKey;

// Writes `entries` (sorted) as tables of `per_table` entries in /db of `fs`.
std::vector<FileRef> WriteLevel(FileSystem* fs, const std::vector<Entry>& entries,
                                std::size_t per_table) {
  std::vector<FileRef> files;
  std::uint64_t number = 10;
  for (std::size_t i = 0; i < entries.size(); i += per_table, ++number) {
    const std::string path = TableFileName("/db", number);
    auto w = fs->NewAppendWriter(path);
    EXPECT_TRUE(w.ok());
    TableBuilder tb({}, w->get());
    auto meta = std::make_shared<FileMetaData>();
    meta->number = number;
    for (std::size_t j = i; j < std::min(entries.size(), i + per_table); ++j) {
      tb.Add(entries[j].first, entries[j].second);
      if (j == i) meta->smallest = entries[j].first;
      meta->largest = entries[j].first;
    }
    EXPECT_TRUE(tb.Finish().ok());
    EXPECT_TRUE((*w)->Close().ok());
    auto size = fs->FileSize(path);
    EXPECT_TRUE(size.ok());
    meta->file_size = *size;
    files.push_back(std::move(meta));
  }
  return files;
}

TEST(LsmTableLevelFilesTest, ReadsALevelOfTablesAsOne) {
  auto fs = NewMemFileSystem();
  ASSERT_TRUE(fs->CreateDirs("/db").ok());
  std::vector<Entry> all;
  for (int k = 0; k < 400; ++k) {
    all.push_back({IKey(itertest::Numbered("key", 1000 + k / 2), 1 + (k % 2), ValueType::kValue),
                   itertest::Numbered("v", static_cast<std::uint64_t>(k))});
  }
  itertest::SortEntries(&all);
  const std::vector<FileRef> files = WriteLevel(fs.get(), all, 37);  // versions split too
  TableCache cache("/db", fs.get(), nullptr, 4);                     // fewer open tables than files
  auto level = NewLevelIterator(std::make_unique<TableLevelFiles>(files, &cache, true, true));
  std::vector<std::string> targets;
  std::mt19937 rng(11);
  for (int t = 0; t < 100; ++t) {
    targets.push_back(IKey(itertest::Numbered("key", 990 + rng() % 220), rng() % 4, kMaxValueType));
  }
  EXPECT_EQ(itertest::CheckInternalIterator(level.get(), all, targets, &rng), "");
}

TEST(LsmTableLevelFilesTest, AMissingTableIsAnError) {
  auto fs = NewMemFileSystem();
  ASSERT_TRUE(fs->CreateDirs("/db").ok());
  std::vector<Entry> all;
  for (int k = 0; k < 30; ++k) {
    all.push_back({IKey(itertest::Numbered("key", 100 + k), 1, ValueType::kValue), "v"});
  }
  std::vector<FileRef> files = WriteLevel(fs.get(), all, 10);
  ASSERT_TRUE(fs->Remove(TableFileName("/db", 11)).ok());  // the middle table
  TableCache cache("/db", fs.get(), nullptr, 10);
  auto level = NewLevelIterator(std::make_unique<TableLevelFiles>(files, &cache, true, true));
  int seen = 0;
  for (level->SeekToFirst(); level->Valid(); level->Next()) ++seen;
  EXPECT_EQ(seen, 10);
  EXPECT_FALSE(level->status().ok());
  EXPECT_NE(level->status().message().find("000011"), std::string_view::npos)
      << level->status().ToString();
}

}  // namespace
}  // namespace larder::lsm
