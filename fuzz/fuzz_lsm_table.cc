// Arbitrary bytes as an LSM sorted table on the in-memory file system: open it (with and
// without the block cache), iterate both ways, seek, point-read, verify. Any crash, hang or
// sanitizer report is a finding; errors are fine.
//
// The body is FuzzLsmTable so that tests/fuzz_lsm_corpus_test.cc can replay the corpus with
// every LSM target in one binary (it defines LARDER_FUZZ_REPLAY to drop the entry point).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "larder/file_system.h"
#include "lsm/block_cache.h"
#include "lsm/dbformat.h"
#include "lsm/table.h"

namespace larder::lsm::fuzz {

inline int FuzzLsmTable(const std::uint8_t* data, std::size_t size) {
  auto fs = NewMemFileSystem(std::size_t{1} << 26);
  {
    auto f = fs->Open("/f.sst", {.create = true});
    if (!f.ok() || !(*f)->WriteAt(0, {data, size}).ok()) return 0;
  }
  BlockCache cache(std::size_t{1} << 20);
  for (BlockCache* c : {static_cast<BlockCache*>(nullptr), &cache}) {
    auto f = fs->Open("/f.sst", {.read_only = true});
    if (!f.ok()) return 0;
    auto t = Table::Open(std::move(*f), size, c ? c->NewId() : 0, c, c == nullptr);
    if (!t.ok()) continue;
    const Table& table = **t;
    (void)table.VerifyAll();
    std::string first;
    {
      auto it = table.NewIterator(/*verify_checksums=*/c == nullptr, /*fill_cache=*/true);
      int steps = 0;
      for (it->SeekToFirst(); it->Valid() && steps < 100000; it->Next(), ++steps) {
        if (first.empty()) first.assign(it->key());
      }
      for (it->SeekToLast(); it->Valid() && steps < 200000; it->Prev(), ++steps) {
      }
      for (const char* k : {"", "a", "m", "user5", "\xff"}) {
        const LookupKey lk(k, kMaxSequenceNumber);
        it->Seek(lk.internal_key());
        if (it->Valid()) it->Prev();
        it->SeekForPrev(lk.internal_key());
        if (it->Valid()) it->Next();
        bool found = false;
        std::string key, value;
        (void)table.Get(lk, true, &found, &key, &value);
        (void)table.ApproximateOffsetOf(lk.internal_key());
        (void)table.KeyMayMatch(k);
      }
      (void)it->status();
    }
    if (first.size() >= kTrailerSize) {
      bool found = false;
      std::string key, value;
      (void)table.Get(LookupKey(ExtractUserKey(first), kMaxSequenceNumber), false, &found, &key,
                      &value);
    }
    if (auto rit = table.NewRangeTombstoneIterator()) {
      int steps = 0;
      for (rit->SeekToFirst(); rit->Valid() && steps < 100000; rit->Next()) ++steps;
    }
  }
  return 0;
}

}  // namespace larder::lsm::fuzz

#ifndef LARDER_FUZZ_REPLAY
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return larder::lsm::fuzz::FuzzLsmTable(data, size);
}
#endif
