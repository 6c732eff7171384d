// COMMAND [COUNT | INFO | DOCS | LIST | GETKEYS | HELP]: the command table as Redis 7.0 reports it
// (clients and redis-cli read it: COMMAND DOCS for help and hints, COMMAND INFO for key
// positions). larderd reports the legacy key positions and no key specs or tips.
#include <string>
#include <vector>

#include "server/args.h"
#include "server/key_specs.h"
#include "server/movable_keys.h"
#include "server/reply_builder.h"
#include "server/server.h"
#include "server/server_commands.h"

namespace larder::server {
namespace {

struct FlagName {
  CommandFlag flag;
  std::string_view name;
};
constexpr FlagName kFlagNames[] = {
    {kCmdWrite, "write"},
    {kCmdReadOnly, "readonly"},
    {kCmdDenyOom, "denyoom"},
    {kCmdAdmin, "admin"},
    {kCmdPubSub, "pubsub"},
    {kCmdNoScript, "noscript"},
    {kCmdBlocking, "blocking"},
    {kCmdLoading, "loading"},
    {kCmdStale, "stale"},
    {kCmdSkipMonitor, "skip_monitor"},
    {kCmdSkipSlowlog, "skip_slowlog"},
    {kCmdFast, "fast"},
    {kCmdNoAuth, "no_auth"},
    {kCmdNoMulti, "no_multi"},
};

std::vector<std::string_view> FlagNames(std::uint32_t flags) {
  std::vector<std::string_view> out;
  for (const FlagName& f : kFlagNames) {
    if ((flags & f.flag) != 0) out.push_back(f.name);
  }
  return out;
}

// ACL categories as Redis derives them: read/write, the group's category, fast/slow, and
// admin/dangerous for administrative commands.
std::vector<std::string> AclCategories(const CommandSpec& spec) {
  std::vector<std::string> out;
  if ((spec.flags & kCmdWrite) != 0) out.push_back("@write");
  if ((spec.flags & kCmdReadOnly) != 0) out.push_back("@read");
  static const std::pair<std::string_view, std::string_view> kGroups[] = {
      {"string", "@string"},
      {"hash", "@hash"},
      {"generic", "@keyspace"},
      {"connection", "@connection"},
      {"pubsub", "@pubsub"},
      {"transactions", "@transaction"},
      {"bitmap", "@bitmap"},
      {"list", "@list"},
      {"set", "@set"},
      {"sorted_set", "@sortedset"},
      {"hyperloglog", "@hyperloglog"},
      {"geo", "@geo"},
      {"scripting", "@scripting"}};
  for (const auto& [group, category] : kGroups) {
    if (spec.group == group) out.emplace_back(category);
  }
  out.push_back((spec.flags & kCmdFast) != 0 ? "@fast" : "@slow");
  if ((spec.flags & kCmdAdmin) != 0) {
    out.push_back("@admin");
    out.push_back("@dangerous");
  }
  if ((spec.flags & kCmdBlocking) != 0) out.push_back("@blocking");
  return out;
}

std::string FullName(const CommandSpec* container, const CommandSpec& spec) {
  return container == nullptr ? std::string(spec.name)
                              : std::string(container->name) + "|" + std::string(spec.name);
}

// One COMMAND INFO entry: name, arity, flags, first key, last key, step, ACL categories, tips,
// key specs, subcommands.
void ReplyCommandInfo(ReplyBuilder& r, const CommandSpec& spec, const CommandSpec* container) {
  r.ArrayHeader(10);
  r.Bulk(FullName(container, spec));
  r.Integer(spec.arity);
  const std::vector<std::string_view> flags = FlagNames(spec.flags);
  r.SetHeader(flags.size());
  for (std::string_view f : flags) r.SimpleString(f);
  r.Integer(spec.first_key);
  r.Integer(spec.last_key);
  r.Integer(spec.key_step);
  const std::vector<std::string> categories = AclCategories(spec);
  r.SetHeader(categories.size());
  for (const std::string& c : categories) r.SimpleString(c);
  r.ArrayHeader(0);  // tips
  r.ArrayHeader(0);  // key specs
  r.ArrayHeader(spec.subcommands.size());
  for (const CommandSpec& sub : spec.subcommands) ReplyCommandInfo(r, sub, &spec);
}

// One COMMAND DOCS value: summary, since, group, and the subcommands' docs by full name.
void ReplyCommandDocs(ReplyBuilder& r, const CommandSpec& spec, const CommandSpec* container) {
  r.MapHeader(spec.subcommands.empty() ? 3 : 4);
  r.Bulk("summary");
  r.Bulk(spec.summary);
  r.Bulk("since");
  r.Bulk(spec.since);
  r.Bulk("group");
  r.Bulk(spec.group);
  if (spec.subcommands.empty()) return;
  r.Bulk("subcommands");
  r.MapHeader(spec.subcommands.size());
  for (const CommandSpec& sub : spec.subcommands) {
    r.Bulk(FullName(&spec, sub));
    ReplyCommandDocs(r, sub, &spec);
  }
}

// A command by name, or a subcommand by its full name ("config|get", setting *container);
// null when unknown.
const CommandSpec* FindByFullName(const CommandTable& table, std::string_view name,
                                  const CommandSpec** container) {
  *container = nullptr;
  const std::size_t bar = name.find('|');
  if (bar == std::string_view::npos) return table.Find(name);
  const CommandSpec* parent = table.Find(name.substr(0, bar));
  if (parent == nullptr) return nullptr;
  const CommandSpec* sub = CommandTable::FindSubcommand(*parent, name.substr(bar + 1));
  if (sub != nullptr) *container = parent;
  return sub;
}

// COMMAND INFO [name ...]: every command without names; a null for an unknown name.
Status CommandInfo(CommandContext& ctx) {
  const CommandTable& table = ctx.server.commands();
  if (ctx.argv.size() == 2) {
    ctx.reply.ArrayHeader(table.all().size());
    for (const CommandSpec& spec : table.all()) ReplyCommandInfo(ctx.reply, spec, nullptr);
    return Status::Ok();
  }
  ctx.reply.ArrayHeader(ctx.argv.size() - 2);
  for (std::size_t i = 2; i < ctx.argv.size(); ++i) {
    const CommandSpec* container = nullptr;
    const CommandSpec* spec = FindByFullName(table, ctx.argv[i], &container);
    if (spec == nullptr) {
      ctx.reply.NullArray();
    } else {
      ReplyCommandInfo(ctx.reply, *spec, container);
    }
  }
  return Status::Ok();
}

// COMMAND DOCS [name ...]: a map by name; unknown names are left out.
Status CommandDocs(CommandContext& ctx) {
  const CommandTable& table = ctx.server.commands();
  const std::size_t at = ctx.reply.BeginDeferredMap();
  std::size_t pairs = 0;
  auto add = [&](const CommandSpec& spec, const CommandSpec* container) {
    ctx.reply.Bulk(FullName(container, spec));
    ReplyCommandDocs(ctx.reply, spec, container);
    ++pairs;
  };
  if (ctx.argv.size() == 2) {
    for (const CommandSpec& spec : table.all()) add(spec, nullptr);
  } else {
    for (std::size_t i = 2; i < ctx.argv.size(); ++i) {
      const CommandSpec* container = nullptr;
      if (const CommandSpec* spec = FindByFullName(table, ctx.argv[i], &container)) {
        add(*spec, container);
      }
    }
  }
  ctx.reply.EndDeferredMap(at, pairs);
  return Status::Ok();
}

Status CommandCount(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<std::int64_t>(ctx.server.commands().all().size()));
  return Status::Ok();
}

// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]: every command and
// subcommand name ("config|get").
Status CommandList(CommandContext& ctx) {
  enum class Filter { kNone, kModule, kAclCat, kPattern } filter = Filter::kNone;
  std::string_view value;
  if (ctx.argv.size() != 2) {
    if (ctx.argv.size() != 5 || !EqualsIgnoreCase(ctx.argv[2], "filterby")) {
      ctx.reply.Error(errors::kSyntax);
      return Status::Ok();
    }
    value = ctx.argv[4];
    if (EqualsIgnoreCase(ctx.argv[3], "module")) {
      filter = Filter::kModule;
    } else if (EqualsIgnoreCase(ctx.argv[3], "aclcat")) {
      filter = Filter::kAclCat;
    } else if (EqualsIgnoreCase(ctx.argv[3], "pattern")) {
      filter = Filter::kPattern;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return Status::Ok();
    }
  }
  auto keep = [&](const CommandSpec& spec, const std::string& name) {
    switch (filter) {
      case Filter::kNone:
        return true;
      case Filter::kModule:
        return false;  // no modules
      case Filter::kPattern:
        return GlobMatch(value, name, /*nocase=*/true);
      case Filter::kAclCat:
        for (const std::string& c : AclCategories(spec)) {
          if (EqualsIgnoreCase(std::string_view(c).substr(1), value)) return true;
        }
        return false;
    }
    return false;
  };
  const std::size_t at = ctx.reply.BeginDeferredArray();
  std::size_t n = 0;
  for (const CommandSpec& spec : ctx.server.commands().all()) {
    if (keep(spec, std::string(spec.name))) {
      ctx.reply.Bulk(spec.name);
      ++n;
    }
    for (const CommandSpec& sub : spec.subcommands) {
      const std::string name = FullName(&spec, sub);
      if (keep(sub, name)) {
        ctx.reply.Bulk(name);
        ++n;
      }
    }
  }
  ctx.reply.EndDeferredArray(at, n);
  return Status::Ok();
}

// The key arguments of the command in argv[2...], by its legacy key positions. Replies the error
// and returns null when there are none to give.
const CommandSpec* FindKeys(CommandContext& ctx, std::vector<std::string_view>* keys) {
  const std::span<const std::string_view> target = ctx.argv.subspan(2);
  const CommandSpec* spec = ctx.server.commands().Find(target[0]);
  if (spec == nullptr) {
    ctx.reply.Error("ERR Invalid command specified");
    return nullptr;
  }
  if (!spec->subcommands.empty() && target.size() >= 2) {
    if (const CommandSpec* sub = CommandTable::FindSubcommand(*spec, target[1])) spec = sub;
  }
  const std::int64_t argc = static_cast<std::int64_t>(target.size());
  if ((spec->arity > 0 && spec->arity != argc) || argc < -spec->arity) {
    ctx.reply.Error("ERR Invalid number of arguments specified for command");
    return nullptr;
  }
  if (std::optional<std::vector<std::string_view>> movable = MovableKeys(target)) {
    if (movable->empty()) {
      ctx.reply.Error("ERR Invalid arguments specified for command");
      return nullptr;
    }
    *keys = std::move(*movable);
    return spec;
  }
  if (spec->first_key <= 0) {
    ctx.reply.Error("ERR The command has no key arguments");
    return nullptr;
  }
  const std::int64_t last = spec->last_key < 0 ? argc + spec->last_key : spec->last_key;
  const std::int64_t step = spec->key_step > 0 ? spec->key_step : 1;
  for (std::int64_t i = spec->first_key; i <= last && i < argc; i += step) {
    keys->push_back(target[static_cast<std::size_t>(i)]);
  }
  return spec;
}

// COMMAND GETKEYS command arg...
Status CommandGetKeys(CommandContext& ctx) {
  std::vector<std::string_view> keys;
  if (FindKeys(ctx, &keys) != nullptr) ctx.reply.BulkArray(std::span<const std::string_view>(keys));
  return Status::Ok();
}

// COMMAND GETKEYSANDFLAGS command arg...: each key with Redis's key-spec flags (key_specs.h).
Status CommandGetKeysAndFlags(CommandContext& ctx) {
  std::vector<std::string_view> keys;
  const CommandSpec* spec = FindKeys(ctx, &keys);
  if (spec == nullptr) return Status::Ok();
  const std::span<const std::string_view> target = ctx.argv.subspan(2);
  std::string full_name = ToLower(target[0]);
  if (spec->name != full_name) {  // a subcommand's keys
    full_name.push_back('|');
    full_name.append(ToLower(target[1]));
  }
  ctx.reply.ArrayHeader(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    std::vector<std::string_view> flags;
    for (std::string_view rest = KeyFlags(*spec, full_name, target, i); !rest.empty();) {
      const std::size_t space = rest.find(' ');
      flags.push_back(rest.substr(0, space));
      rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    }
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(keys[i]);
    ctx.reply.SetHeader(flags.size());
    for (std::string_view f : flags) ctx.reply.SimpleString(f);
  }
  return Status::Ok();
}

Status CommandHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "(no subcommand)",
      "    Return details about all commands.",
      "COUNT",
      "    Return the total number of commands in this server.",
      "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
      "    Return a list of all commands in this server.",
      "INFO [<command-name> ...]",
      "    Return details about multiple commands.",
      "    If no command names are given, documentation details for all",
      "    commands are returned.",
      "DOCS [<command-name> ...]",
      "    Return documentation details about multiple commands.",
      "    If no command names are given, documentation details for all",
      "    commands are returned.",
      "GETKEYS <full-command>",
      "    Return the keys from a full command.",
      "GETKEYSANDFLAGS <full-command>",
      "    Return the keys and the access flags from a full command.",
  };
  ReplyHelp(ctx.reply, "COMMAND", kLines);
  return Status::Ok();
}

