// The fault-injecting file system's own tests: what a power loss keeps, drops and tears, and
// how crashes and injected faults behave, for the first calls and the later ones.
#include "testing/fault_injection_file_system.h"
#include "base/coding.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <string>
#include <vector>

namespace larder {
namespace {

using Op = FaultInjectionFileSystem::Op;

class FaultFsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(fs_.CreateDirs("/d").ok()); }

  // The file's content, or "<gone>".
  std::string Content(const std::string& path) {
    if (!*fs_.Exists(path)) return "<gone>";
    auto f = fs_.Open(path, {.read_only = true});
    EXPECT_TRUE(f.ok());
    std::string out(static_cast<std::size_t>(*(*f)->Size()), '\0');
    EXPECT_TRUE((*f)->ReadAt(0, {reinterpret_cast<std::uint8_t*>(out.data()), out.size()}).ok());
    return out;
  }
  void Write(const std::string& path, std::uint64_t off, const std::string& data, bool sync) {
    auto f = fs_.Open(path, {.create = true});
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->WriteAt(off, AsBytes(data)).ok());
    if (sync) {
      ASSERT_TRUE((*f)->Sync().ok());
    }
  }
  // The contents of `paths` after a power loss with each seed in [0, seeds), from the state
  // now, which is restored afterwards.
  std::vector<std::vector<std::string>> Outcomes(const std::vector<std::string>& paths, int seeds) {
    auto saved = fs_.Save();
    std::vector<std::vector<std::string>> out;
    for (int seed = 0; seed < seeds; ++seed) {
      fs_.PowerLoss(*saved, static_cast<std::uint64_t>(seed));
      std::vector<std::string>& contents = out.emplace_back();
      for (const std::string& path : paths) contents.push_back(Content(path));
    }
    fs_.Restore(*saved);
    return out;
  }
  std::vector<std::string> Outcomes(const std::string& path, int seeds) {
    std::vector<std::string> out;
    for (auto& contents : Outcomes(std::vector<std::string>{path}, seeds)) {
      out.push_back(std::move(contents[0]));
    }
    return out;
  }
  // The distinct outcomes for `paths`.
  std::set<std::vector<std::string>> DistinctOutcomes(const std::vector<std::string>& paths,
                                                      int seeds) {
    auto all = Outcomes(paths, seeds);
    return {all.begin(), all.end()};
  }

  FaultInjectionFileSystem fs_;
};

TEST_F(FaultFsTest, PowerLossKeepsSyncedData) {
  const std::string synced(3000, 's');
  Write("/d/a", 0, synced, /*sync=*/true);
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  Write("/d/a", 3000, std::string(2000, 'u'), /*sync=*/false);
  for (const std::string& c : Outcomes("/d/a", 40)) {
    ASSERT_GE(c.size(), synced.size());
    EXPECT_EQ(c.substr(0, synced.size()), synced);
  }
}

TEST_F(FaultFsTest, UnsyncedWritesAreKeptDroppedOrTornPerSeed) {
  Write("/d/a", 0, std::string(2048, 'o'), true);
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  const std::string fresh(2048, 'n');  // four sectors, overwriting the old bytes
  Write("/d/a", 0, fresh, false);
  const std::vector<std::string> first = Outcomes("/d/a", 64);
  EXPECT_EQ(Outcomes("/d/a", 64), first) << "the same seed must give the same file";
  int kept = 0, lost = 0, torn = 0;
  for (const std::string& c : first) {
    ASSERT_EQ(c.size(), 2048u);
    if (c == fresh) {
      ++kept;
    } else if (c == std::string(2048, 'o')) {
      ++lost;
    } else {
      ++torn;
      // Torn at sector granularity: each 512-byte sector is new, old or garbage, never mixed
      // new and old.
      for (std::size_t s = 0; s < 2048; s += 512) {
        const std::string sector = c.substr(s, 512);
        const bool all_new = sector == std::string(512, 'n');
        const bool all_old = sector == std::string(512, 'o');
        EXPECT_TRUE(all_new || all_old || sector.find_first_not_of("no") != std::string::npos);
      }
    }
  }
  EXPECT_GT(kept, 0);
  EXPECT_GT(lost, 0);
  EXPECT_GT(torn, 0);
}

TEST_F(FaultFsTest, FilesCreatedSinceTheLastSyncDirMayVanish) {
  Write("/d/new", 0, "data", /*sync=*/true);  // data synced, directory entry not
  std::set<std::string> seen;
  for (const std::string& c : Outcomes("/d/new", 32)) seen.insert(c);
  EXPECT_EQ(seen, (std::set<std::string>{"<gone>", "data"}));
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  for (const std::string& c : Outcomes("/d/new", 32)) EXPECT_EQ(c, "data");
}

