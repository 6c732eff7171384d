// The encoding of larderd's keyspace onto an ordered kv store (include/larder/kv.h). Every record
// lives in one kv keyspace; its first byte (the tag) says what it is. The exact bytes, the
// ordering and the invariants are written down in docs/formats/larderd.md; this file is the one
// place that builds and parses them.
//
//   m pdb(4) key                  -> meta: type, flags, [expire(8)], version, size | string value
//   c version(8) member           -> a collection member's value
//   x pdb(4) expire_at(8) key     -> "" (the expiry index, ordered by time within a database)
//   g version(8)                  -> "" (a dead collection version whose members remain)
//   d pdb(4)                      -> "" (a dead physical database whose records remain)
//   s name                        -> system records (database map, counters, checkpoint)
//
// Integers inside keys are big-endian so that they sort numerically; `pdb` is a physical
// database number (the logical SELECT index maps to one through the database map).
//
// Thread-safety: pure functions and values.
#ifndef LARDER_SERVER_KEY_ENCODING_H_
#define LARDER_SERVER_KEY_ENCODING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/keyspace.h"

namespace larder::server::enc {

inline constexpr char kMetaTag = 'm';
inline constexpr char kMemberTag = 'c';
inline constexpr char kExpiryTag = 'x';
inline constexpr char kGarbageTag = 'g';
inline constexpr char kDeadDbTag = 'd';
inline constexpr char kSystemTag = 's';

// The format's version, in the "s" "format" record; Open refuses other versions.
inline constexpr std::uint32_t kFormatVersion = 1;

// System record keys.
inline constexpr std::string_view kFormatKey = "sformat";        // be32 kFormatVersion
inline constexpr std::string_view kDbMapKey = "sdbmap";          // be32 pdb per logical db
inline constexpr std::string_view kNextPdbKey = "snextpdb";      // be32
inline constexpr std::string_view kNextVersionKey = "snextver";  // be64
// The log sequence the engine's commit holds: 8 bytes, little-endian (Durability's record).
inline constexpr std::string_view kCheckpointKey = "scheckpoint";
// "s:" name -> a server service's record (Keyspace::PutSystemRecord): the lock table.
inline constexpr std::string_view kServiceRecordPrefix = "s:";
// "s" "count" pdb(4) -> be64 be64: the number of meta records of physical database pdb, and
// of those with an expiry.
std::string CountKey(std::uint32_t pdb);

// Big-endian integers as bytes, and back (REQUIRES: enough bytes).
void AppendBe32(std::string* out, std::uint32_t v);
void AppendBe64(std::string* out, std::uint64_t v);
std::uint32_t ReadBe32(std::string_view in);
std::uint64_t ReadBe64(std::string_view in);
std::string Be32(std::uint32_t v);
std::string Be64(std::uint64_t v);

// "m" pdb: every meta record of physical database pdb starts with it.
std::string MetaPrefix(std::uint32_t pdb);
std::string MetaKey(std::uint32_t pdb, std::string_view key);
// Reuses *out's capacity.
void MetaKeyInto(std::uint32_t pdb, std::string_view key, std::string* out);
inline constexpr std::size_t kMetaPrefixSize = 5;

// "c" version: every member of collection version `version`.
std::string MemberPrefix(std::uint64_t version);
void MemberKeyInto(std::uint64_t version, std::string_view member, std::string* out);
inline constexpr std::size_t kMemberPrefixSize = 9;

std::string ExpiryPrefix(std::uint32_t pdb);
std::string ExpiryKey(std::uint32_t pdb, std::int64_t expire_at_ms, std::string_view key);
inline constexpr std::size_t kExpiryPrefixSize = 13;  // tag, pdb, time
// Splits an expiry record key (REQUIRES: it starts with ExpiryPrefix).
void ParseExpiryKey(std::string_view record, std::int64_t* expire_at_ms, std::string_view* key);

std::string GarbageKey(std::uint64_t version);
std::string DeadDbKey(std::uint32_t pdb);

// The first key after every key that starts with `prefix` (the exclusive upper bound of the
// prefix's range). REQUIRES: prefix has a byte below 0xff (every prefix here starts with a tag).
std::string PrefixEnd(std::string_view prefix);

// A key's metadata record.
struct Meta {
  ValueType type = ValueType::kString;
  std::int64_t expire_at_ms = 0;  // 0: none
  std::uint64_t version = 0;      // collections: the member prefix's version
  std::uint64_t size = 0;         // collections: members; strings: the value's length
  std::uint64_t aux = 0;          // collections: the type encoding's integer (lists: head)
  std::string_view value;         // strings: the value (a view into the decoded bytes)
  bool is_collection() const { return type != ValueType::kString; }
};

// type(1) flags(1) [expire_at be64 when flags & 1] then a string's value bytes, or a
// collection's version and size as varints, then aux as a varint when it is not 0.
void EncodeMeta(const Meta& meta, std::string* out);
// False when the bytes are not a meta record of this format.
bool DecodeMeta(std::string_view bytes, Meta* meta);

// The database map record: one be32 physical database per logical database.
std::string EncodeDbMap(const std::vector<std::uint32_t>& map);
bool DecodeDbMap(std::string_view bytes, std::vector<std::uint32_t>* map);

}  // namespace larder::server::enc

#endif  // LARDER_SERVER_KEY_ENCODING_H_
