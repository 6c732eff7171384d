// Surgery on copies, through the fault-injecting file system: each repair either completes or
// fails with the injected error and leaves no output file; the source is never changed.
#include "larder/bolt/surgery.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "testing/fault_injection_file_system.h"
#include "larder/bolt/db.h"
#include "larder/bolt/raw_file.h"

namespace larder::bolt {
namespace {

using Op = FaultInjectionFileSystem::Op;

class SurgeryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = DB::Open("/src.db", {.page_size = 4096, .file_system = &fs_});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    for (const char* name : {"one", "two"}) {
      ASSERT_TRUE((*db)
                      ->Update([&](Tx& tx) -> Status {
                        LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucket(name));
                        return b.Put("k", std::string(5000, 'v'));
                      })
                      .ok());
    }
    ASSERT_TRUE((*db)->Close().ok());
  }

  std::string Contents(const std::string& path) {
    auto f = fs_.Open(path, {.read_only = true});
    if (!f.ok()) return "<" + f.status().ToString() + ">";
    std::string out(*(*f)->Size(), '\0');
    EXPECT_TRUE((*f)->ReadAt(0, {reinterpret_cast<std::uint8_t*>(out.data()), out.size()}).ok());
    return out;
  }
  bool Exists(const std::string& path) { return *fs_.Exists(path); }

  // Whether bucket `name` is in the database at `path`, after the consistency check passes.
  bool HasBucket(const std::string& path, const std::string& name) {
    auto db = DB::Open(path, {.read_only = true, .file_system = &fs_});
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    if (!db.ok()) return false;
    bool has = false;
    EXPECT_TRUE((*db)
                    ->View([&](Tx& tx) -> Status {
                      EXPECT_EQ(tx.Check(), std::vector<std::string>{});
                      has = tx.GetBucket(name).ok();
                      return Status::Ok();
                    })
                    .ok());
    return has;
  }

  // Runs `repair` (writing `dst`) with the n-th operation of kind `op` failing, for n = 1, 2,
  // ... until a run sees no fault. Each failed run must leave no output and the source as it
  // was; returns the number of faults injected.
  std::uint64_t FailEachOp(Op op, const std::string& src,
                           const std::function<Status(const std::string& dst)>& repair) {
    const std::string before = Contents(src);
    for (std::uint64_t n = 1;; ++n) {
      const std::string dst = "/out-" + std::to_string(++outputs_) + ".db";
      const std::uint64_t faults = fs_.injected_faults();
      fs_.FailNth(op, n, /*persistent=*/false);
      Status s = repair(dst);
      fs_.ClearFaults();
      EXPECT_EQ(Contents(src), before) << "the source changed (n=" << n << ")";
      EXPECT_FALSE(Exists(dst + ".larder-surgery")) << n;
      if (fs_.injected_faults() == faults) {
        EXPECT_TRUE(s.ok()) << s.ToString();
        EXPECT_TRUE(Exists(dst));
        return n - 1;
      }
      EXPECT_EQ(s.code(), Code::kIOError) << "n=" << n << ": " << s.ToString();
      EXPECT_FALSE(Exists(dst)) << "a failed repair left " << dst << " (n=" << n << ")";
      if (n > 1000) {
        ADD_FAILURE() << "no end";
        return n;
      }
    }
  }

  FaultInjectionFileSystem fs_;
  int outputs_ = 0;
  SurgeryOptions options_{.fs = &fs_};
};

TEST_F(SurgeryTest, RevertMetaPageWritesACopyAtThePreviousCommit) {
  const std::string before = Contents("/src.db");
  ASSERT_TRUE(RevertMetaPage("/src.db", "/out.db", options_).ok());
  EXPECT_EQ(Contents("/src.db"), before);
  EXPECT_TRUE(HasBucket("/out.db", "one"));
  EXPECT_FALSE(HasBucket("/out.db", "two"));
  EXPECT_EQ(RevertMetaPage("/src.db", "/out.db", options_).code(), Code::kAlreadyExists);
  EXPECT_TRUE(HasBucket("/out.db", "one")) << "not overwritten";
}

TEST_F(SurgeryTest, AbandonThenRebuildTheFreelist) {
  auto checks = AbandonFreelist("/src.db", "/nofl.db", options_);
  ASSERT_TRUE(checks.ok()) << checks.status().ToString();
  EXPECT_TRUE((*checks)[0].ok() && (*checks)[1].ok());
  {
    auto f = RawFile::Open("/nofl.db", {.fs = &fs_});
    ASSERT_TRUE(f.ok());
    EXPECT_FALSE((*f)->meta(0).has_freelist());
    EXPECT_FALSE((*f)->meta(1).has_freelist());
  }
  EXPECT_EQ(RebuildFreelist("/src.db", "/x.db", options_).code(), Code::kInvalidArgument)
      << "the source still has its freelist";
  EXPECT_FALSE(Exists("/x.db"));
  ASSERT_TRUE(RebuildFreelist("/nofl.db", "/rebuilt.db", options_).ok());
  auto f = RawFile::Open("/rebuilt.db", {.fs = &fs_});
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE((*f)->meta((*f)->active_meta()).has_freelist());
  EXPECT_TRUE(HasBucket("/rebuilt.db", "two"));
}

TEST_F(SurgeryTest, AFailedWriteOrSyncLeavesNoOutputAndTheSourceIntact) {
  auto revert = [&](const std::string& dst) { return RevertMetaPage("/src.db", dst, options_); };
  EXPECT_GE(FailEachOp(Op::kWrite, "/src.db", revert), 3u) << "copy, meta write, rename";
  EXPECT_GE(FailEachOp(Op::kSync, "/src.db", revert), 3u) << "copy, repair, directory";
  auto abandon = [&](const std::string& dst) {
    return AbandonFreelist("/src.db", dst, options_).status();
  };
  EXPECT_GE(FailEachOp(Op::kWrite, "/src.db", abandon), 4u) << "copy, two metas, rename";
  ASSERT_TRUE(AbandonFreelist("/src.db", "/nofl.db", options_).ok());
  auto rebuild = [&](const std::string& dst) { return RebuildFreelist("/nofl.db", dst, options_); };
  EXPECT_GE(FailEachOp(Op::kWrite, "/nofl.db", rebuild), 3u);
  EXPECT_GE(FailEachOp(Op::kSync, "/nofl.db", rebuild), 3u);
}

TEST_F(SurgeryTest, AFailedReadOfTheSourceIsReported) {
  fs_.FailNth(Op::kRead, 1, /*persistent=*/true);
  Status s = RevertMetaPage("/src.db", "/out.db", options_);
  fs_.ClearFaults();
  EXPECT_EQ(s.code(), Code::kIOError) << s.ToString();
  EXPECT_FALSE(Exists("/out.db"));
}

}  // namespace
}  // namespace larder::bolt
