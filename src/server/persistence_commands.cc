// SAVE, BGSAVE [SCHEDULE], LASTSAVE. In larderd every checkpoint is a save (docs/server.md,
// "Durability"): SAVE checkpoints now, synced; BGSAVE checkpoints, then copies the engine file
// online into <dir>/backup.db (a checked bolt file, replaced atomically); LASTSAVE is the unix
// time of the last checkpoint. Replies and errors are Redis 7.0's.
#include "server/args.h"
#include "server/command.h"
#include "server/keyspace.h"
#include "server/reply_builder.h"

namespace larder::server {
namespace {

constexpr std::string_view kBgsaveRunning = "ERR Background save already in progress";

Status Save(CommandContext& ctx) {
  const Status s = ctx.keyspace.Save();
  if (s.code() == Code::kBusy) {
    ctx.reply.Error(kBgsaveRunning);
    return Status::Ok();
  }
  LARDER_RETURN_IF_ERROR(s);
  ctx.reply.Ok();
  return Status::Ok();
}

Status Bgsave(CommandContext& ctx) {
  if (ctx.argv.size() > 2 || (ctx.argv.size() == 2 && !EqualsIgnoreCase(ctx.argv[1], "schedule"))) {
    ctx.reply.Error(errors::kSyntax);
    return Status::Ok();
  }
  // SCHEDULE only matters while another kind of background job runs (Redis: an AOF rewrite);
  // larderd has none, so it starts at once or meets the BGSAVE already running.
  const Status s = ctx.keyspace.BackgroundSave();
  if (s.code() == Code::kBusy) {
    ctx.reply.Error(kBgsaveRunning);
    return Status::Ok();
  }
  LARDER_RETURN_IF_ERROR(s);
  ctx.reply.SimpleString("Background saving started");
  return Status::Ok();
}

Status Lastsave(CommandContext& ctx) {
  ctx.reply.Integer(ctx.keyspace.stats().last_save_unix);
  return Status::Ok();
}

}  // namespace

void RegisterPersistenceCommands(CommandTable& table) {
  table.Add({"save",
             1,
             kCmdAdmin | kCmdNoScript | kCmdNoMulti,
             0,
             0,
             0,
             Save,
             "server",
             "Synchronously saves the database(s) to disk",
             "1.0.0",
             {}});
  table.Add({"bgsave",
             -1,
             kCmdAdmin | kCmdNoScript,
             0,
             0,
             0,
             Bgsave,
             "server",
             "Asynchronously saves the database(s) to disk",
             "1.0.0",
             {}});
  table.Add({"lastsave",
             1,
             kCmdLoading | kCmdStale | kCmdFast,
             0,
             0,
             0,
             Lastsave,
             "server",
             "Returns the Unix timestamp of the last successful save to disk",
             "1.0.0",
             {}});
}

}  // namespace larder::server
