// Replays the LSM engine's libFuzzer corpora (fuzz/corpus/lsm_*) under the sanitizers of
// `make test`: every input kept there, findings included, stays a regression test. Each
// target's body has a name of its own, so that all of them fit in one test binary:
// LARDER_FUZZ_REPLAY drops the LLVMFuzzerTestOneInput of the targets that define one under it,
// and the others are compiled in under a renamed entry point.
#include <gtest/gtest.h>

#include "tests/util/fuzz_corpus.h"

#define LARDER_FUZZ_REPLAY 1
#include "fuzz/fuzz_lsm_block.cc"  // NOLINT: the target itself, compiled into the test
#include "fuzz/fuzz_lsm_table.cc"  // NOLINT

#define LLVMFuzzerTestOneInput FuzzLsmLogTestOneInput
#include "fuzz/fuzz_lsm_log.cc"  // NOLINT
#undef LLVMFuzzerTestOneInput

namespace larder {
namespace {

TEST(LsmFuzzCorpusTest, LogTargetReplaysCorpus) {
  EXPECT_GT(test::ReplayFuzzCorpus("lsm_log", FuzzLsmLogTestOneInput), 0);
}

TEST(LsmFuzzCorpusTest, TableTargetReplaysCorpus) {
  EXPECT_GT(test::ReplayFuzzCorpus("lsm_table", lsm::fuzz::FuzzLsmTable), 0);
}

TEST(LsmFuzzCorpusTest, BlockTargetReplaysCorpus) {
  EXPECT_GT(test::ReplayFuzzCorpus("lsm_block", lsm::fuzz::FuzzLsmBlock), 0);
}

}  // namespace
}  // namespace larder
