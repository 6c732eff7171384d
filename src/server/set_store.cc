#include "server/set_store.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "server/args.h"
#include "server/key_encoding.h"
#include "server/random_members.h"

namespace larder::server::sets {

Result<std::int64_t> Add(Database& db, std::string_view key, std::optional<KeyInfo>* info,
                         std::span<const std::string_view> members) {
  const bool created = !info->has_value();
  if (created) {
    LARDER_ASSIGN_OR_RETURN(KeyInfo fresh, db.NewCollection(ValueType::kSet));
    *info = fresh;
  }
  KeyInfo& set = **info;
  RankIndex ranks(db, set.version, "");
  std::int64_t added = 0;
  for (std::string_view member : members) {
    LARDER_ASSIGN_OR_RETURN(std::optional<std::string> old, db.GetRecord(set.version, member));
    if (old) continue;
    LARDER_RETURN_IF_ERROR(db.PutRecord(set.version, member, ""));
    LARDER_RETURN_IF_ERROR(ranks.OnInsert(member));
    ++set.size;
    ++added;
  }
  if (added > 0) LARDER_RETURN_IF_ERROR(db.WriteCollection(key, set, created));
  if (set.size == 0) info->reset();  // nothing was written for a new key
  return added;
}

Result<std::int64_t> Remove(Database& db, std::string_view key, KeyInfo* info,
                            std::span<const std::string_view> members) {
  RankIndex ranks(db, info->version, "");
  std::int64_t removed = 0;
  for (std::string_view member : members) {
    if (info->size == 0) break;
    LARDER_ASSIGN_OR_RETURN(std::optional<std::string> old, db.TakeRecord(info->version, member));
    if (!old) continue;
    LARDER_RETURN_IF_ERROR(ranks.OnErase(member));
    --info->size;
    ++removed;
  }
  if (removed > 0) LARDER_RETURN_IF_ERROR(db.WriteCollection(key, *info, /*created=*/false));
  return removed;
}

Result<bool> Contains(Database& db, const KeyInfo& info, std::string_view member) {
  LARDER_ASSIGN_OR_RETURN(std::optional<std::string> value, db.GetRecord(info.version, member));
  return value.has_value();
}

Result<std::vector<std::string>> All(Database& db, const KeyInfo& info) {
  std::vector<std::string> members;
  members.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(info.size, 1u << 20)));
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it, db.Records(info.version, ""));
  for (; it->Valid(); it->Next()) members.emplace_back(it->key());
  LARDER_RETURN_IF_ERROR(it->status());
  return members;
}

Result<bool> Store(Database& db, std::string_view key, const std::vector<std::string>& members) {
  LARDER_ASSIGN_OR_RETURN(bool existed, db.Delete(key));
  if (members.empty()) return existed;
  LARDER_ASSIGN_OR_RETURN(KeyInfo info, db.NewCollection(ValueType::kSet));
  for (const std::string& member : members) {
    LARDER_RETURN_IF_ERROR(db.PutRecord(info.version, member, ""));
  }
  info.size = members.size();
  LARDER_RETURN_IF_ERROR(db.WriteCollection(key, info, /*created=*/true));
  return existed;
}

bool IsIntsetLike(std::span<const std::string> members) {
  if (members.size() > kIntsetEntries) return false;
  return std::all_of(members.begin(), members.end(),
                     [](const std::string& m) { return ParseInt64(m).has_value(); });
}

// ---- Sampler ----

Sampler::Sampler(Database& db, const KeyInfo& info, std::mt19937_64& rng)
    : db_(db), info_(info), rng_(rng), index_(db, info.version, "") {}

Result<std::vector<std::string>> Sampler::WithRepeats(std::uint64_t count) {
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(count));
  std::uniform_int_distribution<std::uint64_t> any(0, info_.size - 1);
  for (std::uint64_t i = 0; i < count; ++i) {
    LARDER_ASSIGN_OR_RETURN(std::string member, index_.EntryAt(any(rng_)));
    out.push_back(std::move(member));
  }
  return out;
}

Result<std::vector<std::string>> Sampler::SelectionSample(std::uint64_t count) {
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(count));
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it, db_.Records(info_.version, ""));
  std::uint64_t seen = 0;
  for (; it->Valid() && out.size() < count; it->Next(), ++seen) {
    const std::uint64_t left = info_.size > seen ? info_.size - seen : 1;
    const std::uint64_t need = count - out.size();
    if (std::uniform_int_distribution<std::uint64_t>(0, left - 1)(rng_) < need) {
      out.emplace_back(it->key());
    }
  }
  LARDER_RETURN_IF_ERROR(it->status());
  std::shuffle(out.begin(), out.end(), rng_);
  return out;
}

Result<std::vector<std::string>> Sampler::Distinct(std::uint64_t count) {
  count = std::min(count, info_.size);
  if (count >= info_.size / 4) return SelectionSample(count);
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(count));
  for (std::uint64_t rank : RandomPositions(info_.size, static_cast<std::int64_t>(count), rng_)) {
    LARDER_ASSIGN_OR_RETURN(std::string member, index_.EntryAt(rank));
    out.push_back(std::move(member));
  }
  return out;
}

}  // namespace larder::server::sets
