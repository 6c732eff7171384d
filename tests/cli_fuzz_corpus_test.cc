// Replays the CLI format fuzzer's corpus (fuzz/corpus/cli_format) under the sanitizers of
// `make test`, so that a finding kept there stays a regression test.
#include <gtest/gtest.h>

#include "tests/util/fuzz_corpus.h"

#define LARDER_FUZZ_NO_ENTRY_POINT
#include "fuzz/fuzz_cli_format.cc"  // NOLINT: the target itself, compiled into the test

namespace larder {
namespace {

TEST(FuzzCorpusTest, CliFormatTargetReplaysCorpus) {
  EXPECT_GT(test::ReplayFuzzCorpus("cli_format", cli::FuzzCliFormat), 0);
}

}  // namespace
}  // namespace larder
