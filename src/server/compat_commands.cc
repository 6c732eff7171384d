// Commands larderd answers only so that Redis tooling works against it: the Redis test suite in
// external-server mode sends FUNCTION FLUSH before every server block (tests/support/server.tcl)
// and stops the whole unit when it fails. larderd has no functions (no scripting), so flushing
// them is a no-op that succeeds, which is what Redis answers when none are loaded.
#include "server/command.h"

#include <utility>

#include "server/args.h"
#include "server/reply_builder.h"

namespace larder::server {
namespace {

// FUNCTION FLUSH [ASYNC|SYNC]
Status FunctionFlush(CommandContext& ctx) {
  if (ctx.argv.size() > 3) {
    ctx.reply.Error(errors::kSyntax);
  } else if (ctx.argv.size() == 3 && !EqualsIgnoreCase(ctx.argv[2], "async") &&
             !EqualsIgnoreCase(ctx.argv[2], "sync")) {
    ctx.reply.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
  } else {
    ctx.reply.Ok();
  }
  return Status::Ok();
}

}  // namespace

void RegisterCompatCommands(CommandTable& table) {
  CommandSpec function{.name = "function",
                       .arity = -2,
                       .flags = 0,
                       .first_key = 0,
                       .last_key = 0,
                       .key_step = 0,
                       .handler = nullptr,
                       .group = "scripting",
                       .summary =
                           "A container for function commands (only FLUSH: larderd has "
                           "no functions)",
                       .since = "7.0.0",
                       .subcommands = {}};
  function.subcommands.push_back(CommandSpec{.name = "flush",
                                             .arity = -2,
                                             .flags = kCmdWrite | kCmdNoScript,
                                             .first_key = 0,
                                             .last_key = 0,
                                             .key_step = 0,
                                             .handler = &FunctionFlush,
                                             .group = "scripting",
                                             .summary = "Deleting all functions (none exist)",
                                             .since = "7.0.0",
                                             .subcommands = {}});
  table.Add(std::move(function));
}

}  // namespace larder::server
