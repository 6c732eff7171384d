#include "server/key_encoding.h"

#include <cassert>

#include "base/coding.h"

namespace larder::server::enc {

void AppendBe32(std::string* out, std::uint32_t v) {
  std::uint8_t b[4];
  StoreBigEndianU32(b, v);
  out->append(reinterpret_cast<const char*>(b), sizeof b);
}
void AppendBe64(std::string* out, std::uint64_t v) {
  std::uint8_t b[8];
  StoreBigEndianU64(b, v);
  out->append(reinterpret_cast<const char*>(b), sizeof b);
}
std::uint32_t ReadBe32(std::string_view in) {
  assert(in.size() >= 4);
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<std::uint8_t>(in[i]);
  return v;
}
std::uint64_t ReadBe64(std::string_view in) {
  assert(in.size() >= 8);
  return (std::uint64_t{ReadBe32(in)} << 32) | ReadBe32(in.substr(4));
}
std::string Be32(std::uint32_t v) {
  std::string s;
  AppendBe32(&s, v);
  return s;
}
std::string Be64(std::uint64_t v) {
  std::string s;
  AppendBe64(&s, v);
  return s;
}

std::string CountKey(std::uint32_t pdb) {
  std::string k = "scount";
  AppendBe32(&k, pdb);
  return k;
}

namespace {
std::string TagPdb(char tag, std::uint32_t pdb) {
  std::string k(1, tag);
  AppendBe32(&k, pdb);
  return k;
}
}  // namespace

std::string MetaPrefix(std::uint32_t pdb) { return TagPdb(kMetaTag, pdb); }
std::string MetaKey(std::uint32_t pdb, std::string_view key) {
  std::string k;
  MetaKeyInto(pdb, key, &k);
  return k;
}
void MetaKeyInto(std::uint32_t pdb, std::string_view key, std::string* out) {
  out->assign(1, kMetaTag);
  AppendBe32(out, pdb);
  out->append(key);
}

std::string MemberPrefix(std::uint64_t version) {
  std::string k(1, kMemberTag);
  AppendBe64(&k, version);
  return k;
}
void MemberKeyInto(std::uint64_t version, std::string_view member, std::string* out) {
  out->assign(1, kMemberTag);
  AppendBe64(out, version);
  out->append(member);
}

std::string ExpiryPrefix(std::uint32_t pdb) { return TagPdb(kExpiryTag, pdb); }
std::string ExpiryKey(std::uint32_t pdb, std::int64_t expire_at_ms, std::string_view key) {
  std::string k = TagPdb(kExpiryTag, pdb);
  AppendBe64(&k, static_cast<std::uint64_t>(expire_at_ms));
  k.append(key);
  return k;
}
void ParseExpiryKey(std::string_view record, std::int64_t* expire_at_ms, std::string_view* key) {
  *expire_at_ms = static_cast<std::int64_t>(ReadBe64(record.substr(5)));
  *key = record.substr(kExpiryPrefixSize);
}

std::string GarbageKey(std::uint64_t version) {
  std::string k(1, kGarbageTag);
  AppendBe64(&k, version);
  return k;
}
std::string DeadDbKey(std::uint32_t pdb) { return TagPdb(kDeadDbTag, pdb); }

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<std::uint8_t>(end.back()) == 0xff) end.pop_back();
  assert(!end.empty());
  end.back() = static_cast<char>(static_cast<std::uint8_t>(end.back()) + 1);
  return end;
}

namespace {
constexpr std::uint8_t kHasExpiry = 1;
}

void EncodeMeta(const Meta& meta, std::string* out) {
  out->clear();
  out->push_back(static_cast<char>(meta.type));
  out->push_back(static_cast<char>(meta.expire_at_ms != 0 ? kHasExpiry : 0));
  if (meta.expire_at_ms != 0) AppendBe64(out, static_cast<std::uint64_t>(meta.expire_at_ms));
  if (meta.is_collection()) {
    PutVarint64(out, meta.version);
    PutVarint64(out, meta.size);
    if (meta.aux != 0) PutVarint64(out, meta.aux);
  } else {
    out->append(meta.value);
  }
}

bool DecodeMeta(std::string_view bytes, Meta* meta) {
  if (bytes.size() < 2) return false;
  const auto type = static_cast<std::uint8_t>(bytes[0]);
  const auto flags = static_cast<std::uint8_t>(bytes[1]);
  if (type < static_cast<std::uint8_t>(ValueType::kString) ||
      type > static_cast<std::uint8_t>(ValueType::kStream) || (flags & ~kHasExpiry) != 0) {
    return false;
  }
  meta->type = static_cast<ValueType>(type);
  bytes.remove_prefix(2);
  meta->expire_at_ms = 0;
  if ((flags & kHasExpiry) != 0) {
    if (bytes.size() < 8) return false;
    meta->expire_at_ms = static_cast<std::int64_t>(ReadBe64(bytes));
    if (meta->expire_at_ms <= 0) return false;
    bytes.remove_prefix(8);
  }
  if (meta->is_collection()) {
    meta->value = {};
    meta->aux = 0;
    if (!GetVarint64(&bytes, &meta->version) || !GetVarint64(&bytes, &meta->size) ||
        meta->version == 0) {
      return false;
    }
    return bytes.empty() || (GetVarint64(&bytes, &meta->aux) && bytes.empty() && meta->aux != 0);
  }
  meta->version = 0;
  meta->aux = 0;
  meta->value = bytes;
  meta->size = bytes.size();
  return true;
}

std::string EncodeDbMap(const std::vector<std::uint32_t>& map) {
  std::string out;
  for (std::uint32_t pdb : map) AppendBe32(&out, pdb);
  return out;
}

bool DecodeDbMap(std::string_view bytes, std::vector<std::uint32_t>* map) {
  if (bytes.empty() || bytes.size() % 4 != 0) return false;
  map->clear();
  for (std::size_t i = 0; i < bytes.size(); i += 4) map->push_back(ReadBe32(bytes.substr(i)));
  return true;
}

}  // namespace larder::server::enc
