// The Bloom filter of a sorted table: one filter over the USER keys of the whole table, so a
// point read at any sequence number can skip the table with one probe set.
//
// Why one filter per table and not partitioned: tables are at most a few tens of MiB
// (Options::target_file_size, 64 MiB: about 600k entries of 116 bytes, a 730 KiB filter at 10
// bits/key). A table kept open holds its filter in memory anyway, and one filter costs one hash
// and k probes per read, with no index lookup first. Partitioning pays off only when filters
// no longer fit in memory, which max_open_tables bounds.
//
// A blocked Bloom filter: each key sets its k bits inside one 64-byte cache line, so a probe
// costs one cache miss instead of k (about 1.2% false positives at 10 bits/key instead of 0.8%).
//
// Format (docs/formats/lsm.md): the bit array (a whole number of 64-byte lines), one byte k
// (the number of probes, 1..30), one byte kind (1: this filter). A key's line is
// (hash >> 32) * lines >> 32 with hash = FilterHash64(key); its probes are consecutive 9-bit
// fields of a second mix of the hash (filter.cc).
//
// Thread-safety: the builder is used by one thread; FilterReader is immutable, safe for
// concurrent reads.
#ifndef LARDER_LSM_FILTER_H_
#define LARDER_LSM_FILTER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "larder/file_system.h"  // AlignedBuffer
#include "larder/status.h"

namespace larder::lsm {

// A 64-bit hash of `data` (our own multiply-rotate-xor design, 8 bytes per step, with a final
// avalanche). Stable: it decides where filter bits are stored, so it is part of the format.
std::uint64_t FilterHash64(std::string_view data, std::uint64_t seed = 0);

class FilterBuilder {
 public:
  // REQUIRES: bits_per_key >= 1.
  explicit FilterBuilder(int bits_per_key);
  // Adds a user key. Consecutive duplicates are counted once.
  void AddKey(std::string_view user_key);
  std::size_t num_keys() const { return hashes_.size(); }
  // The filter over every key added, in the format above. Empties the builder.
  std::string Finish();

 private:
  const int bits_per_key_;
  std::vector<std::uint64_t> hashes_;
};

class FilterReader {
 public:
  // An empty reader: KeyMayMatch always true.
  FilterReader() = default;
  // Checks the layout. `contents` is copied.
  [[nodiscard]] Status Init(std::string contents);
  // False only when `user_key` was certainly not added.
  bool KeyMayMatch(std::string_view user_key) const;
  std::size_t size() const { return size_; }

 private:
  AlignedBuffer data_;  // the lines, 64-byte aligned: one line is one cache line
  std::size_t size_ = 0;
  std::uint64_t num_lines_ = 0;  // 0: no filter, everything may match
  int num_probes_ = 0;
};

}  // namespace larder::lsm

#endif  // LARDER_LSM_FILTER_H_
