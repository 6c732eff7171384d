// Commands larderd answers only so that Redis tooling works against it: the Redis test suite in
// external-server mode sends FUNCTION FLUSH before every server block (tests/support/server.tcl)
// and stops the whole unit when it fails. larderd has no functions (no scripting), so flushing
// them is a no-op that succeeds, which is what Redis answers when none are loaded. CLUSTER and
// its subcommands answer as a Redis with cluster-enabled no does (clients probe CLUSTER INFO to
// tell a cluster from a single server; COMMAND lists the subcommands).
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

// Every CLUSTER subcommand of a Redis without cluster support.
Status ClusterDisabled(CommandContext& ctx) {
  ctx.reply.Error("ERR This instance has cluster support disabled");
  return Status::Ok();
}

struct ClusterSub {
  std::string_view name;
  int arity;
  bool admin;
  std::string_view summary;
  std::string_view since;
};
// Redis 7.0's CLUSTER subcommands: names, arities and whether they are administrative.
constexpr ClusterSub kClusterSubs[] = {
    {"addslots", -3, true, "Assign new hash slots to receiving node", "3.0.0"},
    {"addslotsrange", -4, true, "Assign new hash slots to receiving node", "7.0.0"},
    {"bumpepoch", 2, true, "Advance the cluster config epoch", "3.0.0"},
    {"count-failure-reports", 3, true, "Return the number of failure reports for a node", "3.0.0"},
    {"countkeysinslot", 3, false, "Return the number of local keys in a hash slot", "3.0.0"},
    {"delslots", -3, true, "Set hash slots as unbound in receiving node", "3.0.0"},
    {"delslotsrange", -4, true, "Set hash slots as unbound in receiving node", "7.0.0"},
    {"failover", -2, true, "Force a replica to perform a manual failover of its master", "3.0.0"},
    {"flushslots", 2, true, "Delete a node's own slots information", "3.0.0"},
    {"forget", 3, true, "Remove a node from the nodes table", "3.0.0"},
    {"getkeysinslot", 4, false, "Return local key names in the specified hash slot", "3.0.0"},
    {"help", 2, false, "Show helpful text about the different subcommands", "5.0.0"},
    {"info", 2, false, "Provides info about Redis Cluster node state", "3.0.0"},
    {"keyslot", 3, false, "Returns the hash slot of the specified key", "3.0.0"},
    {"links", 2, false, "Returns a list of all TCP links to and from peer nodes", "7.0.0"},
    {"meet", -4, true, "Force a node cluster to handshake with another node", "3.0.0"},
    {"myid", 2, false, "Return the node id", "3.0.0"},
    {"nodes", 2, false, "Get Cluster config for the node", "3.0.0"},
    {"replicas", 3, true, "List replica nodes of the specified master node", "5.0.0"},
    {"replicate", 3, true, "Reconfigure a node as a replica of the specified master", "3.0.0"},
    {"reset", -2, true, "Reset a Redis Cluster node", "3.0.0"},
    {"saveconfig", 2, true, "Forces the node to save cluster state on disk", "3.0.0"},
    {"set-config-epoch", 3, true, "Set the configuration epoch in a new node", "3.0.0"},
    {"setslot", -4, true, "Bind a hash slot to a specific node", "3.0.0"},
    {"shards", 2, false, "Get array of cluster slots to node mappings", "7.0.0"},
    {"slaves", 3, true, "List replica nodes of the specified master node", "3.0.0"},
    {"slots", 2, false, "Get array of Cluster slot to node mappings", "3.0.0"},
};

// A keyless command or container of these families.
CommandSpec KeylessSpec(std::string_view name, int arity, std::uint32_t flags,
                        CommandHandler handler, std::string_view group, std::string_view summary,
                        std::string_view since) {
  return CommandSpec{.name = name,
                     .arity = arity,
                     .flags = flags,
                     .first_key = 0,
                     .last_key = 0,
                     .key_step = 0,
                     .handler = handler,
                     .group = group,
                     .summary = summary,
                     .since = since,
                     .subcommands = {}};
}

}  // namespace

void RegisterCompatCommands(CommandTable& table) {
  CommandSpec function = KeylessSpec(
      "function", -2, 0, nullptr, "scripting",
      "A container for function commands (only FLUSH: larderd has no functions)", "7.0.0");
  function.subcommands.push_back(KeylessSpec("flush", -2, kCmdWrite | kCmdNoScript, &FunctionFlush,
                                             "scripting", "Deleting all functions (none exist)",
                                             "7.0.0"));
  table.Add(std::move(function));

  CommandSpec cluster =
      KeylessSpec("cluster", -2, 0, nullptr, "cluster",
                  "A container for cluster commands (cluster support is disabled)", "3.0.0");
  for (const ClusterSub& sub : kClusterSubs) {
    cluster.subcommands.push_back(KeylessSpec(sub.name, sub.arity,
                                              kCmdStale | (sub.admin ? kCmdAdmin : 0u),
                                              &ClusterDisabled, "cluster", sub.summary, sub.since));
  }
  table.Add(std::move(cluster));
}

}  // namespace larder::server
