// Replays a libFuzzer corpus (fuzz/corpus/<name>) through its target inside a test, under the
// sanitizers of `make test`, so that every input kept there, findings included, stays a
// regression test. The corpus tests of every fuzz target use it.
#ifndef LARDER_TESTS_UTIL_FUZZ_CORPUS_H_
#define LARDER_TESTS_UTIL_FUZZ_CORPUS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace larder::test {

// A fuzz target's entry point: returns 0, as libFuzzer requires of it.
using FuzzTarget = std::function<int(const std::uint8_t* data, std::size_t size)>;

// Runs `target` on every file of fuzz/corpus/<name>, in name order, and expects 0 of each (a
// crash or sanitizer report fails the test anyway). Fails the test when the corpus is empty.
// Returns the number of inputs replayed.
int ReplayFuzzCorpus(const std::string& name, const FuzzTarget& target);

}  // namespace larder::test

#endif  // LARDER_TESTS_UTIL_FUZZ_CORPUS_H_
