#include "lsm/version_set.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "larder/file_system_wrapper.h"
#include "lsm/filename.h"
#include "lsm/manifest_test_util.h"
#include "testing/fault_injection_file_system.h"
#include "tests/util/temp_dir.h"

namespace larder::lsm {
namespace {

using manifest_test::IKey;
using manifest_test::Table;

Options SmallOptions() {
  Options o;
  o.num_levels = 4;
  return o;
}

// Everything a VersionSet persists, as one comparable string.
std::string StateOf(const VersionSet& vs) {
  std::string s = vs.current()->DebugString();
  s += fmt::format("log {}@{} last_seq {}\n", vs.log_number(), vs.log_offset(), vs.last_sequence());
  for (int level = 0; level < vs.num_levels(); ++level) {
    if (!vs.compact_pointer(level).empty())
      s += fmt::format("cp{} {}\n", level, DebugString(vs.compact_pointer(level)));
  }
  return s;
}

// Applicable random edits, generated against a model of the state.
class EditGenerator {
 public:
  explicit EditGenerator(std::uint64_t seed) : rng_(seed) {}

  VersionEdit Next() {
    VersionEdit e;
    auto n = [&](std::uint64_t bound) { return rng_() % bound; };
    for (std::uint64_t i = n(3); i > 0; --i) {  // flushes to level 0
      std::string a = fmt::format("k{:03}", n(1000)), b = fmt::format("k{:03}", n(1000));
      if (b < a) std::swap(a, b);
      Add(&e, 0, Table(next_++, a, b, 1000 + n(5000), seq_));
      seq_ += 10;
    }
    for (std::uint64_t i = n(3); i > 0; --i) {  // deeper tables, one user key each: disjoint
      const std::uint64_t number = next_++;
      const std::string key = fmt::format("u{:08}", number);
      Add(&e, 1 + static_cast<int>(n(3)), Table(number, key, key, 100 + n(100000), 5));
    }
    for (std::uint64_t i = n(3); i > 0 && !files_.empty(); --i) {
      auto it = files_.begin();
      std::advance(it, static_cast<std::ptrdiff_t>(n(files_.size())));
      if (Deleted(e, it->first)) continue;
      e.RemoveFile(it->second, it->first);
    }
    if (n(3) == 0) e.AddVlog(next_++);
    if (n(4) == 0 && !vlogs_.empty()) e.RemoveVlog(*vlogs_.begin());
    if (!vlogs_.empty() && n(2) == 0) e.AddVlogDiscard(*vlogs_.rbegin(), n(1 << 20));
    if (n(2) == 0) e.SetLogNumber(next_ - 1), e.SetLogOffset(n(1 << 30));
    if (n(4) == 0)
      e.SetCompactPointer(1 + static_cast<int>(n(2)), IKey(fmt::format("c{}", n(100)), n(100)));
    if (n(3) == 0) e.SetLastSequence(seq_);
    // Keep the model.
    for (const auto& [level, number] : e.deleted_files()) files_.erase(number);
    for (const auto& [level, f] : e.new_files()) files_[f.number] = level;
    for (std::uint64_t v : e.removed_vlogs()) vlogs_.erase(v);
    for (std::uint64_t v : e.added_vlogs()) vlogs_.insert(v);
    return e;
  }
  const std::map<std::uint64_t, int>& files() const { return files_; }