// A link is a new directory entry: it may vanish until the directory sync; its content is the
// original's durable content.
TEST_F(FaultFsTest, ALinkMayVanishUntilTheDirectorySync) {
  Write("/d/a", 0, "data", /*sync=*/true);
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  ASSERT_TRUE(fs_.Link("/d/a", "/d/b").ok());
  EXPECT_EQ(Content("/d/b"), "data");
  using Seen = std::set<std::vector<std::string>>;
  EXPECT_EQ(DistinctOutcomes({"/d/a", "/d/b"}, 32), (Seen{{"data", "<gone>"}, {"data", "data"}}));
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  for (const std::string& c : Outcomes("/d/b", 16)) EXPECT_EQ(c, "data");
  fs_.CrashAfter(0);
  EXPECT_FALSE(fs_.Link("/d/a", "/d/c").ok());  // a mutating operation: stopped by a crash
}

TEST_F(FaultFsTest, AnUnsyncedRenameMayBeUndone) {
  Write("/d/tmp", 0, "v1", true);
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  ASSERT_TRUE(fs_.Rename("/d/tmp", "/d/final").ok());
  // Under one name or the other, never lost, never both.
  using Seen = std::set<std::vector<std::string>>;
  EXPECT_EQ(DistinctOutcomes({"/d/tmp", "/d/final"}, 32),
            (Seen{{"<gone>", "v1"}, {"v1", "<gone>"}}));
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  for (const std::string& c : Outcomes("/d/final", 16)) EXPECT_EQ(c, "v1");
}

// Replacing a file by rename (the write-temporary-then-rename pattern): until the directory sync
// a power loss leaves the old file or the new one under the name, never neither.
TEST_F(FaultFsTest, AnUndoneRenameBringsBackTheFileItReplaced) {
  Write("/d/db", 0, "old", true);
  Write("/d/db.tmp", 0, "new", true);
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  ASSERT_TRUE(fs_.Rename("/d/db.tmp", "/d/db").ok());
  using Seen = std::set<std::vector<std::string>>;
  EXPECT_EQ(DistinctOutcomes({"/d/db", "/d/db.tmp"}, 32),
            (Seen{{"new", "<gone>"}, {"old", "new"}}));
}

// As above, with a new file whose own name was never synced: a power loss may take the new file,
// and then the one it replaced is back; never neither.
TEST_F(FaultFsTest, ANeverNamedFileRenamedOverADurableOneLeavesOneOfThem) {
  Write("/d/db", 0, "old", true);
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  Write("/d/db.tmp", 0, "new", true);
  ASSERT_TRUE(fs_.Rename("/d/db.tmp", "/d/db").ok());
  using Seen = std::set<std::vector<std::string>>;
  EXPECT_EQ(DistinctOutcomes({"/d/db", "/d/db.tmp"}, 32),
            (Seen{{"new", "<gone>"}, {"old", "<gone>"}}));
}

// InstallFile (larder/file_system.h) over a file whose name was never synced: a crash at any of
// its steps, then a power loss, leaves the old file or the new one under the name, never
// neither; once it returned, always the new one.
TEST_F(FaultFsTest, InstallFileLeavesTheOldFileOrTheNewOne) {
  Write("/d/db", 0, "old", true);
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  Write("/d/db.tmp", 0, "new", true);  // created since the last directory sync
  auto before = fs_.Save();
  std::set<std::string> seen;
  for (std::uint64_t steps = 0; steps <= 3; ++steps) {
    fs_.Restore(*before);
    fs_.CrashAfter(steps);
    const bool returned = InstallFile(&fs_, "/d/db.tmp", "/d/db").ok();
    EXPECT_EQ(returned, steps == 3) << steps;
    for (const std::string& c : Outcomes("/d/db", 16)) {
      if (returned) {
        EXPECT_EQ(c, "new") << steps;
      } else {
        EXPECT_TRUE(c == "old" || c == "new") << steps << ": " << c;
      }
      seen.insert(c);
    }
  }
  EXPECT_EQ(seen, (std::set<std::string>{"old", "new"}));  // the crashes did cut it midway
}

