// MONITOR: every command the server executes, as one line per command to every client that sent
// MONITOR, in Redis 7.0's form:
//   +1339518083.107412 [0 127.0.0.1:60866] "keys" "*"
// (unix time with microseconds, the database and the client's address, each argument quoted
// with C-like escapes). Fed from the dispatcher's OnCommand hook after each command that ran
// (replies with errors included; commands rejected before running, queued inside MULTI, or
// flagged admin / skip-monitor are not shown); EXEC's queued commands appear before "exec".
// Passwords are redacted: every argument of AUTH, and the two after HELLO's AUTH.
//
// Lock rules: MonitorService's state REQUIRES the execution lock (the dispatcher's hook, the
// MONITOR command and the close path hold it); a monitor's Client* is dropped in
// OnClientClosed/OnClientReset before the client goes away.
#ifndef LARDER_SERVER_MONITOR_H_
#define LARDER_SERVER_MONITOR_H_

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "server/server.h"

namespace larder::server {

class CommandTable;

// One MONITOR line (with its CRLF).
std::string FormatMonitorLine(std::int64_t unix_us, int db, std::string_view addr,
                              std::span<const std::string_view> argv);
// Appends s in double quotes with Redis's escapes (\\ \" \n \r \t \a \b, \xhh for other bytes
// that are not printable ASCII).
void AppendQuoted(std::string* out, std::string_view s);

class MonitorService final : public ServerService {
 public:
  explicit MonitorService(Server& server) : server_(server) {}
  void Add(Client& client);
  bool empty() const { return monitors_.empty(); }

  void OnCommand(const CommandRecord& record) override;
  void OnClientClosed(Client& client) override;

 private:
  Server& server_;
  std::map<std::uint64_t, Client*> monitors_;  // by client id (see the lock rules)
};

// MONITOR itself (registered with the pub/sub family's commands).
void RegisterMonitorCommand(CommandTable& table);

}  // namespace larder::server

#endif  // LARDER_SERVER_MONITOR_H_
