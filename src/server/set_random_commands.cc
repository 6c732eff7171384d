// SPOP and SRANDMEMBER, with Redis 7.0's replies (SPOP with a count: a RESP3 set; SRANDMEMBER
// with a count: an array, repeats allowed for a negative count), errors and keyspace events.
// Picks come from sets::Sampler (set_store.h): uniformly random ranks through the set's
// in-memory rank index, so a big set is never read whole for a pick.
#include <random>
#include <string>
#include <vector>

#include "server/args.h"
#include "server/keyspace_events.h"
#include "server/reply_builder.h"
#include "server/set_commands.h"
#include "server/set_store.h"

namespace larder::server {
namespace {

std::mt19937_64& SetRandom() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

// Removes the popped members and reports the events Redis 7.0 sends: "spop", then "del" when
// the set is gone.
Status RemovePopped(CommandContext& ctx, KeyInfo* info, const std::vector<std::string>& members) {
  const std::vector<std::string_view> views(members.begin(), members.end());
  LARDER_ASSIGN_OR_RETURN(std::int64_t removed, sets::Remove(ctx.db, ctx.argv[1], info, views));
  if (static_cast<std::size_t>(removed) != members.size()) {
    return Status::Corruption("SPOP: a sampled member was not in the set");
  }
  NotifyKeyspaceEvent(ctx, kNotifySet, "spop", ctx.argv[1]);
  if (info->size == 0) NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", ctx.argv[1]);
  return Status::Ok();
}

// SPOP key [count]
Status SPopCommand(CommandContext& ctx) {
  if (ctx.argv.size() > 3) {
    ctx.reply.Error(errors::kSyntax);
    return Status::Ok();
  }
  const bool with_count = ctx.argv.size() == 3;
  std::uint64_t count = 1;
  if (with_count) {
    const std::optional<std::int64_t> parsed = ParseInt64(ctx.argv[2]);
    if (!parsed || *parsed < 0) {
      ctx.reply.Error("ERR value is out of range, must be positive");
      return Status::Ok();
    }
    count = static_cast<std::uint64_t>(*parsed);
  }
  bool replied;
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info,
                          LookupSet(ctx, ctx.argv[1], /*write=*/true, &replied));
  if (replied) return Status::Ok();
  if (!info || count == 0) {
    if (with_count) {
      ctx.reply.SetHeader(0);
    } else {
      ctx.reply.Null();
    }
    return Status::Ok();
  }
  sets::Sampler sampler(ctx.db, *info, SetRandom());
  std::vector<std::string> popped;
  if (with_count && count >= info->size) {
    LARDER_ASSIGN_OR_RETURN(popped, sets::All(ctx.db, *info));
  } else {
    LARDER_ASSIGN_OR_RETURN(popped, sampler.Distinct(count));
  }
  if (popped.empty()) return Status::Corruption("SPOP: no member sampled from a non-empty set");
  LARDER_RETURN_IF_ERROR(RemovePopped(ctx, &*info, popped));
  if (with_count) {
    ReplyMemberSet(ctx, popped);
  } else {
    ctx.reply.Bulk(popped[0]);
  }
  return Status::Ok();
}

// SRANDMEMBER key [count]
Status SRandMemberCommand(CommandContext& ctx) {
  if (ctx.argv.size() > 3) {
    ctx.reply.Error(errors::kSyntax);
    return Status::Ok();
  }
  const bool with_count = ctx.argv.size() == 3;
  std::int64_t count = 1;
  if (with_count) {
    if (const std::optional<std::string_view> error = ParseRandomCount(ctx.argv[2], &count)) {
      ctx.reply.Error(*error);
      return Status::Ok();
    }
  }
  bool replied;
  LARDER_ASSIGN_OR_RETURN(std::optional<KeyInfo> info,
                          LookupSet(ctx, ctx.argv[1], /*write=*/false, &replied));
  if (replied) return Status::Ok();
  if (!info || count == 0) {
    if (with_count) {
      ctx.reply.ArrayHeader(0);
    } else {
      ctx.reply.Null();
    }
    return Status::Ok();
  }
  if (count < -kMaxRandomCount) {
    ctx.reply.Error("ERR value is out of range");
    return Status::Ok();
  }
  sets::Sampler sampler(ctx.db, *info, SetRandom());
  std::vector<std::string> picks;
  if (count < 0) {
    LARDER_ASSIGN_OR_RETURN(picks, sampler.WithRepeats(static_cast<std::uint64_t>(-count)));
  } else {
    LARDER_ASSIGN_OR_RETURN(picks, sampler.Distinct(static_cast<std::uint64_t>(count)));
  }
  if (picks.empty()) return Status::Corruption("SRANDMEMBER: no member sampled from a set");
  if (!with_count) {
    ctx.reply.Bulk(picks[0]);
    return Status::Ok();
  }
  ctx.reply.BulkArray(std::span<const std::string>(picks));
  return Status::Ok();
}

}  // namespace

void RegisterSetRandomCommands(CommandTable& table) {
  table.Add(CommandSpec{"spop",
                        -2,
                        kCmdWriteFast,
                        1,
                        1,
                        1,
                        SPopCommand,
                        "set",
                        "Remove and return random members of a set",
                        "1.0.0",
                        {}});
  table.Add(CommandSpec{"srandmember",
                        -2,
                        kCmdReadOnly,
                        1,
                        1,
                        1,
                        SRandMemberCommand,
                        "set",
                        "Random members of a set",
                        "1.0.0",
                        {}});
}

}  // namespace larder::server
