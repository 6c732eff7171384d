#include "server/keyspace_events.h"

namespace larder::server {

namespace {

struct ClassLetter {
  char letter;
  std::uint32_t flag;
};

// Canonical order of CONFIG GET's reply (after "A" when every class of A is on).
constexpr ClassLetter kLetters[] = {
    {'g', kNotifyGeneric},  {'$', kNotifyString},  {'l', kNotifyList},    {'s', kNotifySet},
    {'h', kNotifyHash},     {'z', kNotifyZSet},    {'x', kNotifyExpired}, {'e', kNotifyEvicted},
    {'t', kNotifyStream},   {'m', kNotifyKeyMiss}, {'n', kNotifyNew},     {'K', kNotifyKeyspace},
    {'E', kNotifyKeyevent},
};

}  // namespace

std::optional<std::uint32_t> ParseNotifyClasses(std::string_view letters) {
  std::uint32_t flags = 0;
  for (char c : letters) {
    if (c == 'A') {
      flags |= kNotifyAll;
      continue;
    }
    bool known = false;
    for (const ClassLetter& l : kLetters) {
      if (l.letter == c) {
        flags |= l.flag;
        known = true;
      }
    }
    if (!known) return std::nullopt;
  }
  return flags;
}

std::string NotifyClassesToString(std::uint32_t flags) {
  std::string out;
  if ((flags & kNotifyAll) == kNotifyAll) {
    out += 'A';
    flags &= ~static_cast<std::uint32_t>(kNotifyAll);
  }
  for (const ClassLetter& l : kLetters) {
    if ((flags & l.flag) != 0) out += l.letter;
  }
  return out;
}

// Publishing is not wired yet: notify-keyspace-events accepts only "" (config.cc).
void NotifyKeyspaceEvent(CommandContext& ctx, std::uint32_t cls, std::string_view event,
                         std::string_view key, int db) {
  (void)ctx;
  (void)cls;
  (void)event;
  (void)key;
  (void)db;
}

void NotifyKeyspaceEvent(CommandContext& ctx, std::uint32_t cls, std::string_view event,
                         std::string_view key) {
  NotifyKeyspaceEvent(ctx, cls, event, key, -1);
}

}  // namespace larder::server
