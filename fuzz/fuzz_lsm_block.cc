// Arbitrary bytes as one block of an LSM sorted table: parse it, iterate both ways, seek to
// keys taken from the input and to fixed ones. Any crash, hang or sanitizer report is a
// finding; Corruption is fine.
//
// The body is FuzzLsmBlock so that tests/fuzz_lsm_corpus_test.cc can replay the corpus with
// every LSM target in one binary (it defines LARDER_FUZZ_REPLAY to drop the entry point).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "lsm/block.h"
#include "lsm/dbformat.h"

namespace larder::lsm::fuzz {

inline int FuzzLsmBlock(const std::uint8_t* data, std::size_t size) {
  auto block = Block::Create(std::string(reinterpret_cast<const char*>(data), size), {"fuzz", 0});
  if (!block.ok()) return 0;
  BlockIter it(*block, {"fuzz", 0});
  std::vector<std::string> keys;
  int steps = 0;
  for (it.SeekToFirst(); it.Valid() && steps < 100000; it.Next(), ++steps) {
    if (keys.size() < 16) keys.emplace_back(it.key());
  }
  for (it.SeekToLast(); it.Valid() && steps < 200000; it.Prev(), ++steps) {
  }
  for (const char* k : {"", "a", "zzzz"}) {
    keys.emplace_back(LookupKey(k, kMaxSequenceNumber).internal_key());
  }
  for (const std::string& k : keys) {
    BlockIter fresh(*block, {"fuzz", 0});
    fresh.Seek(k);
    if (fresh.Valid()) fresh.Prev();
    fresh.SeekForPrev(k);
    if (fresh.Valid()) fresh.Next();
    (void)fresh.status();
  }
  return 0;
}

}  // namespace larder::lsm::fuzz

#ifndef LARDER_FUZZ_REPLAY
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return larder::lsm::fuzz::FuzzLsmBlock(data, size);
}
#endif
