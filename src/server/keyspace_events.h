// Keyspace notifications (Redis's notify-keyspace-events): a command that changes a key
// publishes `__keyspace@<db>__:<key>` -> event and/or `__keyevent@<db>__:<event>` -> key on
// pub/sub, when the configured classes include the event's class.
//
// Every write command calls NotifyKeyspaceEvent once per event Redis 7.0 emits for it, with
// Redis's event names ("set", "del", "expire", "hset", "lpush", "zadd", "rename_from"...),
// after the change is made. The keyspace itself reports "expired" (KeyspaceObserver).
//
// Thread-safety: REQUIRES the execution lock (a command handler's context).
#ifndef LARDER_SERVER_KEYSPACE_EVENTS_H_
#define LARDER_SERVER_KEYSPACE_EVENTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "server/command.h"

namespace larder::server {

// Event classes, as the letters of notify-keyspace-events.
enum NotifyClass : std::uint32_t {
  kNotifyKeyspace = 1u << 0,  // K
  kNotifyKeyevent = 1u << 1,  // E
  kNotifyGeneric = 1u << 2,   // g: DEL EXPIRE RENAME ...
  kNotifyString = 1u << 3,    // $
  kNotifyList = 1u << 4,      // l
  kNotifySet = 1u << 5,       // s
  kNotifyHash = 1u << 6,      // h
  kNotifyZSet = 1u << 7,      // z
  kNotifyExpired = 1u << 8,   // x
  kNotifyEvicted = 1u << 9,   // e
  kNotifyStream = 1u << 10,   // t
  kNotifyKeyMiss = 1u << 11,  // m (not part of A)
  kNotifyNew = 1u << 12,      // n (not part of A)
  kNotifyAll = kNotifyGeneric | kNotifyString | kNotifyList | kNotifySet | kNotifyHash |
               kNotifyZSet | kNotifyExpired | kNotifyEvicted | kNotifyStream,  // A
};

// "KEA" -> flags; nullopt for an unknown letter (CONFIG SET's error).
std::optional<std::uint32_t> ParseNotifyClasses(std::string_view letters);
// Flags -> the canonical letters CONFIG GET shows ("AKE", "" when off).
std::string NotifyClassesToString(std::uint32_t flags);

// Publishes the event when the server's configured classes include `cls` (a class letter
// above, not K/E). `db` is the logical database the key lives in.
void NotifyKeyspaceEvent(CommandContext& ctx, std::uint32_t cls, std::string_view event,
                         std::string_view key, int db);
// The common case: the client's selected database.
void NotifyKeyspaceEvent(CommandContext& ctx, std::uint32_t cls, std::string_view event,
                         std::string_view key);

}  // namespace larder::server

#endif  // LARDER_SERVER_KEYSPACE_EVENTS_H_
