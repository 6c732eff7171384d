// Helpers shared by the string and bitmap command files (string_commands.cc, counter_commands.cc,
// lcs.cc, bit_commands.cc, bitfield.cc), and the registration functions those files export to
// RegisterStringCommands / RegisterBitCommands.
//
// Thread-safety: as every command handler: called with the execution lock held, inside a batch.
#ifndef LARDER_SERVER_STRING_FAMILY_H_
#define LARDER_SERVER_STRING_FAMILY_H_

#include <atomic>
#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "larder/result.h"
#include "server/args.h"
#include "server/command.h"
#include "server/keyspace.h"
#include "server/keyspace_events.h"
#include "server/server.h"

namespace larder::server {

// What a key holds, seen by a string command.
enum class StringState { kMissing, kString, kWrongType };

struct StringRead {
  StringState state = StringState::kMissing;
  std::string value;              // the value when state == kString
  std::int64_t expire_at_ms = 0;  // the key's expiry (any type); 0 = none
};

// Looks `key` up in `db`, reading the value when it is a string.
inline Result<StringRead> ReadString(Database& db, std::string_view key) {
  StringRead read;
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info, db.Lookup(key, &read.value));
  if (!info) return read;
  read.expire_at_ms = info->expire_at_ms;
  read.state = info->type == ValueType::kString ? StringState::kString : StringState::kWrongType;
  if (read.state != StringState::kString) read.value.clear();
  return read;
}

// Options for SetString overwriting the key `read` came from (INCR, APPEND, SETRANGE, SETBIT...):
// keeps the key's expiry, and passes on what the read found, so SetString does not read it again.
// REQUIRES: no write to the key since `read` (which was not kWrongType).
inline SetStringOptions OverwriteOf(const StringRead& read) {
  assert(read.state != StringState::kWrongType);
  SetStringOptions options;
  options.keep_ttl = true;
  options.prior = read.state == StringState::kString ? SetStringOptions::Prior::kString
                                                     : SetStringOptions::Prior::kMissing;
  options.prior_expire_at_ms = read.expire_at_ms;
  return options;
}

// Counts a read command's lookup in INFO's keyspace_hits / keyspace_misses, as Redis's
// lookupKeyRead does (a key of another type is a hit). Write commands' lookups do not count.
inline void CountRead(CommandContext& ctx, bool found) {
  ServerStats& stats = ctx.server.stats();
  (found ? stats.keyspace_hits : stats.keyspace_misses).fetch_add(1, std::memory_order_relaxed);
}
// The same, and a miss is also a "keymiss" keyspace event on `key` (as Redis's lookupKeyRead).
inline void CountRead(CommandContext& ctx, std::string_view key, bool found) {
  CountRead(ctx, found);
  if (!found) NotifyKeyspaceEvent(ctx, kNotifyKeyMiss, "keymiss", key);
}

// ReadString for a read command: counts the hit or miss too.
inline Result<StringRead> ReadStringCounted(CommandContext& ctx, std::string_view key) {
  LARDER_ASSIGN_OR_RETURN(StringRead read, ReadString(ctx.db, key));
  CountRead(ctx, key, read.state != StringState::kMissing);
  return read;
}

// The largest string a command may build: the server's proto-max-bulk-len (512 MB by default).
inline std::uint64_t MaxStringLength(const CommandContext& ctx) {
  return ctx.server.config()->proto_max_bulk_len;
}

// True when a string of `size` bytes grown by `append` bytes stays within MaxStringLength
// (Redis's checkStringLength); overflow of the sum counts as too long.
inline bool StringLengthOk(const CommandContext& ctx, std::uint64_t size, std::uint64_t append) {
  std::uint64_t total = size + append;
  return total >= size && total <= MaxStringLength(ctx);
}

// Bit `i` of a string, bit 0 being the most significant bit of byte 0 (Redis's bit order);
// bits past the end read as 0.
inline bool BitAt(std::string_view s, std::uint64_t i) {
  std::uint64_t byte = i >> 3;
  if (byte >= s.size()) return false;
  return (static_cast<unsigned char>(s[byte]) >> (7 - (i & 7))) & 1u;
}
// REQUIRES: (i >> 3) < s->size().
inline void SetBitAt(std::string* s, std::uint64_t i, bool on) {
  auto mask = static_cast<unsigned char>(0x80u >> (i & 7));
  auto& byte = reinterpret_cast<unsigned char&>((*s)[i >> 3]);
  byte = on ? (byte | mask) : (byte & ~mask);
}

inline constexpr std::string_view kBitOffsetError =
    "ERR bit offset is not an integer or out of range";

// A bit offset argument as Redis parses it: a non-negative integer whose byte (offset / 8) is
// below MaxStringLength. With hash_bits > 0 (BITFIELD), "#n" means n * hash_bits. nullopt when
// invalid (the caller replies kBitOffsetError).
inline std::optional<std::uint64_t> ParseBitOffset(const CommandContext& ctx, std::string_view s,
                                                   int hash_bits = 0) {
  bool hashed = hash_bits > 0 && !s.empty() && s[0] == '#';
  std::optional<std::int64_t> v = ParseInt64(hashed ? s.substr(1) : s);
  if (!v) return std::nullopt;
  std::int64_t offset = *v;
  if (hashed && __builtin_mul_overflow(offset, std::int64_t{hash_bits}, &offset)) {
    return std::nullopt;
  }
  if (offset < 0 || static_cast<std::uint64_t>(offset >> 3) >= MaxStringLength(ctx)) {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(offset);
}

// A command spec of the "string" or "bitmap" group (no subcommands).
inline CommandSpec FamilySpec(std::string_view group, std::string_view name, int arity,
                              std::uint32_t flags, int first_key, int last_key, int key_step,
                              CommandHandler handler, std::string_view summary,
                              std::string_view since) {
  return CommandSpec{name,    arity, flags,   first_key, last_key, key_step,
                     handler, group, summary, since,     {}};
}

// Registration of the parts of the families kept in their own files.
void RegisterCounterCommands(CommandTable& table);   // INCR DECR INCRBY DECRBY INCRBYFLOAT
void RegisterLcsCommand(CommandTable& table);        // LCS
void RegisterBitfieldCommands(CommandTable& table);  // BITFIELD BITFIELD_RO

}  // namespace larder::server

#endif  // LARDER_SERVER_STRING_FAMILY_H_
