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
  auto it = std::upper_bound(chunks_.begin(), chunks_.end(), entry,
                             [](std::string_view e, const Chunk& c) { return e < c.key; });
  return it == chunks_.begin() ? 0 : static_cast<std::size_t>(it - chunks_.begin()) - 1;
}

std::uint64_t RankChunks::CountBefore(std::size_t chunk) const {
  std::uint64_t before = 0;
  const std::size_t block = chunk / kBlock;
  for (std::size_t b = 0; b < block; ++b) before += block_n_[b];
  for (std::size_t i = block * kBlock; i < chunk; ++i) before += chunks_[i].n;
  return before;
}

RankChunks::Position RankChunks::ChunkAtRank(std::uint64_t rank) const {
  Position pos;
  std::size_t b = 0;
  while (b + 1 < block_n_.size() && pos.before + block_n_[b] <= rank) pos.before += block_n_[b++];
  pos.chunk = b * kBlock;
  while (pos.chunk + 1 < chunks_.size() && pos.before + chunks_[pos.chunk].n <= rank) {
    pos.before += chunks_[pos.chunk++].n;
  }
  return pos;
}

std::size_t RankChunks::Insert(std::string_view entry) {
  if (chunks_.empty()) {
    Append(std::string(entry), 1);
    return 0;
  }
  const std::size_t chunk = ChunkOf(entry);
  Chunk& c = chunks_[chunk];
  if (entry < c.key) {
    // A new least entry: chunk 0 is keyed by it, so that no entry sorts below chunk 0's key.
    key_bytes_ -= HeapBytes(c.key);
    c.key.assign(entry);
    key_bytes_ += HeapBytes(c.key);
  }
  c.n += 1;
  block_n_[chunk / kBlock] += 1;
  total_ += 1;
  return chunk;
}

void RankChunks::Erase(std::string_view entry) {
  const std::size_t chunk = ChunkOf(entry);
  Chunk& c = chunks_[chunk];
  total_ -= 1;
  if (c.n > 1) {
    c.n -= 1;
    block_n_[chunk / kBlock] -= 1;
    return;
  }
  // The chunk empties. Dropping it keeps the invariants: its range joins the chunk before it,
  // or, for chunk 0, holds no entry, so every entry sorts at or above the next chunk's key.
  key_bytes_ -= HeapBytes(c.key);
  chunks_.erase(chunks_.begin() + static_cast<std::ptrdiff_t>(chunk));
  RecountFrom(chunk);
}

void RankChunks::Split(std::size_t chunk, std::string right_key, std::uint32_t right_n) {
  chunks_[chunk].n -= right_n;
  key_bytes_ += HeapBytes(right_key);
  chunks_.insert(chunks_.begin() + static_cast<std::ptrdiff_t>(chunk) + 1,
                 Chunk{std::move(right_key), right_n});
  RecountFrom(chunk);
}

void RankChunks::RecountFrom(std::size_t chunk) {
  const std::size_t blocks = (chunks_.size() + kBlock - 1) / kBlock;
  block_n_.resize(blocks);
  for (std::size_t b = chunk / kBlock; b < blocks; ++b) {
    std::uint64_t n = 0;
    const std::size_t end = std::min(chunks_.size(), (b + 1) * kBlock);
    for (std::size_t i = b * kBlock; i < end; ++i) n += chunks_[i].n;
    block_n_[b] = n;
  }
}

}  // namespace larder::server
