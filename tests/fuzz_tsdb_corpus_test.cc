// Replays the time-series engine's page/extent fuzz corpus (fuzz/corpus/tsdb_page) under the
// sanitizers of `make test`, so that every input kept there stays a regression test.
#include <gtest/gtest.h>

#include "tests/util/fuzz_corpus.h"

#define LLVMFuzzerTestOneInput FuzzTsdbPageTestOneInput
#include "fuzz/fuzz_tsdb_page.cc"  // NOLINT: the target itself, compiled into the test
#undef LLVMFuzzerTestOneInput

namespace larder {
namespace {

TEST(TsdbFuzzCorpusTest, PageTargetReplaysCorpus) {
  EXPECT_GT(test::ReplayFuzzCorpus("tsdb_page", FuzzTsdbPageTestOneInput), 0);
}

}  // namespace
}  // namespace larder
