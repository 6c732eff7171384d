// Replays the LSM engine's libFuzzer corpora (fuzz/corpus/lsm_*) under the sanitizers of
// `make test`: every input kept there, findings included, stays a regression test. Each target's
// body has a name of its own (renamed by a macro, or kept apart by LARDER_FUZZ_REPLAY, which
// drops LLVMFuzzerTestOneInput), so that all of them fit in one test binary.
#include <gtest/gtest.h>

#include "tests/util/fuzz_corpus.h"

#define LLVMFuzzerTestOneInput FuzzLsmLogTestOneInput
#include "fuzz/fuzz_lsm_log.cc"  // NOLINT
#undef LLVMFuzzerTestOneInput

#define LLVMFuzzerTestOneInput FuzzLsmManifestTestOneInput
#include "fuzz/fuzz_lsm_manifest.cc"  // NOLINT
#undef LLVMFuzzerTestOneInput

#define LLVMFuzzerTestOneInput FuzzLsmBackupTestOneInput
#include "fuzz/fuzz_lsm_backup.cc"  // NOLINT
#undef LLVMFuzzerTestOneInput

#define LARDER_FUZZ_REPLAY 1
#include "fuzz/fuzz_lsm_block.cc"  // NOLINT: the target itself, compiled into the test
#include "fuzz/fuzz_lsm_table.cc"  // NOLINT

namespace larder {
namespace {

TEST(LsmFuzzCorpusTest, LogTargetReplaysCorpus) {
  EXPECT_GT(test::ReplayFuzzCorpus("lsm_log", FuzzLsmLogTestOneInput), 0);
}

TEST(LsmFuzzCorpusTest, ManifestTargetReplaysCorpus) {
  EXPECT_GT(test::ReplayFuzzCorpus("lsm_manifest", FuzzLsmManifestTestOneInput), 0);
}

TEST(LsmFuzzCorpusTest, TableTargetReplaysCorpus) {
  EXPECT_GT(test::ReplayFuzzCorpus("lsm_table", lsm::fuzz::FuzzLsmTable), 0);
}

TEST(LsmFuzzCorpusTest, BlockTargetReplaysCorpus) {
  EXPECT_GT(test::ReplayFuzzCorpus("lsm_block", lsm::fuzz::FuzzLsmBlock), 0);
}

TEST(LsmFuzzCorpusTest, BackupTargetReplaysCorpus) {
  EXPECT_GT(test::ReplayFuzzCorpus("lsm_backup", FuzzLsmBackupTestOneInput), 0);
}

}  // namespace
}  // namespace larder
