// BlockingService (blocking.h).
//
// State and invariants (everything below is guarded by the server's execution lock, except
// next_deadline, an atomic mirror of the earliest deadline read by the I/O threads):
//   - entries: every wait, by id (one per Block; a re-run's Block keeps the entry). An entry is
//     in the queue of each of its keys exactly once, in by_client[its client], and in deadlines
//     when it has one. Remove() takes it out of all of them at once and destroys it.
//   - queues holds no empty queue; each queue is in blocking order (first come, first served).
//   - client->blocked == the client has a pausing entry; paused_clients counts those clients.
//   - ready lists keys marked by a modification since the last serving, each once (ready_set).
//   - served (replies of ended waits) is empty whenever the execution lock is free: every path
//     that serves or ends waits (the I/O thread's batch, RunInBatch) takes it before releasing
//     the lock, and delivers it after the batch is durable.
//   - serving guards ServeReadyClients against re-entry; current is the entry being re-run.
#include "server/blocking.h"

#include <atomic>
#include <list>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>

#include "base/logging.h"
#include "server/client.h"
#include "server/dispatcher.h"
#include "server/reply_builder.h"

namespace larder::server {

namespace {

constexpr std::string_view kUnblockedError = "UNBLOCKED client unblocked via CLIENT UNBLOCK";

// The client kept alive until its reply is delivered. A client not owned by a shared_ptr (a
// test's) gets a non-owning pointer: the test keeps it alive.
std::shared_ptr<Client> Keep(Client& client) {
  std::shared_ptr<Client> owned = client.weak_from_this().lock();
  if (owned) return owned;
  return std::shared_ptr<Client>(std::shared_ptr<Client>(), &client);
}

}  // namespace

struct BlockingService::Impl {
  // A key probe without a copy of the key (heterogeneous lookup in the maps below).
  struct WaitKeyRef {
    int db;
    std::string_view key;
  };

  struct WaitKeyLess {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return a.db != b.db ? a.db < b.db : std::string_view(a.key) < std::string_view(b.key);
    }
  };

  struct Entry;
  using Queue = std::list<Entry*>;
  using QueueMap = std::map<WaitKey, Queue, WaitKeyLess>;
  using DeadlineMap = std::multimap<std::int64_t, Entry*>;

  struct Entry {
    std::uint64_t id = 0;
    Client* client = nullptr;
    std::vector<std::string> argv;  // copied at Block
    const CommandSpec* spec = nullptr;
    std::string full_name;
    int db = 0;  // the database the command ran in
    BlockOptions options;
    std::vector<std::pair<QueueMap::iterator, Queue::iterator>> slots;
    DeadlineMap::iterator deadline;  // valid when options.deadline_ms != 0
    bool reblocked = false;          // set by Block during this entry's re-run
  };

  explicit Impl(Server& s) : server(s) {}

  Server& server;
  std::uint64_t next_id = 0;
  std::unordered_map<std::uint64_t, std::unique_ptr<Entry>> entries;
  std::unordered_map<const Client*, std::vector<Entry*>> by_client;
  QueueMap queues;
  DeadlineMap deadlines;
  std::atomic<std::int64_t> next_deadline{0};
  std::vector<WaitKey> ready;
  std::set<WaitKey, WaitKeyLess> ready_set;
  std::vector<ServedReply> served;
  std::size_t paused_clients = 0;
  bool serving = false;
  Entry* current = nullptr;
  const WaitKey* current_key = nullptr;  // the ready key current is re-run for (ServingKey)

  void MarkReady(QueueMap::iterator it) {
    if (ready_set.insert(it->first).second) ready.push_back(it->first);
  }

  void RefreshDeadline() {
    next_deadline.store(deadlines.empty() ? 0 : deadlines.begin()->first,
                        std::memory_order_release);
  }

  void Remove(Entry* e) {
    for (auto& [qit, pos] : e->slots) {
      qit->second.erase(pos);
      if (qit->second.empty()) queues.erase(qit);
    }
    if (e->options.deadline_ms != 0) {
      deadlines.erase(e->deadline);
      RefreshDeadline();
    }
    auto bc = by_client.find(e->client);
    if (bc != by_client.end()) {
      std::erase(bc->second, e);
      if (bc->second.empty()) by_client.erase(bc);
    }
    if (e->options.pause_client) {
      e->client->blocked = false;
      --paused_clients;
    }
    entries.erase(e->id);
  }

  // Commandstats of a wait that ended without a re-run's reply (Redis 7.0 counts the call then).
  void RecordEnd(const Entry& e, bool failed, std::int64_t now_ms) {
    std::vector<std::string_view> argv(e.argv.begin(), e.argv.end());
    CommandRecord record;
    record.spec = e.spec;
    record.full_name = e.full_name;
    record.argv = argv;
    record.client = e.client;
    record.db = e.db;
    record.start_us = now_ms * 1000;
    record.outcome = failed ? CommandRecord::Outcome::kFailed : CommandRecord::Outcome::kOk;
    if (failed) server.stats().error_replies.fetch_add(1, std::memory_order_relaxed);
    server.stats().commands_processed.fetch_add(1, std::memory_order_relaxed);
    e.client->CountCommand();
    server.RecordCommand(record);
  }

