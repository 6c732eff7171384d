#include "server/rank_chunks.h"

#include <algorithm>
#include <utility>

namespace larder::server {
namespace {

// A key's bytes outside the std::string object (none while it fits the inline buffer).
std::size_t HeapBytes(const std::string& s) {
  return s.capacity() > std::string().capacity() ? s.capacity() + 1 : 0;
}

}  // namespace

std::size_t RankChunks::bytes() const {
  return sizeof(*this) + chunks_.capacity() * sizeof(Chunk) + key_bytes_ +
         block_n_.capacity() * sizeof(std::uint64_t);
}

void RankChunks::Append(std::string key, std::uint32_t n) {
  key_bytes_ += HeapBytes(key);
  chunks_.push_back(Chunk{std::move(key), n});
  total_ += n;
  if ((chunks_.size() - 1) % kBlock == 0) block_n_.push_back(0);
  block_n_.back() += n;
}

std::size_t RankChunks::ChunkOf(std::string_view entry) const {
  // The last chunk with key <= entry; chunk 0 for an entry below every key.
  const auto live = chunks_.begin() + static_cast<std::ptrdiff_t>(first_);
  auto it = std::upper_bound(live, chunks_.end(), entry,
                             [](std::string_view e, const Chunk& c) { return e < c.key; });
  return it == live ? 0 : static_cast<std::size_t>(it - live) - 1;
}

std::uint64_t RankChunks::CountBefore(std::size_t chunk) const {
  const std::size_t slot = first_ + chunk;  // the dead slots before it count 0
  std::uint64_t before = 0;
  const std::size_t block = slot / kBlock;
  for (std::size_t b = 0; b < block; ++b) before += block_n_[b];
  for (std::size_t i = block * kBlock; i < slot; ++i) before += chunks_[i].n;
  return before;
}

RankChunks::Position RankChunks::ChunkAtRank(std::uint64_t rank) const {
  // Over slots: a dead one (n == 0) is always passed, and the walk stops on a live one.
  std::uint64_t before = 0;
  std::size_t b = 0;
  while (b + 1 < block_n_.size() && before + block_n_[b] <= rank) before += block_n_[b++];
  std::size_t slot = std::max(b * kBlock, first_);
  while (slot + 1 < chunks_.size() && before + chunks_[slot].n <= rank) before += chunks_[slot++].n;
  return Position{.chunk = slot - first_, .before = before};
}

std::size_t RankChunks::Insert(std::string_view entry) {
  if (chunks_.empty()) {
    Append(std::string(entry), 1);
    return 0;
  }
  const std::size_t chunk = ChunkOf(entry);
  Chunk& c = chunks_[first_ + chunk];
  if (entry < c.key) {
    // A new least entry: chunk 0 is keyed by it, so that no entry sorts below chunk 0's key.
    key_bytes_ -= HeapBytes(c.key);
    c.key.assign(entry);
    key_bytes_ += HeapBytes(c.key);
  }
  c.n += 1;
  block_n_[(first_ + chunk) / kBlock] += 1;
  total_ += 1;
  return chunk;
}

void RankChunks::Erase(std::string_view entry) {
  const std::size_t chunk = ChunkOf(entry);
  const std::size_t slot = first_ + chunk;
  Chunk& c = chunks_[slot];
  total_ -= 1;
  c.n -= 1;
  block_n_[slot / kBlock] -= 1;
  if (c.n > 0) return;
  // The chunk empties. Dropping it keeps the invariants: its range joins the chunk before it,
  // or, for chunk 0, holds no entry, so every entry sorts at or above the next chunk's key.
  key_bytes_ -= HeapBytes(c.key);
  if (chunk == 0) {
    DropFirst();
    return;
  }
  chunks_.erase(chunks_.begin() + static_cast<std::ptrdiff_t>(slot));
  RecountFrom(slot);
}

void RankChunks::DropFirst() {
  std::string().swap(chunks_[first_].key);
  ++first_;
  if (first_ == chunks_.size()) {  // the last chunk: empty, as new
    chunks_.clear();
    block_n_.clear();
    first_ = 0;
  } else if (first_ > kBlock && 2 * first_ > chunks_.size()) {
    chunks_.erase(chunks_.begin(), chunks_.begin() + static_cast<std::ptrdiff_t>(first_));
    first_ = 0;
    RecountFrom(0);
  }
}

void RankChunks::Split(std::size_t chunk, std::string right_key, std::uint32_t right_n) {
  const std::size_t slot = first_ + chunk;
  chunks_[slot].n -= right_n;
  key_bytes_ += HeapBytes(right_key);
  chunks_.insert(chunks_.begin() + static_cast<std::ptrdiff_t>(slot) + 1,
                 Chunk{std::move(right_key), right_n});
  RecountFrom(slot);
}

void RankChunks::RecountFrom(std::size_t slot) {
  const std::size_t blocks = (chunks_.size() + kBlock - 1) / kBlock;
  block_n_.resize(blocks);
  for (std::size_t b = slot / kBlock; b < blocks; ++b) {
    std::uint64_t n = 0;
    const std::size_t end = std::min(chunks_.size(), (b + 1) * kBlock);
    for (std::size_t i = b * kBlock; i < end; ++i) n += chunks_[i].n;
    block_n_[b] = n;
  }
}

}  // namespace larder::server
