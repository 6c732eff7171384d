// Replays the fuzz_raw_file corpus (fuzz/corpus/raw_file: damaged and arbitrary files read page
// by page through bolt::RawFile, then both surgery repairs) under the sanitizers of `make test`.
#include <gtest/gtest.h>

#include "tests/util/fuzz_corpus.h"

// The target itself, compiled into the test under a name of its own (fuzz_open's replay uses
// the libFuzzer name).
#define LLVMFuzzerTestOneInput FuzzRawFileTestOneInput
#include "fuzz/fuzz_raw_file.cc"  // NOLINT
#undef LLVMFuzzerTestOneInput

namespace larder {
namespace {

TEST(FuzzCorpusTest, RawFileTargetReplaysCorpus) {
  EXPECT_GT(test::ReplayFuzzCorpus("raw_file", FuzzRawFileTestOneInput), 0);
}

}  // namespace
}  // namespace larder
