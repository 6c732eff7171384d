// Keyspace notifications (Redis's notify-keyspace-events): a command that changes a key
// publishes `__keyspace@<db>__:<key>` -> event and/or `__keyevent@<db>__:<event>` -> key on
// pub/sub, when the configured classes include the event's class.
//
// Every write command calls NotifyKeyspaceEvent once per event Redis 7.0 emits for it, with
// Redis's event names ("set", "del", "expire", "hset", "lpush", "zadd", "rename_from"...),
// after the change is made. The keyspace itself reports "expired" (a key met expired, or removed
// by the expiry cycle) and "new" (a key created, before the command's own event), through the
// server's KeyspaceEventPublisher (a KeyspaceObserver). Read commands report "keymiss" where
// they count a miss in INFO's keyspace_misses (key_commands.h LookupKey, string_family.h).
//
// Events reach subscribers at once, as PUBLISH's messages do: a subscriber may see the event of
// a write before that write is durable (appendfsync always), as it may see a PUBLISH.
//
// Thread-safety: everything here REQUIRES the execution lock (a command handler's context, the
// expiry cycle) except KeyspaceEventPublisher::set_flags and flags, which are atomic.
#ifndef LARDER_SERVER_KEYSPACE_EVENTS_H_
#define LARDER_SERVER_KEYSPACE_EVENTS_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "server/command.h"
#include "server/keyspace.h"

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
  kNotifyModule = 1u << 13,   // d: module events; accepted as in Redis, none exist here
  kNotifyAll = kNotifyGeneric | kNotifyString | kNotifyList | kNotifySet | kNotifyHash |
               kNotifyZSet | kNotifyExpired | kNotifyEvicted | kNotifyStream | kNotifyModule,  // A
};

// "KEA" -> flags; nullopt for an unknown letter (CONFIG SET's error, kNotifyClassesError).
std::optional<std::uint32_t> ParseNotifyClasses(std::string_view letters);
// Flags -> the canonical letters CONFIG GET shows, as Redis 7.0: "A" when every class of A is
// on (else the classes g$lshzxetdn in that order), then K, E, m ("AKE", "gKE", "" when off).
std::string NotifyClassesToString(std::uint32_t flags);
// Redis 7.0's reason for a bad notify-keyspace-events value.
inline constexpr std::string_view kNotifyClassesError =
    "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

class PubSubService;

// One per Server (Server::keyspace_events()): the configured classes, the publishing, and the
// keyspace's own events ("expired", "new") as a KeyspaceObserver the Server registers.
// Lifetime: created and registered by the Server's constructor, removed by its destructor; the
// PubSubService it publishes through is the same Server's (alive as long as the Server).
class KeyspaceEventPublisher final : public KeyspaceObserver {
 public:
  KeyspaceEventPublisher(PubSubService& pubsub, std::uint32_t flags)
      : pubsub_(pubsub), flags_(flags) {}

  // The notify-keyspace-events classes (thread-safe; CONFIG SET changes them).
  std::uint32_t flags() const { return flags_.load(std::memory_order_relaxed); }
  void set_flags(std::uint32_t flags) { flags_.store(flags, std::memory_order_relaxed); }
  // Whether an event of class `cls` would be published (cheap: callers may skip work).
  bool Enabled(std::uint32_t cls) const {
    const std::uint32_t f = flags();
    return (f & cls) != 0 && (f & (kNotifyKeyspace | kNotifyKeyevent)) != 0;
  }

  // Publishes `event` on `key` of database `db` when `cls` is configured. REQUIRES the
  // execution lock.
  void Publish(std::uint32_t cls, std::string_view event, std::string_view key, int db,
               std::int64_t now_ms);

  // KeyspaceObserver: "expired" and "new".
  void OnKeyModified(int, std::optional<std::string_view>) override {}
  void OnKeyExpired(int db, std::string_view key) override;
  void OnKeyCreated(int db, std::string_view key) override;

 private:
  PubSubService& pubsub_;
  std::atomic<std::uint32_t> flags_;
};

// Publishes the event when the server's configured classes include `cls` (a class letter
// above, not K/E). `db` is the logical database the key lives in.
void NotifyKeyspaceEvent(CommandContext& ctx, std::uint32_t cls, std::string_view event,
                         std::string_view key, int db);
// The common case: the client's selected database.
void NotifyKeyspaceEvent(CommandContext& ctx, std::uint32_t cls, std::string_view event,
                         std::string_view key);

}  // namespace larder::server

#endif  // LARDER_SERVER_KEYSPACE_EVENTS_H_