 private:
  static void Add(VersionEdit* e, int level, FileMetaData f) { e->AddFile(level, std::move(f)); }
  static bool Deleted(const VersionEdit& e, std::uint64_t number) {
    for (const auto& [level, n] : e.deleted_files()) {
      if (n == number) return true;
    }
    return false;
  }
  std::mt19937_64 rng_;
  std::uint64_t next_ = 10;
  SequenceNumber seq_ = 100;
  std::map<std::uint64_t, int> files_;  // number -> level
  std::set<std::uint64_t> vlogs_;
};

std::string ManifestContents(FileSystem* fs, const std::string& dir) {
  std::string c;
  EXPECT_TRUE(ReadWholeFile(fs, ManifestFileName(dir), &c).ok());
  return c;
}

void CreateApplyRecover(FileSystem* fs, const std::string& dir) {
  EditGenerator gen(7);
  std::string expected;
  {
    VersionSet vs(dir, fs, SmallOptions());
    ASSERT_TRUE(vs.Create().ok());
    EXPECT_TRUE(vs.Create().code() == Code::kAlreadyExists);
    for (int i = 0; i < 30; ++i) {
      VersionEdit e = gen.Next();
      ASSERT_TRUE(vs.LogAndApply(&e).ok()) << i << "\n" << e.DebugString();
    }
    vs.SetLastSequence(123456);  // not persisted until the next edit
    VersionEdit empty;
    ASSERT_TRUE(vs.LogAndApply(&empty).ok());
    expected = StateOf(vs);
    EXPECT_EQ(vs.current()->NumFiles(0) + vs.current()->NumFiles(1) + vs.current()->NumFiles(2) +
                  vs.current()->NumFiles(3),
              static_cast<int>(gen.files().size()));
  }
  VersionSet vs(dir, fs, SmallOptions());
  ASSERT_TRUE(vs.Recover().ok());
  EXPECT_EQ(StateOf(vs), expected);
  EXPECT_EQ(vs.last_sequence(), 123456u);
  for (const auto& [number, level] : gen.files()) EXPECT_LT(number, vs.next_file_number());
  const std::uint64_t n = vs.NewFileNumber();
  EXPECT_EQ(vs.NewFileNumber(), n + 1);
}

TEST(LsmVersionSetTest, CreateApplyRecoverInMemory) {
  auto fs = NewMemFileSystem(std::size_t{1} << 26);
  ASSERT_TRUE(fs->CreateDirs("/db").ok());
  CreateApplyRecover(fs.get(), "/db");
}

TEST(LsmVersionSetTest, CreateApplyRecoverOnDisk) {
  test::TempDir dir;
  CreateApplyRecover(DefaultFileSystem(), dir.path());
}

TEST(LsmVersionSetTest, RecoverMissingAndBadEdits) {
  auto fs = NewMemFileSystem(std::size_t{1} << 26);
  VersionSet missing("/none", fs.get(), SmallOptions());
  EXPECT_TRUE(missing.Recover().IsNotFound());

  VersionSet vs("/db", fs.get(), SmallOptions());
  EXPECT_TRUE(vs.Create().ok());
  const std::uint64_t size = vs.manifest_bytes();
  VersionEdit bad;
  bad.RemoveFile(1, 42);
  EXPECT_TRUE(vs.LogAndApply(&bad).IsInvalidArgument());
  EXPECT_EQ(vs.manifest_bytes(), size);  // nothing written
  VersionEdit good;
  good.AddFile(1, Table(vs.NewFileNumber(), "a", "b"));
  EXPECT_TRUE(vs.LogAndApply(&good).ok());  // still usable
  EXPECT_GT(vs.manifest_bytes(), size);
}

// Random edits with reopens in between and a small rewrite threshold, against the model the
// generator keeps; the MANIFEST stays bounded.
TEST(LsmVersionSetTest, RandomEditsReopensAndRewrites) {
  auto fs = NewMemFileSystem(std::size_t{1} << 26);
  EditGenerator gen(99);
  std::string expected;
  std::uint64_t max_manifest = 0;
  {
    VersionSet vs("/db", fs.get(), SmallOptions());
    ASSERT_TRUE(vs.Create().ok());
    expected = StateOf(vs);
  }
  for (int round = 0; round < 20; ++round) {
    VersionSet vs("/db", fs.get(), SmallOptions());
    vs.set_manifest_rewrite_bytes(2048);
    ASSERT_TRUE(vs.Recover().ok()) << round;
    ASSERT_EQ(StateOf(vs), expected) << round;
    for (int i = 0; i < 15; ++i) {
      VersionEdit e = gen.Next();
      ASSERT_TRUE(vs.LogAndApply(&e).ok());
      max_manifest = std::max(max_manifest, vs.manifest_bytes());
    }
    for (int level = 0; level < vs.num_levels(); ++level) {
      for (const FileRef& f : vs.current()->files(level)) {
        ASSERT_EQ(gen.files().at(f->number), level);
      }
    }
    expected = StateOf(vs);
  }
  // Bounded by twice the snapshot (a few KiB here), plus one edit.
  EXPECT_LT(max_manifest, 64u << 10);
  EXPECT_GT(gen.files().size(), 20u);
}

TEST(LsmVersionSetTest, LiveFilesKeepsHeldVersions) {
  auto fs = NewMemFileSystem(std::size_t{1} << 26);
  VersionSet vs("/db", fs.get(), SmallOptions());
  ASSERT_TRUE(vs.Create().ok());
  VersionEdit e;
  e.AddFile(0, Table(5, "a", "b"));
  e.AddFile(0, Table(6, "c", "d"));
  e.AddVlog(4);
  ASSERT_TRUE(vs.LogAndApply(&e).ok());
  std::shared_ptr<const Version> held = vs.current();
  VersionEdit del;
  del.RemoveFile(0, 5);
  del.RemoveVlog(4);
  ASSERT_TRUE(vs.LogAndApply(&del).ok());
  EXPECT_EQ(vs.LiveFiles(), (std::set<std::uint64_t>{4, 5, 6}));
  held.reset();
  EXPECT_EQ(vs.LiveFiles(), (std::set<std::uint64_t>{6}));
}

TEST(LsmVersionSetTest, FailedSyncPoisons) {
  FaultInjectionFileSystem fs;
  ASSERT_TRUE(fs.CreateDirs("/db").ok());
  std::string before;
  {
    VersionSet vs("/db", &fs, SmallOptions());
    ASSERT_TRUE(vs.Create().ok());
    VersionEdit e;
    e.AddFile(0, Table(vs.NewFileNumber(), "a", "b"));
    ASSERT_TRUE(vs.LogAndApply(&e).ok());
    before = StateOf(vs);
    fs.FailNth(FaultInjectionFileSystem::Op::kSync, 1, false);
    VersionEdit e2;
    e2.AddFile(0, Table(vs.NewFileNumber(), "c", "d"));
    const Status s = vs.LogAndApply(&e2);
    EXPECT_EQ(s.code(), Code::kPoisoned) << s.ToString();
    EXPECT_NE(s.ToString().find("MANIFEST"), std::string::npos);
    EXPECT_EQ(StateOf(vs), before);  // not installed
    VersionEdit e3;
    EXPECT_EQ(vs.LogAndApply(&e3).code(), Code::kPoisoned);  // refused from now on
    EXPECT_EQ(vs.poisoned().code(), Code::kPoisoned);
  }
  EXPECT_EQ(fs.injected_faults(), 1u);
}

TEST(LsmVersionSetTest, DamagedManifestIsCorruptionNamingIt) {
  auto fs = NewMemFileSystem(std::size_t{1} << 26);
  EditGenerator gen(3);
  {
    VersionSet vs("/db", fs.get(), SmallOptions());
    ASSERT_TRUE(vs.Create().ok());
    for (int i = 0; i < 5; ++i) {
      VersionEdit e = gen.Next();
      ASSERT_TRUE(vs.LogAndApply(&e).ok());
    }
  }
  const std::string good = ManifestContents(fs.get(), "/db");
  auto write = [&](const std::string& contents) {
    ASSERT_TRUE(WriteWholeFile(fs.get(), "/db/MANIFEST", contents).ok());
  };
  // A flipped byte in the snapshot record (followed by intact records).
  std::string bad = good;
  bad[kManifestHeaderSize + kManifestRecordHeaderSize + 3] ^= 0x20;
  write(bad);
  {
    VersionSet vs("/db", fs.get(), SmallOptions());
    const Status s = vs.Recover();
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_NE(s.ToString().find("/db/MANIFEST"), std::string::npos) << s.ToString();
  }
  // A torn tail: recovered read-only without touching the file, read-write with a rewrite.
  write(good + std::string("\x07\x00\x00\x00garbage", 11));
  {
    Options ro = SmallOptions();
    ro.read_only = true;
    VersionSet vs("/db", fs.get(), ro);
    ASSERT_TRUE(vs.Recover().ok());
    VersionEdit e;
    EXPECT_EQ(vs.LogAndApply(&e).code(), Code::kReadOnly);
    EXPECT_EQ(ManifestContents(fs.get(), "/db").size(), good.size() + 11);
  }
  {
    VersionSet vs("/db", fs.get(), SmallOptions());
    ASSERT_TRUE(vs.Recover().ok());
    ParsedManifest p;
    const std::string now = ManifestContents(fs.get(), "/db");
    ASSERT_TRUE(ParseManifest(now, "/db/MANIFEST", &p).ok());
    EXPECT_FALSE(p.torn_tail);
    EXPECT_EQ(p.records.size(), 1u);  // a fresh snapshot
    VersionEdit e = gen.Next();
    ASSERT_TRUE(vs.LogAndApply(&e).ok());
  }
  // A MANIFEST without the required fields.
  write(good.substr(0, kManifestHeaderSize));
  {
    VersionSet vs("/db", fs.get(), SmallOptions());
    EXPECT_TRUE(vs.Recover().IsCorruption());
  }
  // A stray MANIFEST.tmp is removed.
  write(good);
  ASSERT_TRUE(fs->Open("/db/MANIFEST.tmp", {.create = true}).ok());
  {
    VersionSet vs("/db", fs.get(), SmallOptions());
    ASSERT_TRUE(vs.Recover().ok());
    EXPECT_FALSE(*fs->Exists("/db/MANIFEST.tmp"));
  }
}

// Crash at every mutating operation of Create and 25 edits (with MANIFEST rewrites every few
// edits), then a power loss: Recover gives the state of the last acknowledged edit or of the one
// in flight, never an error (once Create was acknowledged) and never another state.
TEST(LsmVersionSetTest, CrashAtEveryPointRecoversOldOrNewState) {
  constexpr int kEdits = 25;
  std::vector<VersionEdit> edits;
  {
    EditGenerator gen(2026);
    for (int i = 0; i < kEdits; ++i) edits.push_back(gen.Next());
  }
  // Runs Create and the edits until the first failure; returns the acknowledged states.
  auto run = [&](FaultInjectionFileSystem* fs, std::vector<std::string>* states) {
    VersionSet vs("/db", fs, SmallOptions());
    vs.set_manifest_rewrite_bytes(1024);
    if (!vs.Create().ok()) return std::uint64_t{0};
    states->push_back(StateOf(vs));
    for (VersionEdit e : edits) {
      if (!vs.LogAndApply(&e).ok()) break;
      states->push_back(StateOf(vs));
    }
    return vs.manifest_rewrites();
  };
  std::vector<std::string> all;
  std::uint64_t total_ops = 0;
  {
    FaultInjectionFileSystem fs;
    ASSERT_TRUE(fs.CreateDirs("/db").ok());
    const std::uint64_t start = fs.mutating_ops();
    EXPECT_GE(run(&fs, &all), 4u);  // Create's and at least three more
    total_ops = fs.mutating_ops() - start;
  }
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kEdits + 1));
  int recovered = 0;
  for (std::uint64_t crash = 0; crash <= total_ops; ++crash) {
    for (std::uint64_t seed = 0; seed < 8; ++seed) {
      FaultInjectionFileSystem fs;
      ASSERT_TRUE(fs.CreateDirs("/db").ok());
      fs.CrashAfter(crash);
      std::vector<std::string> acked;
      (void)run(&fs, &acked);
      fs.PowerLoss(seed * 1000 + crash);
      VersionSet vs("/db", &fs, SmallOptions());
      const Status s = vs.Recover();
      if (acked.empty() && s.IsNotFound()) continue;  // Create never acknowledged
      ASSERT_TRUE(s.ok()) << "crash " << crash << " seed " << seed << ": " << s.ToString();
      const std::string got = StateOf(vs);
      const std::size_t k = acked.size();
      const bool old_state = k > 0 && got == all[k - 1];
      const bool new_state = k < all.size() && got == all[k];
      ASSERT_TRUE(old_state || new_state)
          << "crash " << crash << " seed " << seed << " after " << k << " acknowledged\n"
          << got;
      ++recovered;
      // The recovered MANIFEST takes edits again.
      VersionEdit more;
      more.AddFile(0, Table(vs.NewFileNumber(), "zz", "zz"));
      ASSERT_TRUE(vs.LogAndApply(&more).ok()) << crash;
    }
  }
  EXPECT_GT(total_ops, 60u);
  EXPECT_GT(recovered, 500);
}

}  // namespace
}  // namespace larder::lsm

