#include "server/access_times.h"

#include <functional>

#include "server/command.h"

namespace larder::server {
namespace {

// Commands Redis runs on a key without updating its access time (LOOKUP_NOTOUCH).
bool LeavesAccessTime(std::string_view full_name) {
  for (std::string_view name : {"ttl", "pttl", "expiretime", "pexpiretime", "type", "exists"}) {
    if (full_name == name) return true;
  }
  return full_name.starts_with("object|");
}

}  // namespace

KeyAccessTimes::KeyAccessTimes(Server& server) : KeyAccessTimes(server.start_time_ms()) {}

KeyAccessTimes::KeyAccessTimes(std::int64_t start_ms) : start_ms_(start_ms), slots_(kSlots) {}

std::uint64_t KeyAccessTimes::Hash(int db, std::string_view key) {
  const std::uint64_t h = std::hash<std::string_view>{}(key);
  return h ^ (static_cast<std::uint64_t>(db) * 0x9e3779b97f4a7c15ull);
}

void KeyAccessTimes::Record(int db, std::string_view key, std::int64_t now_ms) {
  const std::uint64_t h = Hash(db, key);
  Slot& slot = slots_[h % kSlots];
  const std::uint32_t fingerprint = static_cast<std::uint32_t>(h >> 32) | 1u;
  // Two clocks may record one access (a handler's command clock, then OnCommand's): keep the
  // later time of the same key.
  if (slot.fingerprint == fingerprint && slot.ms > now_ms) return;
  slot.fingerprint = fingerprint;
  slot.ms = now_ms;
}

std::int64_t KeyAccessTimes::LastAccessBound(int db, std::string_view key) const {
  const std::uint64_t h = Hash(db, key);
  const Slot& slot = slots_[h % kSlots];
  return slot.fingerprint == 0 ? start_ms_ : slot.ms;
}

void KeyAccessTimes::OnCommand(const CommandRecord& record) {
  const CommandSpec* spec = record.spec;
  if (spec == nullptr || record.outcome == CommandRecord::Outcome::kRejected) return;
  if (spec->first_key <= 0 || spec->key_step <= 0 || LeavesAccessTime(record.full_name)) return;
  const int argc = static_cast<int>(record.argv.size());
  const int last = spec->last_key < 0 ? argc + spec->last_key : spec->last_key;
  const std::int64_t now_ms = record.start_us / 1000;
  for (int i = spec->first_key; i <= last && i < argc; i += spec->key_step) {
    Record(record.db, record.argv[static_cast<std::size_t>(i)], now_ms);
  }
}

}  // namespace larder::server
