#include "server/keyspace_events.h"

#include <algorithm>
#include <iterator>
#include <string>

#include "server/pubsub.h"
#include "server/server.h"

namespace larder::server {

namespace {

struct ClassLetter {
  char letter;
  std::uint32_t flag;
  bool always_shown;  // K, E, m: shown even after "A"
};

// Every letter but A, in CONFIG GET's order: the classes (shown when not all of A is on), then
// K, E, m.
constexpr ClassLetter kLetters[] = {
    {'g', kNotifyGeneric, false}, {'$', kNotifyString, false},  {'l', kNotifyList, false},
    {'s', kNotifySet, false},     {'h', kNotifyHash, false},    {'z', kNotifyZSet, false},
    {'x', kNotifyExpired, false}, {'e', kNotifyEvicted, false}, {'t', kNotifyStream, false},
    {'d', kNotifyModule, false},  {'n', kNotifyNew, false},     {'K', kNotifyKeyspace, true},
    {'E', kNotifyKeyevent, true}, {'m', kNotifyKeyMiss, true},
};

}  // namespace

std::optional<std::uint32_t> ParseNotifyClasses(std::string_view letters) {
  std::uint32_t flags = 0;
  for (char c : letters) {
    if (c == 'A') {
      flags |= kNotifyAll;
      continue;
    }
    const auto* l = std::find_if(std::begin(kLetters), std::end(kLetters),
                                 [c](const ClassLetter& x) { return x.letter == c; });
    if (l == std::end(kLetters)) return std::nullopt;
    flags |= l->flag;
  }
  return flags;
}

std::string NotifyClassesToString(std::uint32_t flags) {
  const bool all = (flags & kNotifyAll) == kNotifyAll;
  std::string out = all ? "A" : "";  // as Redis: after "A", n is not shown
  for (const ClassLetter& l : kLetters) {
    if ((flags & l.flag) != 0 && (l.always_shown || !all)) out += l.letter;
  }
  return out;
}

void KeyspaceEventPublisher::Publish(std::uint32_t cls, std::string_view event,
                                     std::string_view key, int db, std::int64_t now_ms) {
  const std::uint32_t f = flags();
  if ((f & cls) == 0) return;
  std::string prefix = "@";  // appended, not "@" + ...: GCC 12's -Wrestrict false positive
  prefix.append(std::to_string(db)).append("__:");
  std::string channel;
  if ((f & kNotifyKeyspace) != 0) {
    channel.reserve(16 + prefix.size() + key.size());
    channel.append("__keyspace").append(prefix).append(key);
    pubsub_.Publish(channel, event, now_ms);
  }
  if ((f & kNotifyKeyevent) != 0) {
    channel.clear();
    channel.append("__keyevent").append(prefix).append(event);
    pubsub_.Publish(channel, key, now_ms);
  }
}

void KeyspaceEventPublisher::OnKeyExpired(int db, std::string_view key) {
  Publish(kNotifyExpired, "expired", key, db, Server::NowMs());
}

void KeyspaceEventPublisher::OnKeyCreated(int db, std::string_view key) {
  Publish(kNotifyNew, "new", key, db, Server::NowMs());
}

void NotifyKeyspaceEvent(CommandContext& ctx, std::uint32_t cls, std::string_view event,
                         std::string_view key, int db) {
  ctx.server.keyspace_events().Publish(cls, event, key, db, ctx.now_ms);
}

void NotifyKeyspaceEvent(CommandContext& ctx, std::uint32_t cls, std::string_view event,
                         std::string_view key) {
  NotifyKeyspaceEvent(ctx, cls, event, key, ctx.db.index());
}

}  // namespace larder::server
