// RankChunks: the rank index of one ordered run of records (a sorted set's score index, a set's
// or a hash's members: rank_index.h), in memory. It counts the run's entries in chunks, so that the
// rank of an entry and the entry at a rank are found by summing counts and walking at most one
// chunk's entries on disk, instead of walking the entries before them.
//
// Shape (the invariants, checked by RankIndex::Check against the records):
//   - chunks_ is ordered by key, without duplicates. Chunk i holds the entries in
//     [key_i, key_{i+1}); the last chunk also every entry above. No entry sorts below key_0
//     (an insert below it renames chunk 0), so chunk 0's key is a lower bound of the set.
//   - Every chunk has 1 <= n <= chunk_max entries; the sum of the n is the number of entries. A key
//     need not be an entry (its entry may have been erased since): keys are only cut points.
//   - block_n_[b] is the sum of n over chunks [b * kBlock, (b + 1) * kBlock): counting the
//     entries before chunk i adds i / kBlock block sums and fewer than kBlock chunk counts.
//   - Chunk indices in the interface are logical: chunk i is chunks_[first_ + i]. The slots
//     before first_ are chunks dropped from the front (n == 0, no key), so that popping from the
//     front (ZPOPMIN after ZPOPMIN) moves no chunk and recounts no block; blocks are over slots.
//     The dead slots are compacted away once they are more than half of them.
// This class keeps the counts; the caller (RankIndex) reads the disk: it finds the key a
// full chunk splits at, and walks a chunk's entries.
//
// Cost: Insert and Erase are a binary search over the chunk keys plus two increments; a chunk
// that splits or empties moves the chunks after it and recounts the blocks after it (O(chunks),
// once per about chunk_max / 2 inserts), except the first chunk, which empties in O(1)
// amortized. CountBefore and ChunkAtRank are O(chunks / kBlock +
// kBlock). Memory: about one chunk (its key and 40 bytes) per chunk_max / 2 entries.
//
// Thread-safety: none; RankCache's owner serializes (larderd's execution lock).
#ifndef LARDER_SERVER_RANK_CHUNKS_H_
#define LARDER_SERVER_RANK_CHUNKS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace larder::server {

class RankChunks {
 public:
  static constexpr std::size_t kBlock = 64;

  explicit RankChunks(std::uint32_t chunk_max) : chunk_max_(chunk_max) {}

  std::uint32_t chunk_max() const { return chunk_max_; }
  std::size_t chunks() const { return chunks_.size() - first_; }
  std::string_view key(std::size_t chunk) const { return chunks_[first_ + chunk].key; }
  std::uint32_t count(std::size_t chunk) const { return chunks_[first_ + chunk].n; }
  std::uint64_t total() const { return total_; }
  // Bytes held (the RankCache's charge).
  std::size_t bytes() const;

  // Building, in key order: a chunk of `n` (>= 1) entries from `key` on.
  void Append(std::string key, std::uint32_t n);

  // The chunk whose range holds `entry`. REQUIRES: chunks() > 0.
  std::size_t ChunkOf(std::string_view entry) const;
  // The number of entries in the chunks before `chunk`.
  std::uint64_t CountBefore(std::size_t chunk) const;
  // The chunk holding the entry of 0-based `rank`, and the entries before that chunk.
  // REQUIRES: rank < total().
  struct Position {
    std::size_t chunk = 0;
    std::uint64_t before = 0;
  };
  Position ChunkAtRank(std::uint64_t rank) const;

  // An entry was added to the records; returns the chunk that counts it (a new chunk 0 when
  // the index was empty). When count(chunk) > chunk_max() afterwards the caller calls Split.
  std::size_t Insert(std::string_view entry);
  // An entry was removed from the records. REQUIRES: it was counted (total() > 0).
  void Erase(std::string_view entry);
  // Cuts `chunk` at `right_key` (an entry of it, above its key): the entries from there on,
  // `right_n` of them, form a new chunk after it. REQUIRES: 0 < right_n < count(chunk).
  void Split(std::size_t chunk, std::string right_key, std::uint32_t right_n);

 private:
  struct Chunk {
    std::string key;
    std::uint32_t n = 0;
  };
  // Recounts block_n_ from the block holding slot `slot` on (after chunks moved).
  void RecountFrom(std::size_t slot);
  // Drops the first chunk (it emptied): its slot goes dead, and the dead slots are compacted
  // away once they outnumber the live chunks.
  void DropFirst();

  std::uint32_t chunk_max_;
  std::vector<Chunk> chunks_;  // slots: [0, first_) dead, then the chunks in key order
  std::size_t first_ = 0;
  std::vector<std::uint64_t> block_n_;
  std::uint64_t total_ = 0;
  std::size_t key_bytes_ = 0;  // heap bytes of the keys (beyond std::string's inline buffer)
};

}  // namespace larder::server

#endif  // LARDER_SERVER_RANK_CHUNKS_H_