  // Ends a wait for any reason but kServed: its reply, on_unblock, out of the queues.
  void Finish(Entry* e, UnblockReason reason, std::int64_t now_ms) {
    Client& client = *e->client;
    std::string bytes;
    ReplyBuilder reply(&bytes, client.protocol);
    const bool ended_by_time =
        reason == UnblockReason::kTimeout || reason == UnblockReason::kUnblockTimeout;
    if (reason == UnblockReason::kUnblockError) {
      reply.Error(kUnblockedError);
    } else if (ended_by_time && e->options.on_timeout != nullptr) {
      e->options.on_timeout(reply);
    }
    if (ended_by_time || reason == UnblockReason::kUnblockError) {
      RecordEnd(*e, reason == UnblockReason::kUnblockError, now_ms);
    }
    const bool pause = e->options.pause_client;
    const auto on_unblock = e->options.on_unblock;
    Remove(e);
    if (on_unblock != nullptr) on_unblock(server, client, reason);
    if (reason == UnblockReason::kClosed) return;
    if (client.reply_mode == ReplyMode::kOff) bytes.clear();
    if (pause || !bytes.empty()) served.push_back({Keep(client), std::move(bytes), pause});
  }

  // Re-runs e's command; serves the client unless the handler blocked again.
  void Rerun(Entry* e, std::int64_t now_ms) {
    const std::uint64_t id = e->id;
    Client& client = *e->client;
    std::vector<std::string_view> argv(e->argv.begin(), e->argv.end());
    e->reblocked = false;
    current = e;
    std::string out;
    ExecuteBlocked(server, client, *e->spec, argv, e->db, now_ms, &out);
    current = nullptr;
    if (!entries.contains(id)) return;  // defensive: nothing ends a wait during its re-run
    if (e->reblocked) return;  // keeps its place (a re-run that blocks again writes nothing)
    const bool pause = e->options.pause_client;
    Remove(e);
    if (client.reply_mode == ReplyMode::kOff) out.clear();
    served.push_back({Keep(client), std::move(out), pause});
  }

  // Whether e may be re-run for `key`: its key_type, when set, is the key's type now.
  bool TypeMatches(const Entry& e, const WaitKey& key) {
    if (!e.options.key_type || key.db < 0 || key.db >= server.keyspace().databases()) return true;
    Result<std::optional<KeyInfo>> info = server.keyspace().db(key.db).Lookup(key.key);
    if (!info.ok()) return true;  // the handler meets the error and replies it
    return info->has_value() && (*info)->type == *e.options.key_type;
  }
};

BlockingService::BlockingService(Server& server) : impl_(std::make_unique<Impl>(server)) {
  server.keyspace().AddObserver(this);
  server.blocking_.store(this, std::memory_order_release);
}

BlockingService::~BlockingService() {
  impl_->server.blocking_.store(nullptr, std::memory_order_release);
  impl_->server.keyspace().RemoveObserver(this);
}

void BlockingService::Block(CommandContext& ctx, BlockOptions options) {
  Impl& s = *impl_;
  Client& client = ctx.client;
  if (!ctx.may_block) {  // a contract breach by the caller: behave as Redis inside MULTI
    if (options.on_timeout != nullptr) options.on_timeout(ctx.reply);
    return;
  }
  client.block_requested = true;
  if (s.current != nullptr && s.current->client == &client) {
    s.current->reblocked = true;
    return;
  }
  auto entry = std::make_unique<Impl::Entry>();
  Impl::Entry* e = entry.get();
  e->id = ++s.next_id;
  e->client = &client;
  e->argv.assign(ctx.argv.begin(), ctx.argv.end());
  std::vector<std::string_view> argv(e->argv.begin(), e->argv.end());
  std::string error;
  e->spec = ResolveCommand(ctx.server, argv, &error, &e->full_name);
  if (e->spec == nullptr) {  // not reached: the command was resolved to run
    LARDER_LOG_ERROR("blocking: cannot resolve {}: {}", e->full_name, error);
    client.block_requested = false;
    if (options.on_timeout != nullptr) options.on_timeout(ctx.reply);
    return;
  }
  e->db = ctx.db.index();
  e->options = std::move(options);
  std::vector<WaitKey> keys = std::move(e->options.keys);
  e->options.keys.clear();
  for (WaitKey& key : keys) {
    auto [qit, inserted] = s.queues.try_emplace(key);
    bool duplicate = false;
    for (const auto& slot : e->slots) duplicate = duplicate || slot.first == qit;
    if (duplicate) continue;
    e->slots.emplace_back(qit, qit->second.insert(qit->second.end(), e));
    e->options.keys.push_back(std::move(key));
  }
  if (e->options.deadline_ms != 0) {
    e->deadline = s.deadlines.emplace(e->options.deadline_ms, e);
    s.RefreshDeadline();
  }
  s.by_client[&client].push_back(e);
  if (e->options.pause_client) {
    client.blocked = true;
    client.set_paused();
    ++s.paused_clients;
  }
  s.entries.emplace(e->id, std::move(entry));
}

