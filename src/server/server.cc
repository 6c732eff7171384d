#include "server/server.h"

#include <fmt/format.h>

#include <chrono>
#include <random>
#include <utility>

#include "base/logging.h"
#include "server/keyspace_events.h"
#include "server/pubsub.h"

namespace larder::server {

namespace {

std::string RandomRunId() {
  std::random_device rd;
  std::string id;
  id.reserve(40);
  for (int i = 0; i < 40; ++i) id += "0123456789abcdef"[rd() % 16];
  return id;
}

// The slow log keeps at most 32 arguments and 128 bytes of each, as Redis.
constexpr std::size_t kSlowLogMaxArgs = 32;
constexpr std::size_t kSlowLogMaxArgLen = 128;

std::vector<std::string> SlowLogArgs(std::span<const std::string_view> argv) {
  std::vector<std::string> out;
  const std::size_t n = std::min(argv.size(), kSlowLogMaxArgs);
  for (std::size_t i = 0; i < n; ++i) {
    if (i == kSlowLogMaxArgs - 1 && argv.size() > kSlowLogMaxArgs) {
      out.push_back(fmt::format("... ({} more arguments)", argv.size() - i));
      break;
    }
    const std::string_view a = argv[i];
    if (a.size() > kSlowLogMaxArgLen) {
      out.push_back(fmt::format("{}... ({} more bytes)", a.substr(0, kSlowLogMaxArgLen),
                                a.size() - kSlowLogMaxArgLen));
    } else {
      out.emplace_back(a);
    }
  }
  return out;
}

}  // namespace

void ServerStats::Reset() {
  for (auto* c :
       {&connections_received, &commands_processed, &rejected_connections, &net_input_bytes,
        &net_output_bytes, &keyspace_hits, &keyspace_misses, &error_replies,
        &client_query_buffer_limit_disconnections, &client_output_buffer_limit_disconnections,
        &timeout_disconnections, &protocol_errors}) {
    c->store(0, std::memory_order_relaxed);
  }
}

Server::Server(ServerConfig config, Keyspace* keyspace, const CommandTable* commands)
    : commands_(commands),
      keyspace_(keyspace),
      config_(std::make_shared<const ServerConfig>(std::move(config))),
      run_id_(RandomRunId()),
      start_time_ms_(NowMs()) {
  {
    MutexLock lock(&config_mu_);
    exec_config_.store(config_.get(), std::memory_order_release);
  }
  // The publisher holds the pub/sub service: created here, so publishing never takes
  // services_mu_ (an event may be published from a service's hook, which holds it).
  keyspace_events_ = std::make_unique<KeyspaceEventPublisher>(
      Service<PubSubService>(), this->config()->notify_keyspace_events);
  if (keyspace_ != nullptr) {
    MutexLock lock(&exec_mu_);  // AddObserver's rule; nobody else can hold it yet
    keyspace_->AddObserver(keyspace_events_.get());
  }
}

Server::~Server() {
  if (keyspace_ != nullptr) {
    MutexLock lock(&exec_mu_);
    keyspace_->RemoveObserver(keyspace_events_.get());
  }
}

std::shared_ptr<const ServerConfig> Server::config() const {
  MutexLock lock(&config_mu_);
  return config_;
}

Status Server::SetConfig(ServerConfig config) {
  auto next = std::make_shared<const ServerConfig>(std::move(config));
  std::shared_ptr<const ServerConfig> previous;
  {
    MutexLock lock(&config_mu_);
    previous = config_;
    config_ = next;
    exec_config_.store(config_.get(), std::memory_order_release);
  }
  if (previous->appendfsync != next->appendfsync) keyspace_->SetAppendFsync(next->appendfsync);
  keyspace_events_->set_flags(next->notify_keyspace_events);
  {
    MutexLock lock(&stats_mu_);
    while (slowlog_.size() > next->slowlog_max_len) slowlog_.pop_back();
  }
  return Status::Ok();
}

// Services live as long as the server, so the raw pointers stay valid; the hooks run without
// services_mu_ so that they may call Service<T>() (a lock service's hook signalling the blocking
// service).
std::vector<ServerService*> Server::ServicesSnapshot() const {
  MutexLock lock(&services_mu_);
  std::vector<ServerService*> out;
  out.reserve(services_.size());
  for (const auto& s : services_) out.push_back(s.get());
  return out;
}

void Server::NotifyCommand(const CommandRecord& record) {
  // Under services_mu_ (no allocation per command): OnCommand hooks must not call Service<T>().
  MutexLock lock(&services_mu_);
  for (auto& s : services_) s->OnCommand(record);
}

void Server::NotifyClientClosed(Client& client) {
  for (ServerService* s : ServicesSnapshot()) s->OnClientClosed(client);
}

void Server::NotifyClientReset(Client& client) {
  for (ServerService* s : ServicesSnapshot()) s->OnClientReset(client);
}

Status Server::RunSideSyncs(std::vector<SideSync>& syncs) {
  Status s = side_sync_runner_.RunAll(syncs);
  if (!s.ok()) Poison(s);
  return s;
}

void Server::Poison(const Status& status) {
  MutexLock lock(&poison_mu_);
  if (poisoned_.load(std::memory_order_relaxed)) return;
  poison_status_ = status;
  poisoned_.store(true, std::memory_order_release);
  LARDER_LOG_ERROR("engine error, writes refused from now on: {}", status.ToString());
}

Status Server::poison_status() const {
  MutexLock lock(&poison_mu_);
  return poison_status_;
}

void Server::AddClient(std::shared_ptr<Client> client) {
  MutexLock lock(&clients_mu_);
  const std::uint64_t id = client->id();
  clients_.emplace(id, std::move(client));
}

void Server::RemoveClient(std::uint64_t id) {
  MutexLock lock(&clients_mu_);
  clients_.erase(id);
}

std::shared_ptr<Client> Server::FindClient(std::uint64_t id) const {
  MutexLock lock(&clients_mu_);
  auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<Client>> Server::ListClients() const {
  MutexLock lock(&clients_mu_);
  std::vector<std::shared_ptr<Client>> out;
  out.reserve(clients_.size());
  for (const auto& [id, c] : clients_) out.push_back(c);
  return out;
}

std::size_t Server::client_count() const {
  MutexLock lock(&clients_mu_);
  return clients_.size();
}

bool Server::DeliverTo(Client& client, std::string_view bytes, std::int64_t now_ms) {
  const ServerConfig& cfg = exec_config();
  const OutputBufferLimit& limit =
      client.output_class() == OutputClass::kPubSub ? cfg.output_pubsub : cfg.output_normal;
  // Only a refusal that closes the client now is a limit's disconnection (not one to a client
  // already closing: CLIENT KILL, a gone peer, an engine error).
  const bool was_closing = client.close_requested();
  const bool ok = client.Deliver(bytes, limit, now_ms);
  if (!ok && !was_closing && client.close_requested()) {
    stats_.client_output_buffer_limit_disconnections.fetch_add(1, std::memory_order_relaxed);
  }
  return ok;
}

void Server::RecordCommand(const CommandRecord& record) {
  if (record.spec == nullptr) return;
  CommandCounters*& slot = command_stats_by_spec_[record.spec];
  if (slot == nullptr) slot = &command_stats_[std::string(record.full_name)];
  CommandCounters& c = *slot;
  if (record.outcome == CommandRecord::Outcome::kRejected) {
    ++c.rejected_calls;
    return;
  }
  ++c.calls;
  c.usec += static_cast<std::uint64_t>(record.duration_us);
  if (record.outcome == CommandRecord::Outcome::kFailed) ++c.failed_calls;

  if ((record.spec->flags & kCmdSkipSlowlog) != 0) return;
  const ServerConfig& cfg = exec_config();
  const std::int64_t threshold = cfg.slowlog_log_slower_than_us;
  if (threshold < 0 || record.duration_us < threshold || cfg.slowlog_max_len == 0) return;
  SlowLogEntry e;
  e.unix_time = record.start_us / 1000000;
  e.duration_us = record.duration_us;
  e.argv = SlowLogArgs(record.argv);
  if (record.client != nullptr) {
    e.client_addr = record.client->addr();
    e.client_name = record.client->name;
  }
  MutexLock lock(&stats_mu_);
  e.id = slowlog_next_id_++;
  slowlog_.push_front(std::move(e));
  while (slowlog_.size() > cfg.slowlog_max_len) slowlog_.pop_back();
}

std::map<std::string, CommandCounters> Server::CommandStatsSnapshot() const {
  return command_stats_;
}

void Server::ResetCommandStats() {
  command_stats_by_spec_.clear();
  command_stats_.clear();
}

std::vector<SlowLogEntry> Server::SlowLogGet(std::size_t count) const {
  MutexLock lock(&stats_mu_);
  const std::size_t n = std::min(count, slowlog_.size());
  return {slowlog_.begin(), slowlog_.begin() + static_cast<std::ptrdiff_t>(n)};
}

std::size_t Server::SlowLogLen() const {
  MutexLock lock(&stats_mu_);
  return slowlog_.size();
}

void Server::SlowLogReset() {
  MutexLock lock(&stats_mu_);
  slowlog_.clear();
}

std::int64_t Server::NowMs() { return NowUs() / 1000; }

std::int64_t Server::NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace larder::server
