#include "server/set_store.h"

#include <algorithm>
#include <memory>
#include <unordered_set>
#include <utility>

#include "server/args.h"
#include "server/key_encoding.h"

namespace larder::server::sets {

Result<std::int64_t> Add(Database& db, std::string_view key, std::optional<KeyInfo>* info,
                         std::span<const std::string_view> members) {
  const bool created = !info->has_value();
  if (created) {
    LARDER_ASSIGN_OR_RETURN(KeyInfo fresh, db.NewCollection(ValueType::kSet));
    *info = fresh;
  }
  KeyInfo& set = **info;
  std::int64_t added = 0;
  for (std::string_view member : members) {
    LARDER_ASSIGN_OR_RETURN(std::optional<std::string> old, db.GetRecord(set.version, member));
    if (old) continue;
    LARDER_RETURN_IF_ERROR(db.PutRecord(set.version, member, ""));
    ++set.size;
    ++added;
  }
  if (added > 0) LARDER_RETURN_IF_ERROR(db.WriteCollection(key, set, created));
  if (set.size == 0) info->reset();  // nothing was written for a new key
  return added;
}

Result<std::int64_t> Remove(Database& db, std::string_view key, KeyInfo* info,
                            std::span<const std::string_view> members) {
  std::int64_t removed = 0;
  for (std::string_view member : members) {
    if (info->size == 0) break;
    LARDER_ASSIGN_OR_RETURN(std::optional<std::string> old, db.GetRecord(info->version, member));
    if (!old) continue;
    LARDER_RETURN_IF_ERROR(db.DeleteRecord(info->version, member));
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

Status Sampler::LoadSmall() {
  LARDER_ASSIGN_OR_RETURN(small_, All(db_, info_));
  if (small_.empty()) return Status::Corruption("set: no members under a non-empty set");
  return Status::Ok();
}

Status Sampler::LoadBounds() {
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it, db_.Records(info_.version, ""));
  LARDER_RETURN_IF_ERROR(it->status());
  if (!it->Valid()) return Status::Corruption("set: no members under a non-empty set");
  first_ = std::string(it->key());
  LARDER_ASSIGN_OR_RETURN(it, db_.Records(info_.version, "", /*reverse=*/true));
  LARDER_RETURN_IF_ERROR(it->status());
  if (!it->Valid()) return Status::Corruption("set: no members under a non-empty set");
  last_ = std::string(it->key());
  common_ = 0;
  while (common_ < first_.size() && common_ < last_.size() && first_[common_] == last_[common_]) {
    ++common_;
  }
  const auto window = [this](const std::string& s) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i) {
      const std::size_t at = common_ + i;
      v = (v << 8) | (at < s.size() ? static_cast<std::uint8_t>(s[at]) : 0u);
    }
    return v;
  };
  lo_ = window(first_);
  hi_ = window(last_);
  return Status::Ok();
}

Result<std::string> Sampler::Pick() {
  std::string target = first_.substr(0, common_);
  enc::AppendBe64(&target, std::uniform_int_distribution<std::uint64_t>(lo_, hi_)(rng_));
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it, db_.Records(info_.version, target));
  int steps = static_cast<int>(rng_() % kPickSpread);
  for (;;) {
    LARDER_RETURN_IF_ERROR(it->status());
    if (!it->Valid()) {  // past the last member: wrap to the first
      LARDER_ASSIGN_OR_RETURN(it, db_.Records(info_.version, ""));
      LARDER_RETURN_IF_ERROR(it->status());
      if (!it->Valid()) return Status::Corruption("set: no members under a non-empty set");
    }
    if (steps-- == 0) return std::string(it->key());
    it->Next();
  }
}

Result<std::vector<std::string>> Sampler::WithRepeats(std::uint64_t count) {
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(count));
  if (info_.size <= kExactSampleSize) {
    if (!loaded_) LARDER_RETURN_IF_ERROR(LoadSmall());
    loaded_ = true;
    std::uniform_int_distribution<std::size_t> any(0, small_.size() - 1);
    for (std::uint64_t i = 0; i < count; ++i) out.push_back(small_[any(rng_)]);
    return out;
  }
  if (!loaded_) LARDER_RETURN_IF_ERROR(LoadBounds());
  loaded_ = true;
  for (std::uint64_t i = 0; i < count; ++i) {
    LARDER_ASSIGN_OR_RETURN(std::string member, Pick());
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
  if (info_.size <= kExactSampleSize) {
    if (!loaded_) LARDER_RETURN_IF_ERROR(LoadSmall());
    loaded_ = true;
    std::vector<std::string> pool = small_;
    count = std::min<std::uint64_t>(count, pool.size());
    for (std::size_t i = 0; i < count; ++i) {  // a partial Fisher-Yates shuffle
      const std::size_t j = std::uniform_int_distribution<std::size_t>(i, pool.size() - 1)(rng_);
      std::swap(pool[i], pool[j]);
    }
    pool.resize(static_cast<std::size_t>(count));
    return pool;
  }
  if (count >= info_.size / 4) return SelectionSample(count);
  if (!loaded_) LARDER_RETURN_IF_ERROR(LoadBounds());
  loaded_ = true;
  std::vector<std::string> out;
  std::unordered_set<std::string> chosen;
  // Skewed member bytes can make some members much likelier than others; after this many
  // picks fall back to one walk rather than loop on repeats.
  const std::uint64_t attempts = 4 * count + 64;
  for (std::uint64_t i = 0; i < attempts && out.size() < count; ++i) {
    LARDER_ASSIGN_OR_RETURN(std::string member, Pick());
    if (chosen.insert(member).second) out.push_back(std::move(member));
  }
  if (out.size() < count) return SelectionSample(count);
  return out;
}

}  // namespace larder::server::sets
