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
  // Forward and backward walks see the same entries (decoding never depends on the path:
  // restart points store whole keys), unless the block is found damaged.
  std::vector<std::string> forward, keys;
  for (it.SeekToFirst(); it.Valid() && forward.size() < 100000; it.Next()) {
    if (keys.size() < 16) keys.emplace_back(it.key());
    forward.emplace_back(it.key());
    forward.back().append(it.value());
  }
  const bool forward_ok = it.status().ok();
  std::size_t back = forward.size();
  for (it.SeekToLast(); it.Valid() && back > 0; it.Prev()) {
    --back;
    if (forward_ok && forward[back] != std::string(it.key()) + std::string(it.value())) {
      __builtin_trap();
    }
  }
  if (forward_ok && it.status().ok() && (back != 0 || it.Valid())) __builtin_trap();
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
