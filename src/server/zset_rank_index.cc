#include "server/zset_rank_index.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "server/zset_encoding.h"
#include "server/zset_rank_cache.h"

namespace larder::server {
namespace {

bool IsEntry(const Cursor& it) { return it.Valid() && zenc::IsScoreRecord(it.key()); }

std::string_view EntryOf(const Cursor& it) { return it.key().substr(1); }

}  // namespace

ZSetRankIndex::ZSetRankIndex(Database& db, std::uint64_t version, std::uint32_t chunk_max)
    : db_(db),
      version_(version),
      chunk_max_(std::max<std::uint32_t>(chunk_max, 2)),
      cache_(db.zset_rank_cache()) {}

ZSetRanks* ZSetRankIndex::Cached() {
  if (cache_ != nullptr) return cache_->Find(version_);
  return local_ ? &*local_ : nullptr;
}

bool ZSetRankIndex::cached() { return Cached() != nullptr; }

void ZSetRankIndex::Distrust() {
  if (cache_ != nullptr) {
    cache_->Erase(version_);
    cache_->CountDistrusted();
  }
  local_.reset();
}

Result<ZSetRanks*> ZSetRankIndex::Ranks() {
  if (ZSetRanks* ranks = Cached()) return ranks;
  // One walk of the score index; chunks start half full, so that inserts do not split them at
  // once.
  ZSetRanks ranks(chunk_max_);
  const std::uint32_t fill = chunk_max_ / 2;
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it,
                          db_.Records(version_, std::string(1, zenc::kScoreSub)));
  std::string key;
  std::uint32_t n = 0;
  for (; IsEntry(*it); it->Next()) {
    if (n == fill) {
      ranks.Append(std::move(key), n);
      n = 0;
    }
    if (n++ == 0) key.assign(EntryOf(*it));
  }
  LARDER_RETURN_IF_ERROR(it->status());
  if (n > 0) ranks.Append(std::move(key), n);
  if (cache_ != nullptr) return cache_->Insert(version_, std::move(ranks));
  local_.emplace(std::move(ranks));
  return &*local_;
}

Result<std::optional<std::string>> ZSetRankIndex::EntryAfter(const ZSetRanks& ranks,
                                                             std::size_t chunk,
                                                             std::uint64_t skip) {
  LARDER_ASSIGN_OR_RETURN(
      std::unique_ptr<Cursor> it,
      db_.Records(version_, zenc::EntryRecord(zenc::kScoreSub, ranks.key(chunk))));
  for (; skip > 0 && IsEntry(*it); --skip) it->Next();
  LARDER_RETURN_IF_ERROR(it->status());
  if (!IsEntry(*it)) return std::optional<std::string>();
  return std::optional<std::string>(std::string(EntryOf(*it)));
}

Status ZSetRankIndex::OnInsert(std::string_view entry) {
  ZSetRanks* ranks = Cached();
  if (ranks == nullptr) return Status::Ok();
  const std::size_t chunk = ranks->Insert(entry);
  const std::uint32_t n = ranks->count(chunk);
  if (n <= ranks->chunk_max()) return Status::Ok();
  // Split at the middle entry (the new entry is on disk already).
  const std::uint32_t keep = n / 2;
  LARDER_ASSIGN_OR_RETURN(std::optional<std::string> right, EntryAfter(*ranks, chunk, keep));
  if (!right || *right <= ranks->key(chunk)) {
    Distrust();
    return Status::Ok();
  }
  ranks->Split(chunk, std::move(*right), n - keep);
  if (cache_ != nullptr) cache_->Charge(version_);
  return Status::Ok();
}

Status ZSetRankIndex::OnErase(std::string_view entry) {
  ZSetRanks* ranks = Cached();
  if (ranks == nullptr) return Status::Ok();
  if (ranks->total() == 0) {
    Distrust();
    return Status::Ok();
  }
  const std::size_t chunks = ranks->chunks();
  ranks->Erase(entry);
  if (ranks->chunks() != chunks && cache_ != nullptr) cache_->Charge(version_);
  return Status::Ok();
}

Result<std::uint64_t> ZSetRankIndex::CountLess(std::string_view bound) {
  LARDER_ASSIGN_OR_RETURN(ZSetRanks * ranks, Ranks());
  if (ranks->chunks() == 0) return std::uint64_t{0};
  const std::size_t chunk = ranks->ChunkOf(bound);
  std::uint64_t before = ranks->CountBefore(chunk);
  const std::uint32_t n = ranks->count(chunk);
  // The chunk's entries start at its key (chunk 0's too: no entry sorts below it).
  LARDER_ASSIGN_OR_RETURN(
      std::unique_ptr<Cursor> it,
      db_.Records(version_, zenc::EntryRecord(zenc::kScoreSub, ranks->key(chunk))));
  std::uint32_t i = 0;
  for (; i < n && IsEntry(*it) && EntryOf(*it) < bound; ++i, it->Next()) ++before;
  LARDER_RETURN_IF_ERROR(it->status());
  return before;
}

Result<std::string> ZSetRankIndex::EntryAt(std::uint64_t rank) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    LARDER_ASSIGN_OR_RETURN(ZSetRanks * ranks, Ranks());
    if (rank < ranks->total()) {
      const ZSetRanks::Position pos = ranks->ChunkAtRank(rank);
      LARDER_ASSIGN_OR_RETURN(std::optional<std::string> entry,
                              EntryAfter(*ranks, pos.chunk, rank - pos.before));
      if (entry) return std::move(*entry);
    }
    Distrust();  // counts beyond the score index: rebuild once
  }
  return Status::Corruption("zset rank beyond the score index");
}

Result<std::string> ZSetRankIndex::FirstKey() {
  LARDER_ASSIGN_OR_RETURN(ZSetRanks * ranks, Ranks());
  return ranks->chunks() == 0 ? std::string() : std::string(ranks->key(0));
}

Status ZSetRankIndex::Check(std::uint64_t entries) {
  ZSetRanks* ranks = Cached();
  if (ranks == nullptr) return Status::Ok();
  if (ranks->total() != entries) {
    return Status::Corruption("zset rank total " + std::to_string(ranks->total()) +
                              " != " + std::to_string(entries));
  }
  std::vector<std::uint64_t> seen(ranks->chunks(), 0);
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it,
                          db_.Records(version_, std::string(1, zenc::kScoreSub)));
  std::uint64_t total = 0;
  for (; IsEntry(*it); it->Next(), ++total) {
    if (EntryOf(*it) < ranks->key(0)) return Status::Corruption("zset entry below chunk 0");
    seen[ranks->ChunkOf(EntryOf(*it))] += 1;
  }
  LARDER_RETURN_IF_ERROR(it->status());
  if (total != entries) return Status::Corruption("zset score index size mismatch");
  std::uint64_t before = 0;
  for (std::size_t c = 0; c < ranks->chunks(); ++c) {
    if (c > 0 && !(ranks->key(c - 1) < ranks->key(c))) {
      return Status::Corruption("zset rank chunks out of order at " + std::to_string(c));
    }
    const std::uint32_t n = ranks->count(c);
    if (n == 0 || n > ranks->chunk_max() || n != seen[c]) {
      return Status::Corruption("zset rank chunk " + std::to_string(c) + " counts " +
                                std::to_string(n) + ", holds " + std::to_string(seen[c]));
    }
    if (ranks->CountBefore(c) != before) return Status::Corruption("zset rank block sums wrong");
    before += n;
  }
  return Status::Ok();
}

}  // namespace larder::server
