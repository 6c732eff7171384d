// Replays every libFuzzer corpus input under the sanitizers of `make test`, so that a finding
// kept in fuzz/corpus stays a regression test.
#include <gtest/gtest.h>

#include "tests/util/fuzz_corpus.h"

#include "fuzz/fuzz_open.cc"  // NOLINT: the target itself, compiled into the test

namespace larder {
namespace {

TEST(FuzzCorpusTest, OpenTargetReplaysCorpus) {
  EXPECT_GT(test::ReplayFuzzCorpus("open", LLVMFuzzerTestOneInput), 0);
}

}  // namespace
}  // namespace larder