namespace larder::lsm {
namespace {

// Writes the seed corpus of fuzz/fuzz_lsm_manifest.cc into fuzz/corpus/lsm_manifest (run by
// hand with --gtest_also_run_disabled_tests --gtest_filter='*WriteManifestFuzzCorpus').
TEST(LsmVersionSetTest, DISABLED_WriteManifestFuzzCorpus) {
  const std::string dir = std::string(LARDER_SOURCE_DIR) + "/fuzz/corpus/lsm_manifest/";
  FileSystem* disk = DefaultFileSystem();
  ASSERT_TRUE(disk->CreateDirs(dir).ok());
  const auto save = [&](const std::string& name, std::string_view bytes) {
    ASSERT_TRUE(WriteWholeFile(disk, dir + name, bytes).ok());
  };
  auto fs = NewMemFileSystem(std::size_t{1} << 24);
  ASSERT_TRUE(fs->CreateDirs("/db").ok());
  VersionSet vs("/db", fs.get(), SmallOptions());
  ASSERT_TRUE(vs.Create().ok());
  save("empty_db", ManifestContents(fs.get(), "/db"));
  EditGenerator gen(5);
  for (int i = 0; i < 8; ++i) {
    VersionEdit e = gen.Next();
    ASSERT_TRUE(vs.LogAndApply(&e).ok());
  }
  const std::string edits = ManifestContents(fs.get(), "/db");
  save("edits", edits);
  save("torn_tail", edits + edits.substr(kManifestHeaderSize, 20));
  std::string damaged = edits;
  damaged[kManifestHeaderSize + kManifestRecordHeaderSize + 2] ^= 1;
  save("damaged_middle", damaged);
  vs.set_manifest_rewrite_bytes(256);
  VersionEdit e = gen.Next();
  ASSERT_TRUE(vs.LogAndApply(&e).ok());
  save("rewritten", ManifestContents(fs.get(), "/db"));
  std::mt19937_64 rng(8);
  std::string edit;
  manifest_test::RandomEdit(rng).EncodeTo(&edit);
  save("one_edit", edit);
}

}  // namespace
}  // namespace larder::lsm

