// The engine-neutral model test of kv::Store (include/larder/kv.h), and the helpers the engines'
// own model and crash tests share: seeded random values, dumps and readable diffs.
//
// RunKVModel drives random operations through kv.h against a std::map: puts, deletes, atomic
// batches, Gets, iterators in both directions with random bounds, snapshots held across later
// writes (each compared with the model as of its creation), reopening the store and, when
// asked, transactions (their own model inside, the last commit outside). Every
// comparison is of whole keys and values. Failures are reported through gtest with the seed,
// so a failing run can be replayed (LARDER_MODEL_SEED overrides the seed).
#ifndef LARDER_TESTS_UTIL_KV_MODEL_H_
#define LARDER_TESTS_UTIL_KV_MODEL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "larder/kv.h"
#include "larder/result.h"

namespace larder::test {

using KVMap = std::map<std::string, std::string>;

// Opens the store under test, the same one each time (reopen = destroy, then call again).
using KVOpener = std::function<Result<std::unique_ptr<kv::Store>>()>;

// A value of random bytes: usually short, sometimes empty, sometimes `large` bytes or more
// (bolt: overflow pages).
std::string RandomValue(std::mt19937_64& rng, std::size_t large);
// RandomValue's `large` for a bolt page size: values of 2 to 4 pages, so that leaves spill onto
// overflow pages; from 32 KiB pages up, 40 to 80 KiB (up to 2.5 pages, 1.25 at 64 KiB). A model
// value of 128 KiB or more is an mmap and munmap of its own under AddressSanitizer at every
// copy of the model (each transaction and snapshot of a model test takes one), which was nine
// tenths of the 64 KiB-page cases' run time.
std::size_t LargeValueFor(std::uint32_t page_size);
// A key of random bytes (1..`max_len`, from a small alphabet of both low and high bytes, so
// that keys share prefixes and compare as unsigned bytes).
std::string RandomKey(std::mt19937_64& rng, std::size_t max_len);

// "prefix<n>", built by appends (GCC 12 at -O3 warns, -Wrestrict, on "literal" + std::string).
inline std::string NumberedKey(std::string_view prefix, std::uint64_t n) {
  std::string s(prefix);
  s.append(std::to_string(n));
  return s;
}

// The seed to use: LARDER_MODEL_SEED when set, else `fallback`.
std::uint64_t ModelSeed(std::uint64_t fallback);

// A printable form of `bytes` for failure messages: printable ASCII kept, the rest \xNN,
// cut after `max` bytes with the total length.
std::string Printable(std::string_view bytes, std::size_t max = 48);
// "" when equal, else a description of the first difference (a missing, extra or different
// entry, values compared whole: lengths and first differing offset).
std::string DiffKV(const KVMap& want, const KVMap& got);

// Every entry of `view`, read with a forward iterator.
Result<KVMap> ReadAll(kv::ReadView& view);

struct KVModelOptions {
  std::uint64_t seed = 1;
  int steps = 3000;          // operations (a batch counts as one)
  std::size_t large = 5000;  // size of the occasional large value
  std::size_t max_key_len = 24;
  int reopen_every = 700;  // 0: never reopen
  // Also run transactions (Store::BeginTransaction): random reads and writes inside, reads of
  // the store and snapshots meanwhile, then commit or roll back.
  bool transactions = false;
};

// What a run did, to show it was not vacuous.
struct KVModelStats {
  std::uint64_t ops = 0;  // every call made through kv.h
  std::uint64_t writes = 0, batch_entries = 0, gets = 0, iterator_moves = 0;
  std::uint64_t snapshots = 0, snapshot_checks = 0, reopens = 0;
  std::uint64_t transactions = 0, tx_writes = 0, tx_commits = 0, tx_rollbacks = 0;
  std::uint64_t takes = 0;  // Transaction::Take calls
  std::uint64_t skips = 0;  // Iterator::Skip calls
  std::size_t max_keys = 0;
};

KVModelStats RunKVModel(const KVOpener& open, const KVModelOptions& options);

}  // namespace larder::test

#endif  // LARDER_TESTS_UTIL_KV_MODEL_H_
