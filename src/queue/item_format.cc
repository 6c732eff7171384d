#include "queue/item_format.h"

#include "base/coding.h"
#include "larder/status.h"

namespace larder::queue {

namespace {

constexpr std::uint8_t kMetaVersion = 1;

Status Bad(std::string_view what) {
  return Status::Corruption("queue partition: bad " + std::string(what) + " record");
}

void PutNumber(std::string* out, std::uint64_t v) {
  std::uint8_t b[8];
  StoreBigEndianU64(b, v);
  out->append(reinterpret_cast<const char*>(b), 8);
}

bool GetSigned(std::string_view* in, std::int64_t* v) {
  std::uint64_t u = 0;
  if (!GetVarint64(in, &u)) return false;
  *v = static_cast<std::int64_t>(u);
  return true;
}

}  // namespace

std::string TagKey(char tag, std::uint64_t a) {
  std::string k(1, tag);
  PutNumber(&k, a);
  return k;
}

std::string TagKey(char tag, std::uint64_t a, std::uint64_t b) {
  std::string k = TagKey(tag, a);
  PutNumber(&k, b);
  return k;
}

std::string TagKey(char tag, std::string_view rest) {
  std::string k;
  k.reserve(1 + rest.size());
  k.push_back(tag);
  k.append(rest);
  return k;
}

std::string TagEnd(char tag) { return std::string(1, static_cast<char>(tag + 1)); }

std::optional<std::uint64_t> KeyNumber(std::string_view key, char tag, int index, int count) {
  if (key.size() != 1 + 8 * static_cast<std::size_t>(count) || key[0] != tag || index >= count) {
    return std::nullopt;
  }
  return LoadBigEndianU64(reinterpret_cast<const std::uint8_t*>(key.data()) + 1 + 8 * index);
}

std::string EncodeMeta(const PartitionMeta& m) {
  std::string v(1, static_cast<char>(kMetaVersion));
  for (std::uint64_t x :
       {m.next_seq, m.ready_head, m.ready, m.leased, m.scheduled, m.dead_lettered, m.outbox}) {
    PutVarint64(&v, x);
  }
  return v;
}

Result<PartitionMeta> DecodeMeta(std::string_view v) {
  if (v.empty() || static_cast<std::uint8_t>(v[0]) != kMetaVersion) return Bad("meta");
  v.remove_prefix(1);
  PartitionMeta m;
  for (std::uint64_t* x : {&m.next_seq, &m.ready_head, &m.ready, &m.leased, &m.scheduled,
                           &m.dead_lettered, &m.outbox}) {
    if (!GetVarint64(&v, x)) return Bad("meta");
  }
  if (!v.empty() || m.ready_head > m.next_seq) return Bad("meta");
  return m;
}

std::string EncodePayload(const PayloadRecord& r) {
  std::string v;
  v.reserve(24 + r.reference.size() + r.kind.size() + r.payload.size());
  PutVarint64(&v, static_cast<std::uint64_t>(r.created_ms));
  PutVarint64(&v, static_cast<std::uint64_t>(r.expires_ms));
  PutLengthPrefixed(&v, r.reference);
  PutLengthPrefixed(&v, r.kind);
  v.append(r.payload);
  return v;
}

Result<PayloadRecord> DecodePayload(std::string_view v) {
  PayloadRecord r;
  if (!GetSigned(&v, &r.created_ms) || !GetSigned(&v, &r.expires_ms) ||
      !GetLengthPrefixed(&v, &r.reference) || !GetLengthPrefixed(&v, &r.kind)) {
    return Bad("payload");
  }
  r.payload = v;
  return r;
}

std::string EncodeEntry(const EntryRecord& e) {
  std::string v;
  PutVarint64(&v, e.origin);
  PutVarint32(&v, e.attempts);
  PutVarint64(&v, static_cast<std::uint64_t>(e.time_ms));
  PutVarint64(&v, static_cast<std::uint64_t>(e.expires_ms));
  v.append(e.client);
  return v;
}

Result<EntryRecord> DecodeEntry(std::string_view v) {
  EntryRecord e;
  if (!GetVarint64(&v, &e.origin) || !GetVarint32(&v, &e.attempts) || !GetSigned(&v, &e.time_ms) ||
      !GetSigned(&v, &e.expires_ms)) {
    return Bad("entry");
  }
  e.client = v;
  return e;
}

}  // namespace larder::queue