TEST_F(FaultFsTest, CrashAfterStopsEveryLaterMutation) {
  auto f = fs_.Open("/d/a", {.create = true});
  ASSERT_TRUE(f.ok());
  const std::uint64_t before = fs_.mutating_ops();
  fs_.CrashAfter(2);
  EXPECT_FALSE(fs_.crashed());
  ASSERT_TRUE((*f)->WriteAt(0, AsBytes("one")).ok());
  ASSERT_TRUE((*f)->Sync().ok());
  EXPECT_TRUE(fs_.crashed());
  EXPECT_TRUE((*f)->WriteAt(0, AsBytes("two")).IsIOError());
  EXPECT_TRUE((*f)->Truncate(0).IsIOError());
  EXPECT_TRUE(fs_.Rename("/d/a", "/d/b").IsIOError());
  EXPECT_TRUE(fs_.Open("/d/c", {.create = true}).status().IsIOError());
  std::uint8_t buf[3];
  EXPECT_TRUE((*f)->ReadAt(0, buf).ok()) << "reads still work";
  EXPECT_EQ(fs_.mutating_ops() - before, 2u);
  EXPECT_EQ(Content("/d/a"), "one") << "a failed operation changes nothing";
  fs_.ClearFaults();
  EXPECT_TRUE((*f)->WriteAt(0, AsBytes("two")).ok());
}

TEST_F(FaultFsTest, FailNthFailsOnceOrForGood) {
  auto f = fs_.Open("/d/a", {.create = true});
  ASSERT_TRUE(f.ok());
  fs_.FailNth(Op::kSync, 2, /*persistent=*/false);
  EXPECT_TRUE((*f)->Sync().ok());
  EXPECT_TRUE((*f)->Sync().IsIOError());
  EXPECT_TRUE((*f)->Sync().ok());
  EXPECT_EQ(fs_.injected_faults(), 1u);
  fs_.FailNth(Op::kWrite, 1, /*persistent=*/true, ENOSPC);
  EXPECT_EQ((*f)->WriteAt(0, AsBytes("x")).code(), Code::kNoSpace);
  EXPECT_EQ((*f)->WriteAt(0, AsBytes("x")).code(), Code::kNoSpace);
  EXPECT_EQ(fs_.injected_faults(), 3u);
  EXPECT_TRUE((*f)->Sync().ok()) << "other kinds are not affected";
  fs_.ClearFaults();
  EXPECT_TRUE((*f)->WriteAt(0, AsBytes("x")).ok());
}

TEST_F(FaultFsTest, RestoreReturnsToTheSavedStateIncludingUnsyncedWrites) {
  Write("/d/a", 0, "synced", true);
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  Write("/d/a", 6, std::string(1500, 'u'), false);
  auto saved = fs_.Save();
  const std::string at_save = Content("/d/a");
  fs_.PowerLoss(3);
  const std::string after_loss = Content("/d/a");
  Write("/d/a", 0, "overwritten", true);
  Write("/d/b", 0, "another file", true);
  fs_.Restore(*saved);
  EXPECT_EQ(Content("/d/a"), at_save);
  EXPECT_EQ(Content("/d/b"), "<gone>");
  fs_.PowerLoss(3);  // the unsynced log came back with the state: the same seed, the same file
  EXPECT_EQ(Content("/d/a"), after_loss);
}

// PowerLoss(saved, seed) is Restore(saved) then PowerLoss(seed): every file, renamed and created
// ones included, comes out the same, whatever happened after the Save.
TEST_F(FaultFsTest, PowerLossOfASavedStateEqualsRestoreThenPowerLoss) {
  Write("/d/a", 0, "synced", true);
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  Write("/d/a", 6, std::string(1500, 'u'), false);
  Write("/d/new", 0, std::string(700, 'n'), true);  // its name never synced
  Write("/d/r", 0, "renamed", true);
  ASSERT_TRUE(fs_.Rename("/d/r", "/d/s").ok());
  auto saved = fs_.Save();
  const std::vector<std::string> paths = {"/d/a", "/d/new", "/d/r", "/d/s", "/d/later"};
  std::set<std::string> outcomes;
  for (std::uint64_t seed = 0; seed < 24; ++seed) {
    Write("/d/a", 0, "overwritten since", true);
    Write("/d/later", 0, "created since", true);
    fs_.Restore(*saved);
    fs_.PowerLoss(seed);
    std::string expected;
    for (const std::string& p : paths) expected += Content(p) + "|";
    Write("/d/a", 0, "overwritten since", true);
    Write("/d/later", 0, "created since", true);
    fs_.PowerLoss(*saved, seed);
    std::string got;
    for (const std::string& p : paths) got += Content(p) + "|";
    EXPECT_EQ(got, expected) << "seed " << seed;
    outcomes.insert(got);
  }
  EXPECT_GT(outcomes.size(), 4u);  // the seeds did differ
}

