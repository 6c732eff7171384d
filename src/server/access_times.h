// KeyAccessTimes: when each key was last read or written, approximately, for OBJECT IDLETIME.
//
// The data is on disk and access times are not worth a write, so the server keeps them in a
// fixed table of kSlots slots in memory (no allocation per key): a key hashes to one slot, which
// holds a fingerprint of the last key recorded there and the time. After every command, the
// keys it names (by its command table key positions) are recorded, except for commands that
// Redis runs without touching the key (TTL, PTTL, EXPIRETIME, PEXPIRETIME, TYPE, EXISTS, OBJECT,
// SCAN, KEYS).
//
// LastAccessBound(key) is never earlier than the key's real last access (recorded since this
// service was created): a slot holding another key's fingerprint was written after this key's
// last access (else this key would have overwritten it), and an empty slot means no recorded
// access since the server started. So `now - bound` is a lower bound of the idle time; it is
// exact while the key owns its slot. The service exists from the first TOUCH or OBJECT on;
// accesses before that count as made at the server's start.
//
// Thread-safety: created by Server::Service (thread-safe); every other call happens with the
// execution lock held (OnCommand is called under it, and so are command handlers), which
// guards the table.
#ifndef LARDER_SERVER_ACCESS_TIMES_H_
#define LARDER_SERVER_ACCESS_TIMES_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "server/server.h"

namespace larder::server {

class KeyAccessTimes : public ServerService {
 public:
  static constexpr std::size_t kSlots = std::size_t{1} << 16;

  explicit KeyAccessTimes(Server& server);
  // For tests: `start_ms` stands for the server's start time.
  explicit KeyAccessTimes(std::int64_t start_ms);

  void OnCommand(const CommandRecord& record) override;

  void Record(int db, std::string_view key, std::int64_t now_ms);
  // The latest time at which the key may have been read or written (see above).
  std::int64_t LastAccessBound(int db, std::string_view key) const;

 private:
  struct Slot {
    std::uint32_t fingerprint = 0;  // 0: empty
    std::int64_t ms = 0;
  };
  static std::uint64_t Hash(int db, std::string_view key);

  const std::int64_t start_ms_;
  std::vector<Slot> slots_;  // guarded by the execution lock
};

}  // namespace larder::server

#endif  // LARDER_SERVER_ACCESS_TIMES_H_
