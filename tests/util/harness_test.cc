// Tests of the shared harness itself: each check must be able to fail.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <fstream>
#include <memory>

#include "larder/bolt/db.h"
#include "larder/bolt/kv.h"
#include "tests/util/bolt_tree.h"
#include "tests/util/crash_harness.h"
#include "tests/util/kv_model.h"
#include "tests/util/temp_dir.h"

namespace larder::test {
namespace {

// A bolt file at `path` with a bucket big enough for a branch root; returns that root page and
// the page size.
void MakeBoltFile(const std::string& path, std::uint64_t* root, std::uint32_t* page_size) {
  auto db = bolt::DB::Open(path, {});
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE((*db)
                  ->Update([&](bolt::Tx& tx) -> Status {
                    LARDER_ASSIGN_OR_RETURN(bolt::Bucket b, tx.CreateBucket("b"));
                    for (int i = 0; i < 2000; ++i) {
                      LARDER_RETURN_IF_ERROR(b.Put("key" + std::to_string(i), "value"));
                    }
                    return Status::Ok();
                  })
                  .ok());
  ASSERT_TRUE((*db)
                  ->View([&](bolt::Tx& tx) -> Status {
                    LARDER_ASSIGN_OR_RETURN(bolt::Bucket b, tx.GetBucket("b"));
                    *root = b.RootPage();
                    return Status::Ok();
                  })
                  .ok());
  *page_size = (*db)->page_size();
}

// Overwrites the page id in the header of page `page`: the tree now names a page that says it
// is another one.
void DamagePage(const std::string& path, std::uint64_t page, std::uint32_t page_size) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(page * page_size));
  const std::uint64_t wrong = page + 1000;
  f.write(reinterpret_cast<const char*>(&wrong), sizeof wrong);
  ASSERT_TRUE(f.good());
}

TEST(TempDirCheckTest, SoundFilesPassAndDamagedOnesFail) {
  auto dir = std::make_unique<TempDir>();
  std::uint64_t root = 0;
  std::uint32_t page_size = 0;
  MakeBoltFile(dir->File("sound.db"), &root, &page_size);
  EXPECT_EQ(dir->CheckBoltFiles(), 1);

  MakeBoltFile(dir->File("bad.db"), &root, &page_size);
  ASSERT_GT(root, 1u);
  DamagePage(dir->File("bad.db"), root, page_size);
  EXPECT_NONFATAL_FAILURE(dir.reset(), "bolt file left by the test is inconsistent");
}

TEST(TempDirCheckTest, MarkDamagedExemptsAFile) {
  TempDir dir;
  std::uint64_t root = 0;
  std::uint32_t page_size = 0;
  MakeBoltFile(dir.File("bad.db"), &root, &page_size);
  DamagePage(dir.File("bad.db"), root, page_size);
  dir.MarkDamaged("bad.db");
  EXPECT_EQ(dir.CheckBoltFiles(), 0);
}

// A store that keeps all but the last byte of every value longer than 8 bytes right: the old
// model test compared lengths and 8-byte prefixes and would have passed it.
class LastByteFlipper final : public kv::Store {
 public:
  explicit LastByteFlipper(std::unique_ptr<kv::Store> inner) : inner_(std::move(inner)) {}
  Status Get(std::string_view key, std::string* value) override { return inner_->Get(key, value); }
  Result<std::unique_ptr<kv::Iterator>> NewIterator(const kv::IteratorOptions& o) override {
    return inner_->NewIterator(o);
  }
  Result<std::unique_ptr<kv::Snapshot>> GetSnapshot() override { return inner_->GetSnapshot(); }
  Status Write(const kv::WriteOptions& o, const kv::WriteBatch& batch) override {
    kv::WriteBatch changed;
    for (const auto& e : batch) {
      if (e.op == kv::WriteBatch::Op::kDelete) {
        changed.Delete(e.key);
        continue;
      }
      std::string v(e.value);
      if (v.size() > 8) v.back() = static_cast<char>(v.back() ^ 1);
      changed.Put(e.key, v);
    }
    return inner_->Write(o, changed);
  }
  Status Close() override { return inner_->Close(); }

 private:
  std::unique_ptr<kv::Store> inner_;
};

TEST(KVModelHarnessTest, CatchesADifferenceDeepInAValue) {
  auto fs = NewMemFileSystem(std::size_t{1} << 28);
  bolt::Options o;
  o.file_system = fs.get();
  o.no_sync = true;
  KVModelOptions mo;
  mo.steps = 300;
  auto open = [&]() -> Result<std::unique_ptr<kv::Store>> {
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<kv::Store> s, bolt::OpenKV("/kv.db", o));
    return std::unique_ptr<kv::Store>(std::make_unique<LastByteFlipper>(std::move(s)));
  };
  EXPECT_NONFATAL_FAILURE(RunKVModel(open, mo), "first difference at byte");
}

TEST(CrashHarnessTest, CatchesALostAcknowledgedWrite) {
  CrashWorkload w;
  w.initial_state = KVState({});
  w.run = [](FileSystem* fs, CrashTracker* tracker) {
    bolt::Options o;
    o.file_system = fs;
    auto store = bolt::OpenKV("/c.db", o);
    if (!store.ok()) return;
    tracker->InFlight(KVState({{"k", "v"}}));
    if ((*store)->Put({}, "k", "v").ok()) tracker->Acknowledged();
  };
  // A recovery that forgets everything: wrong once the write was acknowledged.
  w.recover = [](FileSystem*) -> Result<std::string> { return KVState({}); };
  EXPECT_NONFATAL_FAILURE(RunCrashPoints(w, {.seeds_per_point = 1}),
                          "none of the 1 acknowledged states");
}

}  // namespace
}  // namespace larder::test
