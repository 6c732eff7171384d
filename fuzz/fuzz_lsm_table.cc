// Arbitrary bytes as an LSM sorted table on the in-memory file system: open it (with and
// without the block cache), iterate both ways, seek, point-read, verify. Each input runs twice:
// as given, and with its checksums rewritten (footer, meta blocks, the data blocks the index
// names) so that mutations reach the parsers and decompressors the CRCs guard. Any crash, hang
// or sanitizer report is a finding; errors are fine.
//
// The body is FuzzLsmTable so that tests/fuzz_lsm_corpus_test.cc can replay the corpus with
// every LSM target in one binary (it defines LARDER_FUZZ_REPLAY to drop the entry point).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/checksum.h"
#include "base/coding.h"
#include "larder/file_system.h"
#include "lsm/block.h"
#include "lsm/block_cache.h"
#include "lsm/dbformat.h"
#include "lsm/table.h"
#include "lsm/table_format.h"

namespace larder::lsm::fuzz {

// Rewrites the checksums of the footer, of the blocks it names and of the data blocks the
// (uncompressed) index names.
inline void FixTableChecksums(std::string* bytes) {
  auto* p = reinterpret_cast<std::uint8_t*>(bytes->data());
  const std::size_t n = bytes->size();
  if (n < Footer::kSize) return;
  std::uint8_t* footer = p + n - Footer::kSize;
  StoreU32(footer + 68, crc32c::Mask(crc32c::Value({footer, 68})));
  auto fix_block = [&](BlockHandle h) {
    if (h.offset > n || h.size > n - h.offset || n - h.offset - h.size < kBlockTrailerSize) {
      return false;
    }
    std::uint8_t* b = p + h.offset;
    const auto len = static_cast<std::size_t>(h.size);
    StoreU32(b + len + 1, crc32c::Mask(crc32c::Value({b, len + 1})));
    return true;
  };
  BlockHandle index;
  for (int i = 0; i < 4; ++i) {
    const BlockHandle h{LoadU64(footer + 16 * i), LoadU64(footer + 16 * i + 8)};
    if (fix_block(h) && i == 0) index = h;
  }
  if (index.size == 0 || p[index.offset + index.size] != 0) return;
  auto block = Block::Create(bytes->substr(index.offset, index.size), {"fuzz", 0});
  if (!block.ok()) return;
  BlockIter it(**block, {"fuzz", 0});
  int blocks = 0;
  for (it.SeekToFirst(); it.Valid() && blocks < 10000; it.Next(), ++blocks) {
    std::string_view v = it.value();
    BlockHandle h;
    if (GetBlockHandle(&v, &h)) fix_block(h);
  }
}

// Opens `bytes` as a table (without and with a block cache, read with ReadAt and mapped) and
// reads all of it every way.
inline void ReadTable(std::string_view bytes) {
  const std::size_t size = bytes.size();
  auto fs = NewMemFileSystem(std::size_t{1} << 26);
  {
    auto f = fs->Open("/f.sst", {.create = true});
    if (!f.ok() ||
        !(*f)->WriteAt(0, {reinterpret_cast<const std::uint8_t*>(bytes.data()), size}).ok()) {
      return;
    }
  }
  BlockCache cache(std::size_t{1} << 20);
  for (const bool mapped : {false, true})
    for (BlockCache* c : {static_cast<BlockCache*>(nullptr), &cache}) {
      auto f = fs->Open("/f.sst", {.read_only = true});
      if (!f.ok()) return;
      auto t = Table::Open(std::move(*f), size, c ? c->NewId() : 0, c, c == nullptr, mapped);
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
}

inline int FuzzLsmTable(const std::uint8_t* data, std::size_t size) {
  const std::string_view given(reinterpret_cast<const char*>(data), size);
  ReadTable(given);
  std::string fixed(given);
  FixTableChecksums(&fixed);
  if (fixed != given) ReadTable(fixed);
  return 0;
}

}  // namespace larder::lsm::fuzz

#ifndef LARDER_FUZZ_REPLAY
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return larder::lsm::fuzz::FuzzLsmTable(data, size);
}
#endif