CommandSpec Spec(std::string_view name, int arity, CommandHandler handler, std::string_view summary,
                 std::string_view since) {
  return ServerSpec(name, arity, kCmdLoading | kCmdStale, handler, summary, since);
}

const CommandSpec& CommandContainer();

// COMMAND with no argument lists every command; with one, the container's subcommands run here
// (the dispatcher hands the whole command to a container that has a handler of its own).
Status CommandRoot(CommandContext& ctx) {
  if (ctx.argv.size() == 1) {
    const CommandTable& table = ctx.server.commands();
    ctx.reply.ArrayHeader(table.all().size());
    for (const CommandSpec& spec : table.all()) ReplyCommandInfo(ctx.reply, spec, nullptr);
    return Status::Ok();
  }
  const CommandSpec* sub = CommandTable::FindSubcommand(CommandContainer(), ctx.argv[1]);
  if (sub == nullptr) {
    ctx.reply.Error(UnknownSubcommandError(ctx.argv[0], ctx.argv[1]));
    return Status::Ok();
  }
  const std::size_t argc = ctx.argv.size();
  if (sub->arity > 0 ? argc != static_cast<std::size_t>(sub->arity)
                     : argc < static_cast<std::size_t>(-sub->arity)) {
    ctx.reply.Error(WrongArityError("command|" + ToLower(sub->name)));
    return Status::Ok();
  }
  return sub->handler(ctx);
}

const CommandSpec& CommandContainer() {
  static const CommandSpec container = [] {
    CommandSpec command =
        Spec("command", -1, CommandRoot, "Get array of Redis command details", "2.8.13");
    command.subcommands = {
        Spec("count", 2, CommandCount, "Get total number of Redis commands", "2.8.13"),
        Spec("docs", -2, CommandDocs, "Get array of specific Redis command documentation", "7.0.0"),
        Spec("getkeys", -4, CommandGetKeys, "Extract keys given a full Redis command", "2.8.13"),
        Spec("getkeysandflags", -4, CommandGetKeysAndFlags,
             "Extract keys and access flags given a full Redis command", "7.0.0"),
        Spec("info", -2, CommandInfo,
             "Get array of specific Redis command details, or all when no argument is given",
             "2.8.13"),
        Spec("list", -2, CommandList, "Get an array of Redis command names", "7.0.0"),
        Spec("help", 2, CommandHelp, "Show helpful text about the different subcommands", "5.0.0"),
    };
    return command;
  }();
  return container;
}

}  // namespace

CommandSpec MakeCommandCommand() { return CommandContainer(); }

}  // namespace larder::server