void BlockingService::SignalKeyReady(const WaitKey& key) {
  auto it = impl_->queues.find(Impl::WaitKeyRef{key.db, key.key});
  if (it != impl_->queues.end()) impl_->MarkReady(it);
}

void BlockingService::OnKeyModified(int db, std::optional<std::string_view> key) {
  Impl& s = *impl_;
  if (s.queues.empty()) return;
  if (key.has_value()) {
    auto it = s.queues.find(Impl::WaitKeyRef{db, *key});
    if (it != s.queues.end()) s.MarkReady(it);
    return;
  }
  for (auto it = s.queues.lower_bound(Impl::WaitKeyRef{db, {}});
       it != s.queues.end() && it->first.db == db; ++it) {
    s.MarkReady(it);
  }
}

void BlockingService::ServeReadyClients(std::int64_t now_ms) {
  Impl& s = *impl_;
  if (s.ready.empty() || s.serving) return;
  s.serving = true;
  while (!s.ready.empty()) {
    std::vector<WaitKey> keys;
    keys.swap(s.ready);
    s.ready_set.clear();
    for (const WaitKey& key : keys) {
      auto qit = s.queues.find(key);
      if (qit == s.queues.end()) continue;
      // The clients waiting now, in order; those that block later wait for the next change.
      std::vector<std::uint64_t> ids;
      ids.reserve(qit->second.size());
      for (const Impl::Entry* e : qit->second) ids.push_back(e->id);
      for (std::uint64_t id : ids) {
        auto it = s.entries.find(id);
        if (it == s.entries.end()) continue;  // served or ended by an earlier re-run
        Impl::Entry* e = it->second.get();
        // A client being closed (CLIENT KILL, a peer gone) is served nothing: what it would pop
        // stays for the next client. Its close path removes it.
        if (e->client->close_requested() || !s.TypeMatches(*e, key)) continue;
        s.current_key = &key;
        s.Rerun(e, now_ms);
        s.current_key = nullptr;
      }
    }
  }
  s.serving = false;
}

std::int64_t BlockingService::ExpireTimeouts(std::int64_t now_ms) {
  Impl& s = *impl_;
  while (!s.deadlines.empty() && s.deadlines.begin()->first < now_ms) {
    s.Finish(s.deadlines.begin()->second, UnblockReason::kTimeout, now_ms);
  }
  return s.deadlines.empty() ? 0 : s.deadlines.begin()->first;
}

std::int64_t BlockingService::next_deadline_ms() const {
  return impl_->next_deadline.load(std::memory_order_acquire);
}

bool BlockingService::Unblock(Client& client, UnblockReason reason, std::int64_t now_ms) {
  Impl& s = *impl_;
  auto it = s.by_client.find(&client);
  if (it == s.by_client.end()) return false;
  const std::vector<Impl::Entry*> waits = it->second;  // Finish edits by_client
  for (Impl::Entry* e : waits) s.Finish(e, reason, now_ms);
  return true;
}

bool BlockingService::Rerunning(const Client& client) const {
  return impl_->current != nullptr && impl_->current->client == &client;
}

const WaitKey* BlockingService::ServingKey(const Client& client) const {
  return Rerunning(client) ? impl_->current_key : nullptr;
}

std::size_t BlockingService::blocked_clients() const { return impl_->paused_clients; }

std::vector<Client*> BlockingService::Waiters(const WaitKey& key) const {
  std::vector<Client*> out;
  auto it = impl_->queues.find(Impl::WaitKeyRef{key.db, key.key});
  if (it == impl_->queues.end()) return out;
  for (const Impl::Entry* e : it->second) out.push_back(e->client);
  return out;
}

std::vector<BlockingService::ServedReply> BlockingService::TakeServedReplies() {
  std::vector<ServedReply> out;
  out.swap(impl_->served);
  return out;
}

void BlockingService::DeliverServedReplies(Server& server, std::vector<ServedReply> replies,
                                           std::int64_t now_ms) {
  if (replies.empty()) return;
  const auto config = server.config();
  for (ServedReply& r : replies) {
    // The reply first, then the resume: the connection's next command replies after it.
    if (!r.bytes.empty()) r.client->Deliver(r.bytes, config->output_normal, now_ms);
    if (r.resume) r.client->Resume();
  }
}

void BlockingService::OnClientClosed(Client& client) {
  (void)Unblock(client, UnblockReason::kClosed, Server::NowMs());
}

void BlockingService::OnClientReset(Client& client) {
  (void)Unblock(client, UnblockReason::kReset, Server::NowMs());
}

}  // namespace larder::server