namespace larder::lsm {
namespace {

// Readers take current(), LiveFiles() and new file numbers while one thread applies edits: every
// Version a reader holds stays whole (its tables stay listed by LiveFiles) and numbers are
// never handed out twice. Run under TSan by `make tsan`.
TEST(LsmVersionSetTest, ConcurrentReadersWhileOneThreadApplies) {
  auto fs = NewMemFileSystem(std::size_t{1} << 26);
  VersionSet vs("/db", fs.get(), SmallOptions());
  ASSERT_TRUE(vs.Create().ok());
  vs.set_manifest_rewrite_bytes(4096);
  std::atomic<bool> done{false};
  std::vector<std::vector<std::uint64_t>> numbers(2);
  std::vector<std::thread> readers;
  std::atomic<int> checks{0};
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&, r] {
      while (!done.load()) {
        std::shared_ptr<const Version> v = vs.current();
        const std::set<std::uint64_t> live = vs.LiveFiles();
        for (int level = 0; level < v->num_levels(); ++level) {
          for (const FileRef& f : v->files(level)) EXPECT_EQ(live.count(f->number), 1u);
        }
        numbers[static_cast<std::size_t>(r)].push_back(vs.NewFileNumber());
        checks.fetch_add(1);
      }
    });
  }
  EditGenerator gen(11);
  for (int i = 0; i < 200 || checks.load() < 100; ++i) {
    VersionEdit e = gen.Next();
    ASSERT_TRUE(vs.LogAndApply(&e).ok());
  }
  done.store(true);
  for (auto& t : readers) t.join();
  std::set<std::uint64_t> all;
  for (const auto& list : numbers) {
    for (std::uint64_t n : list) EXPECT_TRUE(all.insert(n).second) << n;
  }
  EXPECT_GE(checks.load(), 100);
}

}  // namespace
}  // namespace larder::lsm

