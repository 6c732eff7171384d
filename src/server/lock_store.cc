#include "server/lock_store.h"

#include <fmt/format.h>

#include "base/coding.h"
#include "server/key_encoding.h"

namespace larder::server {
namespace {

constexpr std::string_view kFencingRecord = "lock:fencing";
constexpr std::string_view kHolderPrefix = "lock:h:";
constexpr char kHolderVersion = 1;

std::string HolderRecord(std::string_view name) {
  std::string r(kHolderPrefix);
  r += name;
  return r;
}

std::uint64_t AsU64(std::int64_t v) { return static_cast<std::uint64_t>(v); }

}  // namespace

std::string EncodeHolder(const LockHolder& h) {
  std::string out(1, kHolderVersion);
  PutVarint64(&out, h.fencing);
  PutVarint64(&out, h.client_id);
  PutVarint64(&out, AsU64(h.acquired_ms));
  PutVarint64(&out, AsU64(h.lease_until_ms));
  PutVarint64(&out, AsU64(h.lease_ms + 1));
  PutLengthPrefixed(&out, h.token);
  out += h.owner;
  return out;
}

bool DecodeHolder(std::string_view bytes, LockHolder* h) {
  if (bytes.empty() || bytes[0] != kHolderVersion) return false;
  bytes.remove_prefix(1);
  std::uint64_t acquired, until, lease;
  std::string_view token;
  if (!GetVarint64(&bytes, &h->fencing) || !GetVarint64(&bytes, &h->client_id) ||
      !GetVarint64(&bytes, &acquired) || !GetVarint64(&bytes, &until) ||
      !GetVarint64(&bytes, &lease) || !GetLengthPrefixed(&bytes, &token)) {
    return false;
  }
  h->acquired_ms = static_cast<std::int64_t>(acquired);
  h->lease_until_ms = static_cast<std::int64_t>(until);
  h->lease_ms = static_cast<std::int64_t>(lease) - 1;
  h->token = token;
  h->owner = bytes;
  return h->fencing != 0;
}

Status StoreGrant(Keyspace& keyspace, std::string_view name, const LockHolder& h,
                  std::uint64_t last_fencing) {
  LARDER_RETURN_IF_ERROR(keyspace.PutSystemRecord(kFencingRecord, enc::Be64(last_fencing)));
  return StoreHolder(keyspace, name, h);
}

Status StoreHolder(Keyspace& keyspace, std::string_view name, const LockHolder& h) {
  return keyspace.PutSystemRecord(HolderRecord(name), EncodeHolder(h));
}

Status StoreRelease(Keyspace& keyspace, std::string_view name) {
  return keyspace.DeleteSystemRecord(HolderRecord(name));
}

Result<StoredLocks> LoadLocks(Keyspace& keyspace) {
  StoredLocks out;
  Result<std::optional<std::string>> read = keyspace.GetSystemRecord(kFencingRecord);
  // A keyspace without service records (a test's fake) stores nothing: nothing to load.
  if (!read.ok() && read.status().code() == Code::kNotSupported) return out;
  LARDER_ASSIGN_OR_RETURN(std::optional<std::string> fencing, std::move(read));
  if (fencing) {
    if (fencing->size() != 8) return Status::Corruption("lock:fencing record is not 8 bytes");
    out.last_fencing = enc::ReadBe64(*fencing);
  }
  LARDER_ASSIGN_OR_RETURN(auto records, keyspace.ScanSystemRecords(kHolderPrefix));
  for (auto& [record, value] : records) {
    LockHolder h;
    if (!DecodeHolder(value, &h)) {
      return Status::Corruption(fmt::format("bad lock holder record '{}'", record));
    }
    out.holders.emplace_back(record.substr(kHolderPrefix.size()), std::move(h));
  }
  return out;
}

}  // namespace larder::server
