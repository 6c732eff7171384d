// SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH and PUBSUB (pubsub.h's registry).
//
// Replies as Redis 7.0: one subscribe/unsubscribe frame per channel or pattern, each with the
// client's subscription count after it (RESP2 arrays; RESP3 pushes). In RESP2 a client with a
// subscription is in subscribed mode, where the dispatcher allows only the commands flagged
// kCmdSubscribedOk; in RESP3 every command works while subscribed.
#include <string>
#include <string_view>
#include <vector>

#include "server/args.h"
#include "server/client.h"
#include "server/command.h"
#include "server/monitor.h"
#include "server/pubsub.h"
#include "server/reply_builder.h"
#include "server/transaction.h"

namespace larder::server {
namespace {

PubSubRegistry& Registry(CommandContext& ctx) {
  return ctx.server.Service<PubSubService>().registry();
}

// One subscribe/unsubscribe frame. It is a push, not a reply (in RESP2 too, as Redis 7.0):
// delivered at once, so CLIENT REPLY OFF or SKIP does not silence it; inside EXEC it stays in
// EXEC's reply.
void Frame(CommandContext& ctx, std::string_view kind, std::optional<std::string_view> name) {
  const auto count = static_cast<std::int64_t>(ctx.client.subscription_count());
  if (!ctx.server.Service<TransactionService>().InsideExec(ctx.client)) {
    std::string push;
    AppendSubscriptionFrame(&push, ctx.reply.protocol(), kind, name, count);
    ctx.server.DeliverTo(ctx.client, push, ctx.now_ms);
    return;
  }
  AppendSubscriptionFrame(ctx.reply.buffer(), ctx.reply.protocol(), kind, name, count);
}

// SUBSCRIBE and PSUBSCRIBE: one frame per argument, subscribed already or not.
Status SubscribeTo(CommandContext& ctx, std::string_view kind,
                   bool (PubSubRegistry::*add)(Client&, std::string_view)) {
  PubSubRegistry& reg = Registry(ctx);
  for (std::size_t i = 1; i < ctx.argv.size(); ++i) {
    (reg.*add)(ctx.client, ctx.argv[i]);
    Frame(ctx, kind, ctx.argv[i]);
  }
  return Status::Ok();
}

Status SubscribeCommand(CommandContext& ctx) {
  return SubscribeTo(ctx, "subscribe", &PubSubRegistry::Subscribe);
}

Status PSubscribeCommand(CommandContext& ctx) {
  return SubscribeTo(ctx, "psubscribe", &PubSubRegistry::PSubscribe);
}

// UNSUBSCRIBE and PUNSUBSCRIBE: the named ones (each answered, subscribed or not), or without
// arguments every current one (a single frame with a null name when there is none).
Status UnsubscribeFrom(CommandContext& ctx, std::string_view kind, std::set<std::string>& current,
                       bool (PubSubRegistry::*remove)(Client&, std::string_view)) {
  PubSubRegistry& reg = Registry(ctx);
  if (ctx.argv.size() > 1) {
    for (std::size_t i = 1; i < ctx.argv.size(); ++i) {
      (reg.*remove)(ctx.client, ctx.argv[i]);
      Frame(ctx, kind, ctx.argv[i]);
    }
    return Status::Ok();
  }
  if (current.empty()) {
    Frame(ctx, kind, std::nullopt);
    return Status::Ok();
  }
  const std::vector<std::string> names(current.begin(), current.end());
  for (const std::string& name : names) {
    (reg.*remove)(ctx.client, name);
    Frame(ctx, kind, name);
  }
  return Status::Ok();
}

Status UnsubscribeCommand(CommandContext& ctx) {
  return UnsubscribeFrom(ctx, "unsubscribe", ctx.client.channels, &PubSubRegistry::Unsubscribe);
}

Status PUnsubscribeCommand(CommandContext& ctx) {
  return UnsubscribeFrom(ctx, "punsubscribe", ctx.client.patterns, &PubSubRegistry::PUnsubscribe);
}

Status PublishCommand(CommandContext& ctx) {
  const std::size_t receivers =
      ctx.server.Service<PubSubService>().Publish(ctx.argv[1], ctx.argv[2], ctx.now_ms);
  ctx.reply.Integer(static_cast<std::int64_t>(receivers));
  return Status::Ok();
}

Status PubSubChannelsCommand(CommandContext& ctx) {
  if (ctx.argv.size() > 3) {
    ctx.reply.Error(
        "ERR unknown subcommand or wrong number of arguments for 'channels'. Try PUBSUB HELP.");
    return Status::Ok();
  }
  std::optional<std::string_view> pattern;
  if (ctx.argv.size() == 3) pattern = ctx.argv[2];
  ctx.reply.BulkArray(std::span<const std::string>(Registry(ctx).Channels(pattern)));
  return Status::Ok();
}

Status PubSubNumSubCommand(CommandContext& ctx) {
  const PubSubRegistry& reg = Registry(ctx);
  ctx.reply.ArrayHeader((ctx.argv.size() - 2) * 2);
  for (std::size_t i = 2; i < ctx.argv.size(); ++i) {
    ctx.reply.Bulk(ctx.argv[i]);
    ctx.reply.Integer(static_cast<std::int64_t>(reg.NumSub(ctx.argv[i])));
  }
  return Status::Ok();
}

Status PubSubNumPatCommand(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<std::int64_t>(Registry(ctx).NumPat()));
  return Status::Ok();
}

Status PubSubHelpCommand(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "PUBSUB <subcommand> [<arg> ...]. Subcommands are:",
      "CHANNELS [<pattern>]",
      "    The channels with at least one subscriber, those matching <pattern> if given.",
      "NUMPAT",
      "    The number of distinct patterns clients are subscribed to.",
      "NUMSUB [<channel> ...]",
      "    Each channel with its number of subscribers (pattern subscriptions not counted).",
      "HELP",
      "    This text.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (std::string_view line : kLines) ctx.reply.SimpleString(line);
  return Status::Ok();
}

constexpr std::uint32_t kSubFlags =
    kCmdPubSub | kCmdNoScript | kCmdLoading | kCmdStale | kCmdSubscribedOk;
constexpr std::uint32_t kIntrospect = kCmdPubSub | kCmdLoading | kCmdStale;

}  // namespace

