#include "server/rank_index.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "server/rank_cache.h"

namespace larder::server {

RankIndex::RankIndex(Database& db, std::uint64_t version, std::string_view prefix,
                     std::uint32_t chunk_max)
    : db_(db),
      version_(version),
      prefix_(prefix),
      chunk_max_(std::max<std::uint32_t>(chunk_max, 2)),
      cache_(db.rank_cache()) {}

RankChunks* RankIndex::Cached() {
  if (cache_ != nullptr) return cache_->Find(version_);
  return local_ ? &*local_ : nullptr;
}

bool RankIndex::cached() { return Cached() != nullptr; }

void RankIndex::Distrust() {
  if (cache_ != nullptr) {
    cache_->Erase(version_);
    cache_->CountDistrusted();
  }
  local_.reset();
}

Result<RankChunks*> RankIndex::Ranks() {
  if (RankChunks* ranks = Cached()) return ranks;
  // One walk of the records; chunks start half full, so that inserts do not split them at
  // once.
  RankChunks ranks(chunk_max_);
  const std::uint32_t fill = chunk_max_ / 2;
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it, db_.Records(version_, prefix_));
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

Result<std::optional<std::string>> RankIndex::EntryAfter(const RankChunks& ranks, std::size_t chunk,
                                                         std::uint64_t skip) {
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it,
                          db_.Records(version_, RecordOf(ranks.key(chunk))));
  // The entries are one contiguous run of records: when the record `skip` ahead is one, so is
  // every record skipped.
  if (IsEntry(*it)) it->Skip(skip);
  LARDER_RETURN_IF_ERROR(it->status());
  if (!IsEntry(*it)) return std::optional<std::string>();
  return std::optional<std::string>(std::string(EntryOf(*it)));
}

bool RankIndex::IsEntry(const Cursor& it) const {
  return it.Valid() && it.key().size() >= prefix_.size() &&
         it.key().substr(0, prefix_.size()) == prefix_;
}

std::string_view RankIndex::EntryOf(const Cursor& it) const {
  return it.key().substr(prefix_.size());
}

std::string RankIndex::RecordOf(std::string_view entry) const {
  std::string record(prefix_);
  record.append(entry);
  return record;
}

Status RankIndex::OnInsert(std::string_view entry) {
  RankChunks* ranks = Cached();
  if (ranks == nullptr) return Status::Ok();
  const std::size_t chunk = ranks->Insert(entry);
  const std::uint32_t n = ranks->count(chunk);
  if (n <= ranks->chunk_max()) return Status::Ok();
  // Split at the middle entry (the new record is written already).
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

Status RankIndex::OnErase(std::string_view entry) {
  RankChunks* ranks = Cached();
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

Result<std::uint64_t> RankIndex::CountLess(std::string_view bound) {
  LARDER_ASSIGN_OR_RETURN(RankChunks * ranks, Ranks());
  if (ranks->chunks() == 0) return std::uint64_t{0};
  const std::size_t chunk = ranks->ChunkOf(bound);
  std::uint64_t before = ranks->CountBefore(chunk);
  const std::uint32_t n = ranks->count(chunk);
  // The chunk's entries start at its key (chunk 0's too: no entry sorts below it).
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it,
                          db_.Records(version_, RecordOf(ranks->key(chunk))));
  std::uint32_t i = 0;
  for (; i < n && IsEntry(*it) && EntryOf(*it) < bound; ++i, it->Next()) ++before;
  LARDER_RETURN_IF_ERROR(it->status());
  return before;
}

Result<std::string> RankIndex::EntryAt(std::uint64_t rank) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    LARDER_ASSIGN_OR_RETURN(RankChunks * ranks, Ranks());
    if (rank < ranks->total()) {
      const RankChunks::Position pos = ranks->ChunkAtRank(rank);
      LARDER_ASSIGN_OR_RETURN(std::optional<std::string> entry,
                              EntryAfter(*ranks, pos.chunk, rank - pos.before));
      if (entry) return std::move(*entry);
    }
    Distrust();  // counts beyond the records: rebuild once
  }
  return Status::Corruption("rank beyond the indexed records");
}

Result<std::string> RankIndex::FirstKey() {
  LARDER_ASSIGN_OR_RETURN(RankChunks * ranks, Ranks());
  return ranks->chunks() == 0 ? std::string() : std::string(ranks->key(0));
}

Status RankIndex::Check(std::uint64_t entries) {
  RankChunks* ranks = Cached();
  if (ranks == nullptr) return Status::Ok();
  if (ranks->total() != entries) {
    return Status::Corruption("rank index total " + std::to_string(ranks->total()) +
                              " != " + std::to_string(entries));
  }
  std::vector<std::uint64_t> seen(ranks->chunks(), 0);
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it, db_.Records(version_, prefix_));
  std::uint64_t total = 0;
  for (; IsEntry(*it); it->Next(), ++total) {
    if (EntryOf(*it) < ranks->key(0))
      return Status::Corruption("rank index: an entry below chunk 0");
    seen[ranks->ChunkOf(EntryOf(*it))] += 1;
  }
  LARDER_RETURN_IF_ERROR(it->status());
  if (total != entries) return Status::Corruption("rank index: record count mismatch");
  std::uint64_t before = 0;
  for (std::size_t c = 0; c < ranks->chunks(); ++c) {
    if (c > 0 && !(ranks->key(c - 1) < ranks->key(c))) {
      return Status::Corruption("rank index: chunks out of order at " + std::to_string(c));
    }
    const std::uint32_t n = ranks->count(c);
    if (n == 0 || n > ranks->chunk_max() || n != seen[c]) {
      return Status::Corruption("rank index: chunk " + std::to_string(c) + " counts " +
                                std::to_string(n) + ", holds " + std::to_string(seen[c]));
    }
    if (ranks->CountBefore(c) != before) return Status::Corruption("rank index: block sums wrong");
    before += n;
  }
  return Status::Ok();
}

}  // namespace larder::server
