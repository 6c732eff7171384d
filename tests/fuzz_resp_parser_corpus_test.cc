// Replays the fuzz_resp_parser corpus (fuzz/corpus/resp_parser: client byte streams, multibulk
// and inline, at and past the limits) under the sanitizers of `make test`.
#include <gtest/gtest.h>

#include "tests/util/fuzz_corpus.h"

// The target itself, compiled into the test under a name of its own.
#define LLVMFuzzerTestOneInput FuzzRespParserTestOneInput
#include "fuzz/fuzz_resp_parser.cc"  // NOLINT
#undef LLVMFuzzerTestOneInput

namespace larder {
namespace {

TEST(FuzzCorpusTest, RespParserTargetReplaysCorpus) {
  EXPECT_GT(test::ReplayFuzzCorpus("resp_parser", FuzzRespParserTestOneInput), 0);
}

}  // namespace
}  // namespace larder
