#include "server/reclaim.h"

#include <string>
#include <utility>
#include <vector>

namespace larder::server {

using enc::Meta;

Result<std::uint64_t> ExpireStep(KeyspaceState& state, std::uint64_t budget) {
  std::uint64_t done = 0;
  for (int db = 0; db < state.databases() && done < budget; ++db) {
    const std::uint32_t pdb = state.pdb(db);
    const std::string lower = enc::ExpiryPrefix(pdb);
    std::string upper = lower;  // entries due at or before now
    enc::AppendBe64(&upper, static_cast<std::uint64_t>(state.now_ms()) + 1);
    std::vector<std::pair<std::int64_t, std::string>> due;
    {
      LARDER_ASSIGN_OR_RETURN(std::unique_ptr<kv::Iterator> it, state.Range(lower, upper));
      for (it->SeekToFirst(); it->Valid() && done + due.size() < budget; it->Next()) {
        std::int64_t at;
        std::string_view key;
        enc::ParseExpiryKey(it->key(), &at, &key);
        due.emplace_back(at, std::string(key));
      }
      LARDER_RETURN_IF_ERROR(it->status());
    }
    for (const auto& [at, key] : due) {
      Meta m;
      std::string buf;
      LARDER_ASSIGN_OR_RETURN(bool found, state.ReadMeta(pdb, key, &m, &buf));
      if (found && m.expire_at_ms == at) {
        LARDER_RETURN_IF_ERROR(state.Expire(db, key, m));
      } else {
        // No key holds this expiry (never written so by this code; repaired if met).
        LARDER_RETURN_IF_ERROR(state.Delete(enc::ExpiryKey(pdb, at, key)));
      }
      ++done;
    }
  }
  return done;
}

namespace {

// The first key of [lower, upper), or nullopt.
Result<std::optional<std::string>> FirstKey(KeyspaceState& state, std::string_view lower,
                                            std::string_view upper) {
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<kv::Iterator> it, state.Range(lower, upper));
  it->SeekToFirst();
  LARDER_RETURN_IF_ERROR(it->status());
  if (!it->Valid()) return std::optional<std::string>();
  return std::optional<std::string>(std::string(it->key()));
}

// One dead version: its members, then its record. Returns the units done.
Result<std::uint64_t> ReclaimVersion(KeyspaceState& state, std::string_view record,
                                     std::uint64_t budget) {
  const std::uint64_t version = enc::ReadBe64(record.substr(1));
  const std::string prefix = enc::MemberPrefix(version);
  LARDER_ASSIGN_OR_RETURN(std::uint64_t n,
                          state.DeleteRange(prefix, enc::PrefixEnd(prefix), budget));
  if (n < budget) {
    LARDER_RETURN_IF_ERROR(state.Delete(record));
    ++n;
  }
  return n;
}

// One dead physical database: its keys (and their members), its expiry index, its count,
// then its record. Returns the units done.
Result<std::uint64_t> ReclaimDb(KeyspaceState& state, std::string_view record,
                                std::uint64_t budget) {
  const std::uint32_t pdb = enc::ReadBe32(record.substr(1));
  std::uint64_t done = 0;
  const std::string meta = enc::MetaPrefix(pdb);
  std::vector<std::pair<std::string, std::string>> keys;  // meta record key, value
  {
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<kv::Iterator> it,
                            state.Range(meta, enc::PrefixEnd(meta)));
    for (it->SeekToFirst(); it->Valid() && keys.size() < budget; it->Next()) {
      keys.emplace_back(it->key(), it->value());
    }
    LARDER_RETURN_IF_ERROR(it->status());
  }
  for (const auto& [key, value] : keys) {
    Meta m;
    if (!enc::DecodeMeta(value, &m)) return Status::Corruption("larderd data: bad meta record");
    // With its expiry entry, members and count: every step leaves the records consistent.
    LARDER_RETURN_IF_ERROR(
        state.RemoveKey(pdb, std::string_view(key).substr(enc::kMetaPrefixSize), m));
    ++done;
  }
  if (done == budget) return done;
  const std::string expiry = enc::ExpiryPrefix(pdb);
  LARDER_ASSIGN_OR_RETURN(std::uint64_t n,
                          state.DeleteRange(expiry, enc::PrefixEnd(expiry), budget - done));
  done += n;
  if (done == budget) return done;
  state.ForgetCount(pdb);
  LARDER_RETURN_IF_ERROR(state.Delete(record));
  return done + 1;
}

}  // namespace

Result<std::uint64_t> ReclaimStep(KeyspaceState& state, std::uint64_t budget) {
  std::uint64_t done = 0;
  for (char tag : {enc::kGarbageTag, enc::kDeadDbTag}) {
    const std::string lower(1, tag);
    const std::string upper = enc::PrefixEnd(lower);
    while (done < budget) {
      LARDER_ASSIGN_OR_RETURN(std::optional<std::string> record, FirstKey(state, lower, upper));
      if (!record) break;
      Result<std::uint64_t> n = tag == enc::kGarbageTag
                                    ? ReclaimVersion(state, *record, budget - done)
                                    : ReclaimDb(state, *record, budget - done);
      LARDER_RETURN_IF_ERROR(n.status());
      done += *n;
    }
  }
  return done;
}

}  // namespace larder::server
