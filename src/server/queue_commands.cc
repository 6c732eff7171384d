// The durable queue's commands (docs/queue.md): QCREATE QUPDATE QDELETE QLIST QINFO QCLEAR
// QPRODUCE QLEASE QCOMPLETE QRETRY QSTATS QREBALANCE QBACKUP QRESTORE. Queues live outside the
// Redis keyspace (FLUSHALL does not touch them); their writes are made durable per appendfsync by
// QueueService.
#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "queue/placement.h"
#include "server/args.h"
#include "server/blocking.h"
#include "server/client.h"
#include "server/queue_service.h"
#include "server/reply_builder.h"

namespace larder::server {
namespace {

using queue::QueueManager;

constexpr std::int64_t kMaxMs = std::int64_t{1} << 50;

// The manager, or nullptr after replying why there is none (a bad layout, a store that failed).
QueueManager* Queues(CommandContext& ctx) {
  Result<QueueManager*> m = ctx.server.Service<QueueService>().Manager();
  if (!m.ok()) {
    ctx.reply.Error("ERR queues are unavailable: " + m.status().ToString());
    return nullptr;
  }
  return *m;
}

// A user error becomes its reply (OK returned); an engine error is returned (the dispatcher
// poisons the server).
Status Reply(CommandContext& ctx, const Status& s) {
  if (s.ok()) return s;
  if (!queue::IsUserError(s)) return s;
  ctx.reply.Error(fmt::format("ERR {}", s.message()));
  return Status::Ok();
}

std::optional<std::int64_t> Number(CommandContext& ctx, std::string_view arg, std::int64_t min,
                                   std::int64_t max) {
  std::optional<std::int64_t> v = ParseInt64(arg);
  if (!v || *v < min || *v > max) {
    ctx.reply.Error(errors::kNotInteger);
    return std::nullopt;
  }
  return v;
}

// QCREATE/QUPDATE options from argv[2..]; false after replying an error.
bool ParseQueueOptions(CommandContext& ctx, queue::QueueOptions* o) {
  const auto& a = ctx.argv;
  for (std::size_t i = 2; i < a.size(); i += 2) {
    if (i + 1 >= a.size()) {
      ctx.reply.Error(errors::kSyntax);
      return false;
    }
    const std::string_view opt = a[i], val = a[i + 1];
    std::optional<std::int64_t> n;
    if (EqualsIgnoreCase(opt, "PARTITIONS")) {
      if (!(n = Number(ctx, val, 1, queue::kMaxPartitions))) return false;
      o->partitions = static_cast<std::uint32_t>(*n);
    } else if (EqualsIgnoreCase(opt, "LEASE-TIMEOUT")) {
      if (!(n = Number(ctx, val, 1, kMaxMs))) return false;
      o->lease_timeout_ms = *n;
    } else if (EqualsIgnoreCase(opt, "EXPIRE-TIMEOUT")) {
      if (!(n = Number(ctx, val, 0, kMaxMs))) return false;
      o->expire_timeout_ms = *n;
    } else if (EqualsIgnoreCase(opt, "MAX-ATTEMPTS")) {
      if (!(n = Number(ctx, val, 0, UINT32_MAX))) return false;
      o->max_attempts = static_cast<std::uint32_t>(*n);
    } else if (EqualsIgnoreCase(opt, "DEAD-QUEUE")) {
      o->dead_queue = std::string(val);
    } else {
      ctx.reply.Error(errors::kSyntax);
      return false;
    }
  }
  return true;
}

Status CreateCommand(CommandContext& ctx) {
  queue::QueueOptions o;
  if (!ParseQueueOptions(ctx, &o)) return Status::Ok();
  QueueManager* m = Queues(ctx);
  if (m == nullptr) return Status::Ok();
  Status s = m->Create(ctx.argv[1], o, ctx.now_ms);
  if (s.ok()) ctx.reply.Ok();
  return Reply(ctx, s);
}

Status UpdateCommand(CommandContext& ctx) {
  queue::QueueOptions o;
  if (!ParseQueueOptions(ctx, &o)) return Status::Ok();
  QueueManager* m = Queues(ctx);
  if (m == nullptr) return Status::Ok();
  Status s = m->Update(ctx.argv[1], o);
  if (s.ok()) ctx.reply.Ok();
  return Reply(ctx, s);
}

Status DeleteCommand(CommandContext& ctx) {
  QueueManager* m = Queues(ctx);
  if (m == nullptr) return Status::Ok();
  Status s = m->Delete(ctx.argv[1]);
  if (s.ok()) ctx.reply.Ok();
  return Reply(ctx, s);
}

Status ListCommand(CommandContext& ctx) {
  QueueManager* m = Queues(ctx);
  if (m == nullptr) return Status::Ok();
  ctx.reply.BulkArray(m->List());
  return Status::Ok();
}

Status InfoCommand(CommandContext& ctx) {
  QueueManager* m = Queues(ctx);
  if (m == nullptr) return Status::Ok();
  Result<queue::QueueInfo> info = m->Info(ctx.argv[1]);
  if (!info.ok()) return Reply(ctx, info.status());
  ReplyBuilder& r = ctx.reply;
  r.MapHeader(8);
  r.Bulk("name");
  r.Bulk(info->name);
  r.Bulk("partitions");
  r.Integer(static_cast<std::int64_t>(info->partitions.size()));
  r.Bulk("lease-timeout");
  r.Integer(info->settings.lease_timeout_ms);
  r.Bulk("expire-timeout");
  r.Integer(info->settings.expire_timeout_ms);
  r.Bulk("max-attempts");
  r.Integer(info->settings.max_attempts);
  r.Bulk("dead-queue");
  r.Bulk(info->dead_queue);
  r.Bulk("created-ms");
  r.Integer(info->created_ms);
  r.Bulk("placement");
  r.ArrayHeader(info->partitions.size());
  for (std::size_t i = 0; i < info->partitions.size(); ++i) {
    r.MapHeader(3);
    r.Bulk("partition");
    r.Integer(static_cast<std::int64_t>(i));
    r.Bulk("location");
    r.Bulk(info->partitions[i].location);
    r.Bulk("dir");
    r.Bulk(info->partitions[i].dir);
  }
  return Status::Ok();
}

Status ClearCommand(CommandContext& ctx) {
  QueueManager* m = Queues(ctx);
  if (m == nullptr) return Status::Ok();
  Status s = m->Clear(ctx.argv[1]);
  if (s.ok()) ctx.reply.Ok();
  return Reply(ctx, s);
}

// QPRODUCE queue [DELAY ms | AT unix-ms] [REFERENCE text] [KIND text] payload [payload ...]
// Options are read in pairs while the next argument names one and a payload follows it.
Status ProduceCommand(CommandContext& ctx) {
  const auto& a = ctx.argv;
  queue::ProduceOptions o;
  std::size_t i = 2;
  while (i + 2 < a.size()) {
    const std::string_view opt = a[i], val = a[i + 1];
    std::optional<std::int64_t> n;
    if (EqualsIgnoreCase(opt, "DELAY")) {
      if (!(n = Number(ctx, val, 0, kMaxMs))) return Status::Ok();
      o.due_ms = ctx.now_ms + *n;
    } else if (EqualsIgnoreCase(opt, "AT")) {
      if (!(n = Number(ctx, val, 0, kMaxMs))) return Status::Ok();
      o.due_ms = *n;
    } else if (EqualsIgnoreCase(opt, "REFERENCE")) {
      o.reference = val;
    } else if (EqualsIgnoreCase(opt, "KIND")) {
      o.kind = val;
    } else {
      break;
    }
    i += 2;
  }
  QueueManager* m = Queues(ctx);
  if (m == nullptr) return Status::Ok();
  std::vector<std::string> ids;
  Status s = m->Produce(a[1], a.subspan(i), o, ctx.now_ms, &ids);
  if (!s.ok()) return Reply(ctx, s);
  ctx.server.Service<QueueService>().SignalReady(std::string(a[1]));
  ctx.reply.BulkArray(ids);
  return Status::Ok();
}

void ReplyEmptyArray(ReplyBuilder& reply) { reply.ArrayHeader(0); }

// QLEASE queue client-id [COUNT n] [BLOCK ms]
Status LeaseCommand(CommandContext& ctx) {
  const auto& a = ctx.argv;
  std::int64_t count = 1;
  std::optional<std::int64_t> block_ms;
  for (std::size_t i = 3; i < a.size(); i += 2) {
    if (i + 1 >= a.size()) {
      ctx.reply.Error(errors::kSyntax);
      return Status::Ok();
    }
    std::optional<std::int64_t> n;
    if (EqualsIgnoreCase(a[i], "COUNT")) {
      if (!(n = Number(ctx, a[i + 1], 1, queue::kMaxBatch))) return Status::Ok();
      count = *n;
    } else if (EqualsIgnoreCase(a[i], "BLOCK")) {
      if (!(n = Number(ctx, a[i + 1], 0, kMaxMs))) return Status::Ok();
      block_ms = *n;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return Status::Ok();
    }
  }
  QueueManager* m = Queues(ctx);
  if (m == nullptr) return Status::Ok();
  std::vector<queue::LeasedItem> items;
  Status s = m->Lease(a[1], a[2], static_cast<std::uint32_t>(count), ctx.now_ms, &items);
  if (!s.ok()) return Reply(ctx, s);
  if (items.empty() && block_ms && ctx.may_block) {
    BlockOptions block;
    block.keys.push_back(WaitKey{kQueueNamespace, std::string(a[1])});
    block.deadline_ms = *block_ms > 0 ? ctx.now_ms + *block_ms : 0;
    block.on_timeout = ReplyEmptyArray;
    ctx.server.Service<BlockingService>().Block(ctx, std::move(block));
    return Status::Ok();
  }
  ReplyBuilder& r = ctx.reply;
  r.ArrayHeader(items.size());
  for (const queue::LeasedItem& item : items) {
    r.ArrayHeader(4);
    r.Bulk(item.id);
    r.Integer(item.attempts);
    r.Integer(item.deadline_ms);
    r.Bulk(item.payload);
  }
  return Status::Ok();
}

void ReplyNotLeased(CommandContext& ctx, const std::vector<std::string>& ids) {
  ctx.reply.Error(fmt::format("NOTLEASED {}", fmt::join(ids, " ")));
}

// QCOMPLETE queue id [id ...]
Status CompleteCommand(CommandContext& ctx) {
  QueueManager* m = Queues(ctx);
  if (m == nullptr) return Status::Ok();
  std::vector<std::string> not_leased;
  Status s = m->Complete(ctx.argv[1], ctx.argv.subspan(2), &not_leased);
  if (!s.ok()) return Reply(ctx, s);
  if (!not_leased.empty()) {
    ReplyNotLeased(ctx, not_leased);
  } else {
    ctx.reply.Integer(static_cast<std::int64_t>(ctx.argv.size() - 2));
  }
  return Status::Ok();
}

// QRETRY queue id [id ...] [DELAY ms] [DEAD]: the options are read from the end.
Status RetryCommand(CommandContext& ctx) {
  auto ids = ctx.argv.subspan(2);
  bool dead = false;
  std::int64_t delay = 0;
  while (!ids.empty()) {
    if (EqualsIgnoreCase(ids.back(), "DEAD")) {
      dead = true;
      ids = ids.first(ids.size() - 1);
    } else if (ids.size() >= 2 && EqualsIgnoreCase(ids[ids.size() - 2], "DELAY")) {
      std::optional<std::int64_t> n = Number(ctx, ids.back(), 0, kMaxMs);
      if (!n) return Status::Ok();
      delay = *n;
      ids = ids.first(ids.size() - 2);
    } else {
      break;
    }
  }
  if (ids.empty()) {
    ctx.reply.Error(errors::kSyntax);
    return Status::Ok();
  }
  QueueManager* m = Queues(ctx);
  if (m == nullptr) return Status::Ok();
  std::vector<std::string> not_leased;
  Status s = m->Retry(ctx.argv[1], ids, delay, dead, ctx.now_ms, &not_leased);
  if (!s.ok()) return Reply(ctx, s);
  if (!not_leased.empty()) {
    ReplyNotLeased(ctx, not_leased);
    return Status::Ok();
  }
  QueueService& service = ctx.server.Service<QueueService>();
  service.SignalReady(std::string(ctx.argv[1]));
  if (Result<queue::QueueInfo> info = m->Info(ctx.argv[1]);
      info.ok() && !info->dead_queue.empty()) {
    service.SignalReady(info->dead_queue);
  }
  ctx.reply.Integer(static_cast<std::int64_t>(ids.size()));
  return Status::Ok();
}

void ReplyStats(ReplyBuilder& r, const queue::PartitionStats& st, std::size_t extra_pairs) {
  r.MapHeader(5 + extra_pairs);
  r.Bulk("ready");
  r.Integer(static_cast<std::int64_t>(st.ready));
  r.Bulk("leased");
  r.Integer(static_cast<std::int64_t>(st.leased));
  r.Bulk("scheduled");
  r.Integer(static_cast<std::int64_t>(st.scheduled));
  r.Bulk("dead-lettered");
  r.Integer(static_cast<std::int64_t>(st.dead_lettered));
  r.Bulk("oldest-ms");
  r.Integer(st.oldest_ms);
}

Status StatsCommand(CommandContext& ctx) {
  QueueManager* m = Queues(ctx);
  if (m == nullptr) return Status::Ok();
  Result<queue::QueueStats> st = m->Stats(ctx.argv[1], ctx.now_ms);
  if (!st.ok()) return Reply(ctx, st.status());
  ReplyStats(ctx.reply, st->total, 1);
  ctx.reply.Bulk("partitions");
  ctx.reply.ArrayHeader(st->partitions.size());
  for (const queue::PartitionStats& p : st->partitions) ReplyStats(ctx.reply, p, 0);
  return Status::Ok();
}

// QREBALANCE queue: the count of partitions moved to follow the current storage layout.
Status RebalanceCommand(CommandContext& ctx) {
  QueueManager* m = Queues(ctx);
  if (m == nullptr) return Status::Ok();
  std::vector<std::uint32_t> moved;
  Status s = m->Rebalance(ctx.argv[1], &moved);
  if (!s.ok()) return Reply(ctx, s);
  ctx.reply.Integer(static_cast<std::int64_t>(moved.size()));
  return Status::Ok();
}

void ReplyBackupUnblocked(ReplyBuilder& reply) {
  reply.Error(
      "ERR QBACKUP unblocked: the copy goes on, and its directory is whole only once "
      "it holds QUEUE");
}

void OnBackupUnblocked(Server& server, Client& client, UnblockReason) {
  server.Service<QueueService>().AbandonBackup(client.id());
}

// Replies the outcome of a copy: the count of items, or the error. A failed copy is this
// command's error, not the server's (what failed is the backup directory or its copy; the queue
// was only read): it does not poison the server.
Status ReplyBackup(CommandContext& ctx, const Result<std::uint64_t>& items) {
  if (items.ok()) {
    ctx.reply.Integer(static_cast<std::int64_t>(*items));
  } else if (queue::IsUserError(items.status())) {
    ctx.reply.Error(fmt::format("ERR {}", items.status().message()));
  } else {
    ctx.reply.Error(fmt::format("ERR QBACKUP failed: {}", items.status().ToString()));
  }
  return Status::Ok();
}

// QBACKUP queue dir: the count of items copied into the backup directory. The snapshots are
// taken here, with the execution lock; the copy runs on a thread of its own while the client
// waits blocked (queue_service.h), and the re-run replies. Inside MULTI it copies at once.
Status BackupCommand(CommandContext& ctx) {
  QueueManager* m = Queues(ctx);
  if (m == nullptr) return Status::Ok();
  QueueService& service = ctx.server.Service<QueueService>();
  BlockOptions block;
  block.keys.push_back(WaitKey{kQueueBackupNamespace, std::to_string(ctx.client.id())});
  block.on_timeout = ReplyBackupUnblocked;
  block.on_unblock = OnBackupUnblocked;
  if (std::optional<bool> done = service.BackupDone(ctx.client.id())) {  // a re-run
    if (*done) return ReplyBackup(ctx, service.TakeBackupResult(ctx.client.id()));
    ctx.server.Service<BlockingService>().Block(ctx, std::move(block));
    return Status::Ok();
  }
  if (!ctx.may_block) {
    std::uint64_t items = 0;
    Status s = m->Backup(ctx.argv[1], std::string(ctx.argv[2]), &items);
    return ReplyBackup(ctx, s.ok() ? Result<std::uint64_t>(items) : Result<std::uint64_t>(s));
  }
  Result<std::unique_ptr<queue::QueueBackup>> backup =
      m->StartBackup(ctx.argv[1], std::string(ctx.argv[2]));
  if (!backup.ok()) return Reply(ctx, backup.status());
  service.StartBackupCopy(ctx.client.id(), std::move(*backup));
  ctx.server.Service<BlockingService>().Block(ctx, std::move(block));
  return Status::Ok();
}

// QRESTORE queue dir: a new queue from a QBACKUP directory.
Status RestoreCommand(CommandContext& ctx) {
  QueueManager* m = Queues(ctx);
  if (m == nullptr) return Status::Ok();
  Status s = m->Restore(ctx.argv[1], std::string(ctx.argv[2]));
  if (s.ok()) {
    ctx.server.Service<QueueService>().SignalReady(std::string(ctx.argv[1]));
    ctx.reply.Ok();
  }
  return Reply(ctx, s);
}

CommandSpec QueueSpec(std::string_view name, int arity, std::uint32_t flags, CommandHandler handler,
                      std::string_view summary) {
  return CommandSpec{name, arity, flags, 0, 0, 0, handler, "queue", summary, "1.0.0", {}};
}

}  // namespace

void RegisterQueueCommands(CommandTable& table) {
  constexpr std::uint32_t kW = kCmdWrite | kCmdDenyOom;
  constexpr std::uint32_t kR = kCmdReadOnly;
  table.Add(QueueSpec("qcreate", -2, kW, CreateCommand, "Creates a durable queue"));
  table.Add(QueueSpec("qupdate", -2, kW, UpdateCommand, "Changes a queue's settings"));
  table.Add(QueueSpec("qdelete", 2, kW, DeleteCommand, "Deletes a queue and its partitions"));
  table.Add(QueueSpec("qlist", 1, kR, ListCommand, "Lists the queues"));
  table.Add(QueueSpec("qinfo", 2, kR, InfoCommand, "A queue's settings and placement"));
  table.Add(QueueSpec("qclear", 2, kW, ClearCommand, "Removes every item of a queue"));
  table.Add(QueueSpec("qproduce", -3, kW, ProduceCommand, "Adds items; replies their ids"));
  table.Add(QueueSpec("qlease", -3, kW | kCmdBlocking, LeaseCommand,
                      "Leases ready items to a client, waiting up to BLOCK ms"));
  table.Add(QueueSpec("qcomplete", -3, kW | kCmdFast, CompleteCommand, "Completes leased items"));
  table.Add(QueueSpec("qretry", -3, kW, RetryCommand,
                      "Puts leased items back (tail, later, or dead-letter queue)"));
  table.Add(QueueSpec("qstats", 2, kR, StatsCommand, "Counts of a queue's items"));
  table.Add(QueueSpec("qbackup", 3, kCmdAdmin | kCmdNoScript | kCmdBlocking, BackupCommand,
                      "Copies a queue as of one moment into a backup directory"));
  table.Add(QueueSpec("qrestore", 3, kW | kCmdAdmin, RestoreCommand,
                      "Creates a queue from a QBACKUP directory"));
  table.Add(QueueSpec("qrebalance", 2, kW, RebalanceCommand,
                      "Moves partitions to follow the storage layout's affinities"));
}

}  // namespace larder::server
