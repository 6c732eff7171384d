#include <fmt/format.h>
#include <gtest/gtest.h>

#include "larder/lsm/db.h"
#include "lsm/dir_lock.h"
#include "lsm/filename.h"
#include "lsm/log_writer.h"
#include "lsm/manifest_test_util.h"
#include "lsm/table_builder.h"
#include "lsm/version_set.h"

namespace larder::lsm {
namespace {

using manifest_test::IKey;

class LsmCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs_->CreateDirs("/db").ok());
    options_.file_system = fs_.get();
    options_.num_levels = 4;
    VersionSet vs("/db", fs_.get(), options_);
    ASSERT_TRUE(vs.Create().ok());
    VersionEdit e;
    e.AddFile(0, BuildTable(5, 'a', 'm'));
    e.AddFile(1, BuildTable(6, 'a', 'f'));
    e.AddFile(1, BuildTable(7, 'g', 'z'));
    e.AddVlog(3);
    e.SetLogNumber(3);
    WriteVlog(3);
    WriteVlog(8);  // the active log, past the log number
    ASSERT_TRUE(vs.LogAndApply(&e).ok());
  }

  // A table of user keys lo..hi (one a letter), described as the MANIFEST would.
  FileMetaData BuildTable(std::uint64_t number, char lo, char hi) {
    auto w = fs_->NewAppendWriter(TableFileName("/db", number), {.truncate = true});
    EXPECT_TRUE(w.ok());
    TableBuilder tb(TableOptions{}, w->get());
    for (char c = lo; c <= hi; ++c)
      tb.Add(IKey(std::string(1, c), 100 + number), std::string(300, c));
    EXPECT_TRUE(tb.Finish().ok());
    EXPECT_TRUE((*w)->Close().ok());
    FileMetaData f;
    f.number = number;
    f.file_size = tb.FileSize();
    f.smallest = IKey(std::string(1, lo), 100 + number);
    f.largest = IKey(std::string(1, hi), 100 + number);
    f.smallest_seq = f.largest_seq = 100 + number;
    f.num_entries = static_cast<std::uint64_t>(hi - lo + 1);
    return f;
  }
  void WriteVlog(std::uint64_t number) {
    auto w = fs_->NewAppendWriter(VlogFileName("/db", number), {.truncate = true});
    ASSERT_TRUE(w.ok());
    LogWriter log(std::move(*w));
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(log.AddRecord(LogRecordType::kValue, std::string(100, 'v')).ok());
    }
    ASSERT_TRUE(log.Close().ok());
  }
  void Damage(const std::string& path, std::uint64_t offset) {
    auto f = fs_->Open(path, {});
    ASSERT_TRUE(f.ok());
    std::uint8_t b = 0;
    ASSERT_TRUE((*f)->ReadAt(offset, {&b, 1}).ok());
    b ^= 0x40;
    ASSERT_TRUE((*f)->WriteAt(offset, {&b, 1}).ok());
  }
  std::vector<std::string> Problems() {
    auto r = Check("/db", options_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<std::string>{"<error>"};
  }
  static bool Mentions(const std::vector<std::string>& problems, const std::string& text) {
    for (const auto& p : problems) {
      if (p.find(text) != std::string::npos) return true;
    }
    return false;
  }

  std::unique_ptr<FileSystem> fs_ = NewMemFileSystem(std::size_t{1} << 24);
  Options options_;
};

TEST_F(LsmCheckTest, CleanDatabaseHasNoProblems) {
  EXPECT_EQ(Problems(), std::vector<std::string>{});
}

TEST_F(LsmCheckTest, ProgressClimbsToEveryByteOfTablesAndLogs) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> calls;
  auto r = Check("/db", options_,
                 [&](std::uint64_t done, std::uint64_t total) { calls.emplace_back(done, total); });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_FALSE(calls.empty());
  std::uint64_t files_bytes = 0;
  const auto names = fs_->ListDir("/db");
  ASSERT_TRUE(names.ok());
  for (const std::string& name : *names) {
    if (name.ends_with(".sst") || name.ends_with(".vlog")) {
      files_bytes += *fs_->FileSize("/db/" + name);
    }
  }
  for (std::size_t i = 1; i < calls.size(); ++i) EXPECT_GE(calls[i].first, calls[i - 1].first);
  EXPECT_EQ(calls.back().first, calls.back().second);
  EXPECT_EQ(calls.back().second, files_bytes);
}

TEST_F(LsmCheckTest, DamagedTableIsNamed) {
  Damage("/db/000006.sst", 20);
  const auto problems = Problems();
  ASSERT_EQ(problems.size(), 1u) << fmt::format("{}", fmt::join(problems, "\n"));
  EXPECT_TRUE(Mentions(problems, "/db/000006.sst (level 1)")) << problems[0];
}

TEST_F(LsmCheckTest, MissingAndStrayFiles) {
  ASSERT_TRUE(fs_->Remove("/db/000007.sst").ok());
  ASSERT_TRUE(fs_->Rename("/db/000005.sst", "/db/000099.sst").ok());
  ASSERT_TRUE(fs_->Remove("/db/000003.vlog").ok());
  WriteVlog(2);  // below the log number, not named
  const auto problems = Problems();
  EXPECT_EQ(problems.size(), 5u) << fmt::format("{}", fmt::join(problems, "\n"));
  EXPECT_TRUE(Mentions(problems, "/db/000007.sst (level 1): missing"));
  EXPECT_TRUE(Mentions(problems, "/db/000005.sst (level 0): missing"));
  EXPECT_TRUE(Mentions(problems, "/db/000099.sst: stray table"));
  EXPECT_TRUE(Mentions(problems, "/db/000003.vlog: missing value log"));
  EXPECT_TRUE(Mentions(problems, "/db/000002.vlog: stray value log"));
}

TEST_F(LsmCheckTest, TableOutsideItsManifestRange) {
  VersionSet vs("/db", fs_.get(), options_);
  ASSERT_TRUE(vs.Recover().ok());
  VersionEdit e;
  FileMetaData f = BuildTable(9, 'c', 'k');
  f.largest = IKey("h", 1);  // the table goes on to k
  e.AddFile(2, f);
  ASSERT_TRUE(vs.LogAndApply(&e).ok());
  const auto problems = Problems();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_TRUE(Mentions(problems, "/db/000009.sst (level 2): last key")) << problems[0];
}

TEST_F(LsmCheckTest, DamagedValueLogs) {
  // The newest log may end torn (a crash); an older one may not, nor be damaged inside.
  auto f = fs_->Open("/db/000008.vlog", {});
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Truncate(*(*f)->Size() - 10).ok());
  EXPECT_EQ(Problems(), std::vector<std::string>{});
  Damage("/db/000003.vlog", 20);
  const auto problems = Problems();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_TRUE(Mentions(problems, "/db/000003.vlog")) << problems[0];
}

TEST_F(LsmCheckTest, DamagedManifestIsOneProblem) {
  Damage("/db/MANIFEST", kManifestHeaderSize + kManifestRecordHeaderSize + 1);
  const auto problems = Problems();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_TRUE(Mentions(problems, "/db/MANIFEST")) << problems[0];
}

TEST_F(LsmCheckTest, ErrorsThatStopTheCheck) {
  {
    auto writer = DirLock::Acquire(fs_.get(), "/db", false);
    ASSERT_TRUE(writer.ok());
    EXPECT_EQ(Check("/db", options_).status().code(), Code::kBusy);
  }
  EXPECT_TRUE(Check("/db", options_).ok());
  EXPECT_TRUE(Check("/nodb", options_).status().IsNotFound());
}

}  // namespace
}  // namespace larder::lsm
