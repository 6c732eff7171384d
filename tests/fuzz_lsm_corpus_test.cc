// Replays the LSM engine's libFuzzer corpora (fuzz/corpus/lsm_*) under the sanitizers of
// `make test`: every input kept there, findings included, stays a regression test. Each target
// is compiled in under a name of its own; its helpers live in a namespace named after it.
#include <gtest/gtest.h>

#include "tests/util/fuzz_corpus.h"

#define LLVMFuzzerTestOneInput FuzzLsmLogTestOneInput
#include "fuzz/fuzz_lsm_log.cc"  // NOLINT
#undef LLVMFuzzerTestOneInput

namespace larder {
namespace {

TEST(LsmFuzzCorpusTest, LogTargetReplaysCorpus) {
  EXPECT_GT(test::ReplayFuzzCorpus("lsm_log", FuzzLsmLogTestOneInput), 0);
}

}  // namespace
}  // namespace larder