TEST_F(FaultFsTest, CreationPreallocationAndRemoveDirAreMutatingOperations) {
  std::uint64_t ops = fs_.mutating_ops();
  auto f = fs_.Open("/d/x", {.create = true, .exclusive = true});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(fs_.mutating_ops(), ++ops);
  EXPECT_EQ(fs_.Open("/d/x", {.create = true, .exclusive = true}).status().code(),
            Code::kAlreadyExists);
  ASSERT_TRUE(fs_.Open("/d/x", {.create = true}).ok());
  EXPECT_EQ(fs_.mutating_ops(), ops) << "opening an existing file creates nothing";
  ASSERT_TRUE((*f)->Preallocate(0, 1 << 16).ok());
  EXPECT_EQ(fs_.mutating_ops(), ++ops);
  EXPECT_EQ(*(*f)->Size(), 0u);
  ASSERT_TRUE(fs_.CreateDirs("/d/sub").ok());
  ASSERT_TRUE(fs_.RemoveDir("/d/sub").ok());
  EXPECT_EQ(fs_.mutating_ops(), ++ops);

  fs_.FailNth(Op::kPreallocate, 1, false, ENOSPC);
  EXPECT_EQ((*f)->Preallocate(0, 4096).code(), Code::kNoSpace);
  fs_.FailNth(Op::kCreate, 1, false);
  EXPECT_TRUE(fs_.Open("/d/y", {.create = true}).status().IsIOError());
  EXPECT_FALSE(*fs_.Exists("/d/y"));
  ASSERT_TRUE(fs_.CreateDirs("/d/sub2").ok());
  fs_.FailNth(Op::kRemoveDir, 1, false);
  EXPECT_TRUE(fs_.RemoveDir("/d/sub2").IsIOError());
  EXPECT_TRUE(*fs_.Exists("/d/sub2"));
  EXPECT_EQ(fs_.injected_faults(), 3u);

  fs_.CrashAfter(0);
  EXPECT_TRUE(fs_.Open("/d/z", {.create = true, .exclusive = true}).status().IsIOError());
  EXPECT_TRUE((*f)->Preallocate(0, 4096).IsIOError());
  EXPECT_TRUE(fs_.RemoveDir("/d/sub2").IsIOError());
  EXPECT_FALSE(*fs_.Exists("/d/z"));
  EXPECT_EQ(*fs_.FileSize("/d/x"), 0u) << "FileSize is a read";
}

TEST_F(FaultFsTest, ADirectWriteIsUnsyncedUntilSync) {
  std::size_t a = 0;
  {
    auto f = fs_.Open("/d/direct", {.create = true, .direct_io = true});
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->direct_io());
    a = (*f)->alignment();
    AlignedBuffer buf(a, a);
    std::memset(buf.data(), 'd', a);
    EXPECT_EQ((*f)->WriteAt(1, buf.span()).code(), Code::kInvalidArgument) << "alignment holds";
    ASSERT_TRUE((*f)->WriteAt(0, buf.span()).ok());
  }
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  std::set<std::size_t> sizes;
  for (const std::string& c : Outcomes("/d/direct", 32)) sizes.insert(c.size());
  EXPECT_TRUE(sizes.count(0) && sizes.count(a)) << "an unsynced direct write may be lost";
  {
    auto f = fs_.Open("/d/direct", {.direct_io = true});
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Sync().ok());
  }
  for (const std::string& c : Outcomes("/d/direct", 16)) EXPECT_EQ(c, std::string(a, 'd'));
}

TEST_F(FaultFsTest, UnsyncedAppendsMayBeLostOrTornSyncedOnesStay) {
  const std::string head(3000, 'h');
  {
    auto w = fs_.NewAppendWriter("/d/log", {.buffer_size = 1024});
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(fs_.SyncDir("/d").ok());
    ASSERT_TRUE((*w)->Append(head).ok());
    ASSERT_TRUE((*w)->Sync().ok());
    ASSERT_TRUE((*w)->Append(std::string(3000, 't')).ok());
    ASSERT_TRUE((*w)->Close().ok());  // flushes, does not sync
  }
  std::set<std::string> tails;
  for (const std::string& c : Outcomes("/d/log", 128)) {
    ASSERT_GE(c.size(), head.size());
    EXPECT_EQ(c.substr(0, head.size()), head);
    tails.insert(c.substr(head.size()));
  }
  EXPECT_TRUE(tails.count("")) << "all unsynced appends lost";
  EXPECT_TRUE(tails.count(std::string(3000, 't'))) << "all kept";
  EXPECT_GT(tails.size(), 2u) << "some partly kept or torn";
}

}  // namespace
}  // namespace larder
