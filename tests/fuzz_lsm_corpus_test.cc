// Replays the LSM engine's libFuzzer corpora (fuzz/corpus/lsm_*) under the sanitizers of
// `make test`. Each target's body has its own name; LARDER_FUZZ_REPLAY drops their
// LLVMFuzzerTestOneInput so that all of them fit in one test binary.
#include <gtest/gtest.h>

#include "tests/util/fuzz_corpus.h"

#define LARDER_FUZZ_REPLAY 1
#include "fuzz/fuzz_lsm_block.cc"  // NOLINT: the target itself, compiled into the test
#include "fuzz/fuzz_lsm_table.cc"  // NOLINT

namespace larder {
namespace {

TEST(LsmFuzzCorpusTest, TableTargetReplaysCorpus) {
  EXPECT_GT(test::ReplayFuzzCorpus("lsm_table", lsm::fuzz::FuzzLsmTable), 0);
}

TEST(LsmFuzzCorpusTest, BlockTargetReplaysCorpus) {
  EXPECT_GT(test::ReplayFuzzCorpus("lsm_block", lsm::fuzz::FuzzLsmBlock), 0);
}

}  // namespace
}  // namespace larder
