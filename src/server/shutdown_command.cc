// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE]: stops the server cleanly (see Server::Run): accepting
// stops, the commands in flight finish, the keyspace is checkpointed and closed by larderd's
// main. The data is always kept, so NOSAVE and SAVE behave alike. As Redis, no reply on success:
// the connection closes.
#include "server/args.h"
#include "server/client.h"
#include "server/connection_commands.h"
#include "server/reply_builder.h"
#include "server/server.h"

namespace larder::server {

namespace {

Status Shutdown(CommandContext& ctx) {
  for (std::size_t i = 1; i < ctx.argv.size(); ++i) {
    const std::string_view opt = ctx.argv[i];
    if (EqualsIgnoreCase(opt, "abort")) {
      ctx.reply.Error("ERR No shutdown in progress.");
      return Status::Ok();
    }
    if (!EqualsIgnoreCase(opt, "nosave") && !EqualsIgnoreCase(opt, "save") &&
        !EqualsIgnoreCase(opt, "now") && !EqualsIgnoreCase(opt, "force")) {
      ctx.reply.Error(errors::kSyntax);
      return Status::Ok();
    }
  }
  ctx.server.RequestShutdown();
  ctx.client.close_after_reply = true;
  return Status::Ok();
}

}  // namespace

CommandSpec MakeShutdownCommand() {
  return CommandSpec{
      "shutdown", -1,       kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale | kCmdNoMulti,
      0,          0,        0,
      Shutdown,   "server", "Synchronously saves the database(s) to disk and shuts down the server",
      "1.0.0",    {}};
}

}  // namespace larder::server
