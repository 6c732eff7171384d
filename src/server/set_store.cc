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

Result<std::string> Sampler::FirstAtOrAfter(std::string_view start) {
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it, db_.Records(info_.version, start));
  LARDER_RETURN_IF_ERROR(it->status());
  if (!it->Valid()) return Status::Corruption("set: a member the sampler expected is missing");
  return std::string(it->key());
}

Result<std::string> Sampler::LastWithPrefix(std::string_view prefix) {
  // The least string above every string starting with `prefix` ("" when there is none).
  std::string end(prefix);
  while (!end.empty() && static_cast<std::uint8_t>(end.back()) == 0xff) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<std::uint8_t>(end.back()) + 1);
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it,
                          db_.Records(info_.version, end, /*reverse=*/true));
  LARDER_RETURN_IF_ERROR(it->status());
  if (!it->Valid() || !it->key().starts_with(prefix)) {
    return Status::Corruption("set: a member the sampler expected is missing");
  }
  return std::string(it->key());
}

Result<std::string> Sampler::Descend(double* chance) {
  // Invariant: `first` is the first member of the subtree of members starting with `prefix`.
  *chance = 1;
  std::string prefix;
  LARDER_ASSIGN_OR_RETURN(std::string first, FirstAtOrAfter(""));
  for (;;) {
    LARDER_ASSIGN_OR_RETURN(std::string last, LastWithPrefix(prefix));
    if (first == last) return first;
    std::size_t c = prefix.size();
    while (c < first.size() && first[c] == last[c]) ++c;
    // last > first, so last has a byte at c (and first too unless it ends there).
    const bool ends_here = c == first.size();
    unsigned lo;
    if (ends_here) {
      std::string after = first;
      after.push_back('\0');
      LARDER_ASSIGN_OR_RETURN(std::string second, FirstAtOrAfter(after));
      lo = static_cast<std::uint8_t>(second[c]);
    } else {
      lo = static_cast<std::uint8_t>(first[c]);
    }
    const unsigned hi = static_cast<std::uint8_t>(last[c]);
    const std::uint64_t slots = hi - lo + 1 + (ends_here ? 1 : 0);
    *chance /= static_cast<double>(slots);
    std::uint64_t slot = std::uniform_int_distribution<std::uint64_t>(0, slots - 1)(rng_);
    if (ends_here) {
      if (slot == 0) return first;
      --slot;
    }
    std::string target = first.substr(0, c);
    target.push_back(static_cast<char>(lo + slot));
    LARDER_ASSIGN_OR_RETURN(first, FirstAtOrAfter(target));
    prefix = first.substr(0, c + 1);
  }
}

Result<std::string> Sampler::Pick() {
  // Rejection: a member the descent reaches with chance q is kept with probability
  // min(1, 1 / (kOversample * size * q)), so no member is likelier than about kOversample times
  // another whose chance was clamped; members the descent favoured lose their excess.
  const double bound = 1.0 / (kOversample * static_cast<double>(info_.size));
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::string member;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    double chance;
    LARDER_ASSIGN_OR_RETURN(member, Descend(&chance));
    if (chance <= bound || unit(rng_) * chance <= bound) break;
  }
  return member;
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
  std::vector<std::string> out;
  std::unordered_set<std::string> chosen;
  // Skewed member bytes can make some members likelier than others; after this many picks
  // fall back to one walk rather than loop on repeats.
  const std::uint64_t attempts = 4 * count + 64;
  for (std::uint64_t i = 0; i < attempts && out.size() < count; ++i) {
    LARDER_ASSIGN_OR_RETURN(std::string member, Pick());
    if (chosen.insert(member).second) out.push_back(std::move(member));
  }
  if (out.size() < count) return SelectionSample(count);
  return out;
}

}  // namespace larder::server::sets