void RegisterPubSubCommands(CommandTable& table) {
  table.Add({"subscribe",
             -2,
             kSubFlags,
             0,
             0,
             0,
             SubscribeCommand,
             "pubsub",
             "Listens for messages published to channels.",
             "2.0.0",
             {}});
  table.Add({"unsubscribe",
             -1,
             kSubFlags,
             0,
             0,
             0,
             UnsubscribeCommand,
             "pubsub",
             "Stops listening to messages posted to channels.",
             "2.0.0",
             {}});
  table.Add({"psubscribe",
             -2,
             kSubFlags,
             0,
             0,
             0,
             PSubscribeCommand,
             "pubsub",
             "Listens for messages published to channels that match one or more patterns.",
             "2.0.0",
             {}});
  table.Add({"punsubscribe",
             -1,
             kSubFlags,
             0,
             0,
             0,
             PUnsubscribeCommand,
             "pubsub",
             "Stops listening to messages published to channels that match one or more patterns.",
             "2.0.0",
             {}});
  table.Add({"publish",
             3,
             kIntrospect | kCmdFast,
             0,
             0,
             0,
             PublishCommand,
             "pubsub",
             "Posts a message to a channel.",
             "2.0.0",
             {}});
  table.Add({"pubsub",
             -2,
             0,
             0,
             0,
             0,
             nullptr,
             "pubsub",
             "A container for Pub/Sub commands.",
             "2.8.0",
             {
                 {"channels",
                  -2,
                  kIntrospect,
                  0,
                  0,
                  0,
                  PubSubChannelsCommand,
                  "pubsub",
                  "Returns the active channels.",
                  "2.8.0",
                  {}},
                 {"numsub",
                  -2,
                  kIntrospect,
                  0,
                  0,
                  0,
                  PubSubNumSubCommand,
                  "pubsub",
                  "Returns a count of subscribers to channels.",
                  "2.8.0",
                  {}},
                 {"numpat",
                  2,
                  kIntrospect,
                  0,
                  0,
                  0,
                  PubSubNumPatCommand,
                  "pubsub",
                  "Returns a count of unique pattern subscriptions.",
                  "2.8.0",
                  {}},
                 {"help",
                  2,
                  kCmdLoading | kCmdStale,
                  0,
                  0,
                  0,
                  PubSubHelpCommand,
                  "pubsub",
                  "Returns helpful text about the different subcommands.",
                  "6.2.0",
                  {}},
             }});
  RegisterMonitorCommand(table);
}

}  // namespace larder::server
