// larder queue: offline commands over larderd's durable queues (include/larder/queue/
// queue_store.h), with larderd stopped (the engines' LOCK files refuse them while it runs).
//
//   info LAYOUT [QUEUE] [--json]   queues, settings, partitions (location, driver, directory)
//                                  and their counts: ready, leased, scheduled, outbox
//   check LAYOUT [--json]          every queue record and partition record against the
//                                  invariants of docs/formats/queue.md: "OK", or the problems
//   backup LAYOUT QUEUE DIR        QBACKUP's format: QRESTORE (or restore) takes it back
//   restore LAYOUT QUEUE DIR       a new queue from a QBACKUP (or backup) directory
//
// LAYOUT is larderd's queue-config YAML file, or larderd's data directory when it runs without
// one (the queues are then under DIR/queues). info, check and backup open every store
// read-only; restore opens them read-write. Exit codes: 0 done, 1 the command failed or check
// found problems ("Error: ..." on stderr), 2 bad usage.
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common.h"
#include "larder/queue/queue_store.h"
#include "progress.h"

namespace larder::cli {
namespace {

using nlohmann::json;

struct QueueArgs {
  std::string layout;
  std::string queue;
  std::string dir;
  bool json = false;
};

Result<std::unique_ptr<queue::QueueStore>> OpenQueues(const std::string& layout, bool read_only) {
  const queue::QueueStoreOptions options{.read_only = read_only};
  std::error_code ec;
  if (std::filesystem::is_directory(layout, ec)) {
    return queue::QueueStore::OpenDefault(layout, options);
  }
  if (!std::filesystem::exists(layout, ec)) {
    return Status::NotFound(fmt::format("{}: no such layout file or data directory", layout));
  }
  return queue::QueueStore::Open(layout, options);
}

// Runs `fn` on the open queues, then closes them; the first error fails the command.
int WithQueues(const QueueArgs& a, bool read_only,
               const std::function<Status(queue::QueueStore&)>& fn) {
  auto store = OpenQueues(a.layout, read_only);
  if (!store.ok()) return Fail(store.status());
  Status s = fn(**store);
  Status closed = (*store)->Close();
  if (!s.ok()) return Fail(s);
  if (!closed.ok()) return Fail(closed);
  return kExitOk;
}

json PartitionJson(const queue::PartitionSummary& p) {
  return {{"partition", p.number},
          {"location", p.location},
          {"driver", p.driver},
          {"dir", p.dir},
          {"ready", p.ready},
          {"leased", p.leased},
          {"scheduled", p.scheduled},
          {"outbox", p.outbox},
          {"dead_lettered", p.dead_lettered}};
}

std::string QueueText(const queue::QueueSummary& q) {
  std::uint64_t ready = 0, leased = 0, scheduled = 0, outbox = 0;
  std::string parts;
  for (const queue::PartitionSummary& p : q.partitions) {
    ready += p.ready;
    leased += p.leased;
    scheduled += p.scheduled;
    outbox += p.outbox;
    parts += fmt::format(
        "  partition {}  {} ({})  {}  ready {}  leased {}  scheduled {}  outbox {}\n", p.number,
        p.location, p.driver, p.dir, p.ready, p.leased, p.scheduled, p.outbox);
  }
  return fmt::format(
      "{}: {} partitions  lease-timeout {} ms  expire-timeout {} ms  max-attempts {}  "
      "dead-queue {}\n  ready {}  leased {}  scheduled {}  outbox {}\n{}",
      q.name, q.partitions.size(), q.lease_timeout_ms, q.expire_timeout_ms, q.max_attempts,
      q.dead_queue.empty() ? "-" : q.dead_queue, ready, leased, scheduled, outbox, parts);
}

int RunInfo(const QueueArgs& a) {
  return WithQueues(a, /*read_only=*/true, [&](queue::QueueStore& store) -> Status {
    std::vector<std::string> names = store.List();
    if (!a.queue.empty()) names = {a.queue};
    json queues = json::array();
    std::string text;
    for (const std::string& name : names) {
      LARDER_ASSIGN_OR_RETURN(queue::QueueSummary q, store.Describe(name));
      if (a.json) {
        json parts = json::array();
        for (const queue::PartitionSummary& p : q.partitions) parts.push_back(PartitionJson(p));
        queues.push_back({{"name", q.name},
                          {"lease_timeout_ms", q.lease_timeout_ms},
                          {"expire_timeout_ms", q.expire_timeout_ms},
                          {"max_attempts", q.max_attempts},
                          {"dead_queue", q.dead_queue},
                          {"created_ms", q.created_ms},
                          {"partitions", parts}});
      } else {
        text += QueueText(q);
      }
    }
    if (a.json) {
      PrintJson({{"queues", queues}});
    } else {
      WriteOut(names.empty() ? "no queues\n" : text);
    }
    return Status::Ok();
  });
}

int RunCheck(const QueueArgs& a) {
  bool clean = false;
  const int code = WithQueues(a, /*read_only=*/true, [&](queue::QueueStore& store) -> Status {
    ProgressBar bar("check", 0, ProgressBar::Unit::kCount);
    LARDER_ASSIGN_OR_RETURN(queue::QueueCheckReport r,
                            store.Check([&bar](std::uint64_t done, std::uint64_t total) {
                              bar.set_total(total);
                              bar.Update(done);
                            }));
    bar.Finish();
    clean = r.ok();
    if (a.json) {
      PrintJson({{"ok", r.ok()},
                 {"queues", r.queues},
                 {"partitions", r.partitions},
                 {"records", r.records},
                 {"items", r.items},
                 {"problem_count", r.problem_count},
                 {"problems", r.problems}});
    } else if (r.ok()) {
      WriteOut(fmt::format("OK: {} queues, {} partitions, {} items, {} records\n", r.queues,
                           r.partitions, r.items, r.records));
    } else {
      std::string text = fmt::format("{} problems in {} queues, {} partitions:\n", r.problem_count,
                                     r.queues, r.partitions);
      for (const std::string& p : r.problems) text += "  " + p + "\n";
      if (r.problem_count > r.problems.size()) {
        text += fmt::format("  ... and {} more\n", r.problem_count - r.problems.size());
      }
      WriteOut(text);
    }
    return Status::Ok();
  });
  return code == kExitOk && !clean ? kExitError : code;
}

int RunBackup(const QueueArgs& a) {
  return WithQueues(a, /*read_only=*/true, [&](queue::QueueStore& store) -> Status {
    std::uint64_t items = 0;
    LARDER_RETURN_IF_ERROR(store.Backup(a.queue, a.dir, &items));
    WriteOut(fmt::format("backed up queue {}: {} items into {}\n", a.queue, items, a.dir));
    return Status::Ok();
  });
}

int RunRestore(const QueueArgs& a) {
  return WithQueues(a, /*read_only=*/false, [&](queue::QueueStore& store) -> Status {
    LARDER_RETURN_IF_ERROR(store.Restore(a.queue, a.dir));
    LARDER_ASSIGN_OR_RETURN(queue::QueueSummary q, store.Describe(a.queue));
    std::uint64_t items = 0;
    for (const queue::PartitionSummary& p : q.partitions) {
      items += p.ready + p.leased + p.scheduled + p.outbox;
    }
    WriteOut(fmt::format("restored queue {}: {} items in {} partitions\n", a.queue, items,
                         q.partitions.size()));
    return Status::Ok();
  });
}

}  // namespace

void RegisterQueueCommands(CLI::App& app, Action& action) {
  CLI::App* q = app.add_subcommand(
      "queue", "Inspect, check, back up and restore larderd's durable queues (larderd stopped)");
  q->require_subcommand(1);
  auto a = std::make_shared<QueueArgs>();
  auto add = [&](const char* name, const char* help, int (*run)(const QueueArgs&)) {
    CLI::App* sub = q->add_subcommand(name, help);
    sub->add_option("layout", a->layout,
                    "larderd's queue-config YAML file, or its data directory without one")
        ->required();
    sub->callback([&action, a, run] { action = [a, run] { return run(*a); }; });
    return sub;
  };
  CLI::App* info = add("info", "Queues, settings, partitions and their counts", RunInfo);
  info->add_option("queue", a->queue, "Only this queue");
  info->add_flag("--json", a->json, "JSON output");
  CLI::App* check = add("check", "Verify every queue and partition record", RunCheck);
  check->add_flag("--json", a->json, "JSON output");
  CLI::App* backup = add("backup", "Copy a queue into DIR (QBACKUP's format)", RunBackup);
  CLI::App* restore = add("restore", "Create a queue from a backup in DIR", RunRestore);
  for (CLI::App* sub : {backup, restore}) {
    sub->add_option("queue", a->queue, "Queue name")->required();
    sub->add_option("dir", a->dir, "Backup directory")->required();
  }
}

}  // namespace larder::cli
