// Commands larderd answers only so that Redis tooling works against it: the Redis test suite in
// external-server mode sends FUNCTION FLUSH before every server block (tests/support/server.tcl)
// and stops the whole unit when it fails. larderd has no functions (no scripting), so flushing
// them is a no-op that succeeds, which is what Redis answers when none are loaded. MEMORY USAGE
// (the hash unit calls it outside any test) answers a plausible estimate: the data is on disk,
// so there is no per-key allocation to measure.
#include "server/command.h"

#include <cstdint>
#include <optional>
#include <utility>

#include "larder/result.h"
#include "server/args.h"
#include "server/keyspace.h"
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

// MEMORY USAGE key [SAMPLES count]: nil for a missing key, else an estimate in bytes of what
// Redis would hold for it (its key, its value or members, and per-object overhead).
Status MemoryUsage(CommandContext& ctx) {
  if (ctx.argv.size() == 5 && EqualsIgnoreCase(ctx.argv[3], "samples")) {
    if (!ParseInt64(ctx.argv[4]).has_value()) {
      ctx.reply.Error(errors::kNotInteger);
      return Status::Ok();
    }
  } else if (ctx.argv.size() != 3) {
    ctx.reply.Error(errors::kSyntax);
    return Status::Ok();
  }
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info, ctx.db.Lookup(ctx.argv[2]));
  if (!info) {
    ctx.reply.Null();
    return Status::Ok();
  }
  constexpr std::uint64_t kObjectOverhead = 56;  // a dict entry, an object header, an sds header
  constexpr std::uint64_t kMemberOverhead = 32;  // per hash field: an entry and two sds headers
  std::uint64_t bytes = kObjectOverhead + ctx.argv[2].size();
  bytes += info->type == ValueType::kString ? info->size : info->size * kMemberOverhead;
  ctx.reply.Integer(static_cast<std::int64_t>(bytes));
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

  CommandSpec memory{.name = "memory",
                     .arity = -2,
                     .flags = 0,
                     .first_key = 0,
                     .last_key = 0,
                     .key_step = 0,
                     .handler = nullptr,
                     .group = "server",
                     .summary = "A container for memory diagnostics commands (only USAGE)",
                     .since = "4.0.0",
                     .subcommands = {}};
  memory.subcommands.push_back(CommandSpec{.name = "usage",
                                           .arity = -3,
                                           .flags = kCmdReadOnly,
                                           .first_key = 2,
                                           .last_key = 2,
                                           .key_step = 1,
                                           .handler = &MemoryUsage,
                                           .group = "server",
                                           .summary = "Estimate the memory usage of a key",
                                           .since = "4.0.0",
                                           .subcommands = {}});
  table.Add(std::move(memory));
}

}  // namespace larder::server