namespace larder::lsm {
namespace {

// Runs `hook` before every file sync.
class SyncHookFileSystem : public FileSystemWrapper {
 public:
  SyncHookFileSystem(FileSystem* target, std::function<void()> hook)
      : FileSystemWrapper(target), hook_(std::move(hook)) {}
  Result<std::unique_ptr<File>> Open(const std::string& path, const OpenOptions& o) override {
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<File> f, FileSystemWrapper::Open(path, o));
    return std::unique_ptr<File>(std::make_unique<HookFile>(std::move(f), &hook_));
  }

 private:
  class HookFile : public FileWrapper {
   public:
    HookFile(std::unique_ptr<File> f, std::function<void()>* hook)
        : FileWrapper(std::move(f)), hook_(hook) {}
    Status Sync() override {
      (*hook_)();
      return FileWrapper::Sync();
    }

   private:
    std::function<void()>* hook_;
  };
  std::function<void()> hook_;
};

// LogAndApply(edit, mu) lets other threads take `mu` while it syncs the MANIFEST, and holds it
// again when it returns.
TEST(LsmVersionSetTest, CallerMutexIsReleasedDuringTheSync) {
  auto mem = NewMemFileSystem(std::size_t{1} << 24);
  Mutex mu;
  bool armed = false;
  int syncs_with_mu_free = 0;
  // Kept until mu is free for good: a future's destructor waits for its thread.
  std::vector<std::future<void>> takers;
  SyncHookFileSystem fs(mem.get(), [&] {
    if (!armed) return;
    // Another thread must be able to take mu now (bounded wait: a held mu fails the test).
    takers.push_back(std::async(std::launch::async, [&] { MutexLock lock(&mu); }));
    if (takers.back().wait_for(std::chrono::seconds(20)) == std::future_status::ready) {
      ++syncs_with_mu_free;
    }
  });
  VersionSet vs("/db", &fs, SmallOptions());
  ASSERT_TRUE(vs.Create().ok());
  armed = true;
  mu.Lock();
  VersionEdit e;
  e.AddFile(0, Table(vs.NewFileNumber(), "a", "b"));
  ASSERT_TRUE(vs.LogAndApply(&e, &mu).ok());
  mu.AssertHeld();
  EXPECT_EQ(vs.current()->NumFiles(0), 1);
  mu.Unlock();
  armed = false;
  takers.clear();
  EXPECT_EQ(syncs_with_mu_free, 1);
}

// manifest_bytes_written counts appended edits and rewritten snapshots (Stats counts it in
// disk_bytes_written).
TEST(LsmVersionSetTest, CountsEveryManifestByteWritten) {
  auto fs = NewMemFileSystem();
  ASSERT_TRUE(fs->CreateDirs("/db").ok());
  VersionSet vs("/db", fs.get(), SmallOptions());
  vs.set_manifest_rewrite_bytes(1024);
  ASSERT_TRUE(vs.Create().ok());
  auto size = [&] { return *fs->FileSize(ManifestFileName("/db")); };
  std::uint64_t expected = size();
  EXPECT_EQ(vs.manifest_bytes_written(), expected);
  EditGenerator gen(11);
  for (int i = 0; i < 40; ++i) {
    const std::uint64_t before = size(), rewrites = vs.manifest_rewrites();
    VersionEdit e = gen.Next();
    ASSERT_TRUE(vs.LogAndApply(&e).ok());
    expected += vs.manifest_rewrites() != rewrites ? size() : size() - before;
    ASSERT_EQ(vs.manifest_bytes_written(), expected) << i;
  }
  EXPECT_GE(vs.manifest_rewrites(), 3u);  // Create's and rewrites
}

}  // namespace
}  // namespace larder::lsm
