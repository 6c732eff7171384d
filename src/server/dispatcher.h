// The dispatcher: from a parsed command to its reply. Every path that runs a command goes
// through here (the I/O threads' batches, EXEC's queued commands).
//
// Thread-safety: REQUIRES the server's execution lock held and the keyspace's batch open
// (keyspace.h); the client's [E] state is read and written under that lock.
#ifndef LARDER_SERVER_DISPATCHER_H_
#define LARDER_SERVER_DISPATCHER_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace larder::server {

class Client;
class Server;
struct CommandMemo;
struct CommandSpec;

// Runs one command of `client` as a client sent it: lookup (unknown command), arity,
// authentication (NOAUTH when requirepass is set), the RESP2 subscribed-mode restriction, MULTI
// queueing (inside MULTI a command without kCmdMultiControl is queued and answered +QUEUED, one
// with kCmdNoMulti refused; a rejected one flags the transaction, a rejected EXEC discards it with
// EXECABORT), refusal of writes once the server is poisoned, then the
// handler; command stats, the slow log, the services' OnCommand hooks (MONITOR). The reply goes
// to the client's output (Deliver), unless CLIENT REPLY OFF/SKIP drops it. After a command that
// ran (not one rejected or queued), serves the blocked clients its writes made ready
// (BlockingService::ServeReadyClients; blocking.h).
void DispatchCommand(Server& server, Client& client, std::span<const std::string_view> argv,
                     std::int64_t now_ms);

// Runs an already accepted command's handler for EXEC (no MULTI queueing, no auth check), the
// reply appended to *out in the client's protocol; stats, slow log and OnCommand as above.
// `spec` is the command or subcommand resolved by ResolveCommand. The handler runs with
// ctx.may_block = false (a blocking command replies as on a timeout), and serves nobody.
void ExecuteResolved(Server& server, Client& client, const CommandSpec& spec,
                     std::span<const std::string_view> argv, std::int64_t now_ms, std::string* out);

// A blocked command's re-run (BlockingService's serving): as ExecuteResolved, but in database
// `db` (where it blocked), with ctx.may_block = true, without the OnCommand hooks (MONITOR saw
// it when it arrived); stats count it unless it blocks again.
void ExecuteBlocked(Server& server, Client& client, const CommandSpec& spec,
                    std::span<const std::string_view> argv, int db, std::int64_t now_ms,
                    std::string* out);

// Looks up argv[0] (and argv[1] for containers) and checks arity. Returns the spec, or null
// with *error set to the Redis error reply text (unknown command / subcommand, wrong arity).
// *full_name receives "get" or "config|get". When the command exists but its arity is wrong,
// *known (if given) receives its spec (commandstats counts the rejection). `memo` (if given):
// the calling client's, for CommandTable::Find.
const CommandSpec* ResolveCommand(const Server& server, std::span<const std::string_view> argv,
                                  std::string* error, std::string* full_name,
                                  const CommandSpec** known = nullptr, CommandMemo* memo = nullptr);

}  // namespace larder::server

#endif  // LARDER_SERVER_DISPATCHER_H_
