// Server: the services shared by every client of one larderd: configuration, the command table,
// the keyspace, statistics, the client registry, the slow log and command statistics, per-server
// services of the command families (pub/sub, MONITOR, WATCH), and the execution lock. The
// network side (listeners, I/O threads) is started by Run() (event_loop.cc).
//
// Lock rules (stated before the code):
//   - exec_mu_ (the execution lock): held by an I/O thread around a batch of commands (see
//     keyspace.h), by the cron, and by the close path of a client. Every command handler runs
//     with it held, so handlers may read and write every client's [E] state (client.h), the
//     services, and call the keyspace. Handlers must not take it again.
//   - config_mu_ guards the configuration pointer; config() returns an immutable snapshot, so a
//     batch reads one consistent config without holding a lock. SetConfig (CONFIG SET) swaps it.
//   - clients_mu_ guards the client registry only (not the clients' fields). It is taken inside
//     the execution lock (never the other way round), and by I/O threads alone when they accept.
//   - services_mu_ guards the service list (services are created once, destroyed with the
//     server). A service's own state is guarded by the execution lock unless it says otherwise.
//   - stats counters are atomics; the slow log is guarded by its own mutex (stats_mu_), taken
//     only when an entry is added or read. Command stats (INFO commandstats) are guarded by the
//     execution lock: RecordCommand runs with it after every command, and so do INFO and CONFIG
//     RESETSTAT (commands), so counting a command takes no lock of its own.
//   - exec_config_ points to the object config_ owns; it changes only in SetConfig, which runs
//     with the execution lock held (CONFIG SET), so exec_config() needs no lock for a thread
//     holding the execution lock (the dispatcher's per-command reads).
// Lock order: exec_mu_ -> clients_mu_ / services_mu_ / stats_mu_ -> a client's out_mu_.
#ifndef LARDER_SERVER_SERVER_H_
#define LARDER_SERVER_SERVER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/mutex.h"
#include "base/parallel_runner.h"
#include "larder/status.h"
#include "server/client.h"
#include "server/command.h"
#include "server/command_clock.h"
#include "server/config.h"
#include "server/keyspace.h"

namespace larder::server {

class EventLoop;               // event_loop.h: listeners and I/O threads
class BlockingService;         // blocking.h: blocked clients
class KeyspaceEventPublisher;  // keyspace_events.h: notify-keyspace-events

// What the dispatcher reports after each command it ran (or rejected), with the execution lock
// held. Views are valid during the call only.
struct CommandRecord {
  const CommandSpec* spec = nullptr;  // the command (a subcommand's spec for containers); null
                                      // when unknown
  std::string_view full_name;         // "get", "config|get"
  std::span<const std::string_view> argv;
  const Client* client = nullptr;
  int db = 0;
  std::int64_t start_us = 0;     // unix time in microseconds
  std::int64_t duration_us = 0;  // handler time
  enum class Outcome { kOk, kRejected, kFailed } outcome = Outcome::kOk;
  // kRejected: refused before running (arity, auth, subscribed mode, OOM...).
  // kFailed: ran and replied with an error (the reply started with '-').
};

// A per-server object of a command family (pub/sub registry, MONITOR feed, WATCH table, ...).
// Created on first use by Server::Service<T>() (T must derive from ServerService and be
// constructible from Server&). Its hooks are called with the execution lock held.
class ServerService {
 public:
  virtual ~ServerService() = default;
  // After every dispatched command (MONITOR feeds, keyspace events...).
  virtual void OnCommand(const CommandRecord& record) {}
  // A client is closing (connection gone, killed, timed out): drop every pointer to it.
  virtual void OnClientClosed(Client& client) {}
  // RESET: the client stays, but its subscriptions, watches and MONITOR end. The server clears
  // the client's own [E] fields afterwards. By default the same as a close.
  virtual void OnClientReset(Client& client) { OnClientClosed(client); }
};

// INFO stats; CONFIG RESETSTAT zeroes the resettable ones. Relaxed atomics (counters only).
struct ServerStats {
  std::atomic<std::uint64_t> connections_received{0};
  std::atomic<std::uint64_t> commands_processed{0};
  std::atomic<std::uint64_t> rejected_connections{0};  // maxclients
  std::atomic<std::uint64_t> net_input_bytes{0};
  std::atomic<std::uint64_t> net_output_bytes{0};
  std::atomic<std::uint64_t> keyspace_hits{0};
  std::atomic<std::uint64_t> keyspace_misses{0};
  std::atomic<std::uint64_t> error_replies{0};  // total_error_replies
  std::atomic<std::uint64_t> client_query_buffer_limit_disconnections{0};
  std::atomic<std::uint64_t> client_output_buffer_limit_disconnections{0};
  std::atomic<std::uint64_t> timeout_disconnections{0};
  std::atomic<std::uint64_t> protocol_errors{0};
  void Reset();
};

// INFO commandstats: one entry per command ("get", "config|get").
struct CommandCounters {
  std::uint64_t calls = 0;
  std::uint64_t usec = 0;
  std::uint64_t rejected_calls = 0;
  std::uint64_t failed_calls = 0;
};

// SLOWLOG GET entries (newest first when listed).
struct SlowLogEntry {
  std::uint64_t id = 0;
  std::int64_t unix_time = 0;  // seconds
  std::int64_t duration_us = 0;
  std::vector<std::string> argv;  // at most 32 arguments, each at most 128 bytes, as Redis
  std::string client_addr;
  std::string client_name;
};

class Server {
 public:
  // `keyspace` and `commands` must outlive the server. The keyspace is opened by the caller
  // (larderd's main, or a test) and closed by Shutdown or by the caller.
  Server(ServerConfig config, Keyspace* keyspace, const CommandTable* commands);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // ---- configuration (thread-safe) ----
  std::shared_ptr<const ServerConfig> config() const;
  // The same configuration without a lock or a reference count, for the per-command paths.
  // REQUIRES: the execution lock (or no concurrent SetConfig, as in single-threaded tests); the
  // reference is valid until the lock is released (a CONFIG SET replaces the config under it).
  const ServerConfig& exec_config() const { return *exec_config_.load(std::memory_order_acquire); }
  // CONFIG SET: installs `config` and applies what changes at run time (appendfsync to the
  // keyspace, parser limits of new reads, maxclients, timeout, io limits, slow log length).
  // Directives that cannot change at run time must be equal to the current ones (the caller,
  // CONFIG SET, checks ConfigEntry::mutable_at_runtime).
  Status SetConfig(ServerConfig config);
  // The config file larderd was started with (INFO config_file); empty when none.
  const std::string& config_file() const { return config_file_; }
  void set_config_file(std::string path) { config_file_ = std::move(path); }

  // ---- what commands use ----
  const CommandTable& commands() const { return *commands_; }
  Keyspace& keyspace() { return *keyspace_; }
  ServerStats& stats() { return stats_; }
  Mutex& exec_mutex() RETURN_CAPABILITY(exec_mu_) { return exec_mu_; }
  // Keyspace notifications (keyspace_events.h): lives as long as the server.
  KeyspaceEventPublisher& keyspace_events() { return *keyspace_events_; }

  // Per-server service of type T, created on first use (thread-safe; the hooks of existing
  // services are called by the dispatcher and the close path).
  template <class T>
  T& Service();
  // The BlockingService once created (by Service<BlockingService>()), else null: the cheap
  // check of the dispatcher and the I/O threads. Thread-safe; the service itself REQUIRES the
  // execution lock except where blocking.h says otherwise.
  BlockingService* blocking_service() const { return blocking_.load(std::memory_order_acquire); }
  // Calls OnCommand / OnClientClosed of every service. REQUIRES: the execution lock.
  // OnClientClosed/Reset hooks may call Service<T>() (they run over a snapshot of the list);
  // OnCommand hooks must not (they run under services_mu_).
  void NotifyCommand(const CommandRecord& record);
  void NotifyClientClosed(Client& client);
  void NotifyClientReset(Client& client);

  // Writes refused after an engine error: the dispatcher replies "-ERR ..." to write commands
  // once the keyspace failed (see command.h: a handler's non-OK Status).
  void Poison(const Status& status);
  bool poisoned() const { return poisoned_.load(std::memory_order_acquire); }
  Status poison_status() const;

  // ---- writes beside the keyspace (the durable queue's partitions) ----
  // A batch of commands may write stores other than the keyspace's engine, with sync = false.
  // Their owner registers a source; at the end of each batch (the I/O threads' and
  // RunInBatch's), with the execution lock held, TakeSideSyncs collects the syncs the batch
  // needs (none under appendfsync everysec or no; the source may do quick work of its own
  // there, under the lock, and report a failure as a task returning it); they run after the
  // lock is released and
  // after Keyspace::WaitDurable, before any reply of the batch is sent. A failed one poisons the
  // server like a failed keyspace sync. REQUIRES: the execution lock (both calls).
  using SideSync = ParallelRunner::Task;
  using SideSyncSource = std::function<void(std::vector<SideSync>* out)>;
  void SetSideSyncSource(SideSyncSource source) { side_sync_source_ = std::move(source); }
  std::vector<SideSync> TakeSideSyncs() {
    std::vector<SideSync> out;
    if (side_sync_source_) side_sync_source_(&out);
    return out;
  }
  // Runs `syncs` (without the execution lock), at the same time when there are several (each
  // syncs a different store; overlapping fsyncs share the device's flushes); the first failure
  // poisons the server and is returned. Thread-safe: the I/O threads' batches share the workers.
  Status RunSideSyncs(std::vector<SideSync>& syncs);

  // ---- client registry (thread-safe; see lock order) ----
  std::uint64_t NextClientId() { return next_client_id_.fetch_add(1) + 1; }
  void AddClient(std::shared_ptr<Client> client);
  void RemoveClient(std::uint64_t id);
  std::shared_ptr<Client> FindClient(std::uint64_t id) const;
  // A snapshot of the registry in id order. The [E] fields of the clients may be read only with
  // the execution lock held (CLIENT LIST runs with it).
  std::vector<std::shared_ptr<Client>> ListClients() const;
  std::size_t client_count() const;
  // A delivery to `client` under the output-buffer limit of its class (pub/sub messages,
  // MONITOR lines). REQUIRES: the execution lock (reads the client's [E] subscription state).
  bool DeliverTo(Client& client, std::string_view bytes, std::int64_t now_ms);

  // ---- slow log and command statistics (thread-safe) ----
  // The times around each command (command_clock.h). REQUIRES: the execution lock.
  CommandClock& command_clock() { return command_clock_; }
  // The dispatcher, after each command. REQUIRES: the execution lock.
  void RecordCommand(const CommandRecord& record);
  // REQUIRES: the execution lock (INFO, CONFIG RESETSTAT), or no command running (tests).
  std::map<std::string, CommandCounters> CommandStatsSnapshot() const;
  void ResetCommandStats();
  std::vector<SlowLogEntry> SlowLogGet(std::size_t count) const;  // newest first
  std::size_t SlowLogLen() const;
  void SlowLogReset();

  // ---- process facts (INFO server) ----
  const std::string& run_id() const { return run_id_; }  // 40 hex characters
  std::int64_t start_time_ms() const { return start_time_ms_; }
  static std::int64_t NowMs();  // unix ms, the system clock
  static std::int64_t NowUs();

  // ---- running ----
  // Binds every `bind` address on `port` (a clear error naming the port when it is in use),
  // starts the I/O threads and the cron, and serves until RequestShutdown; then stops
  // accepting, finishes the commands in flight, closes every client and returns. The keyspace
  // stays open (the caller closes it).
  Status Run();
  // Listeners bound (Run() has started accepting): the actual ports, for tests with port 0.
  std::vector<int> bound_ports() const;
  // Thread-safe and async-signal-safe (SIGTERM/SIGINT; SHUTDOWN): Run() returns soon.
  void RequestShutdown();
  bool shutdown_requested() const { return shutdown_.load(std::memory_order_acquire); }

 private:
  std::string config_file_;
  const CommandTable* const commands_;
  Keyspace* const keyspace_;
  ServerStats stats_;
  Mutex exec_mu_;
  // Registered with the keyspace (when there is one) from the constructor to the destructor.
  std::unique_ptr<KeyspaceEventPublisher> keyspace_events_;

  mutable Mutex config_mu_;
  std::shared_ptr<const ServerConfig> config_ GUARDED_BY(config_mu_);
  std::atomic<const ServerConfig*> exec_config_{nullptr};  // *config_ (see the lock rules)

  mutable Mutex services_mu_;
  std::vector<std::unique_ptr<ServerService>> services_ GUARDED_BY(services_mu_);
  std::vector<ServerService*> ServicesSnapshot() const;
  std::atomic<BlockingService*> blocking_{nullptr};  // set by BlockingService's constructor

  SideSyncSource side_sync_source_;  // guarded by the execution lock (see the lock rules)
  CommandClock command_clock_{&Server::NowUs};  // guarded by the execution lock
  // Up to 7 syncs beside the caller's own (8 partitions synced at once); threads start on need.
  ParallelRunner side_sync_runner_{7};

  std::atomic<bool> poisoned_{false};
  mutable Mutex poison_mu_;
  Status poison_status_ GUARDED_BY(poison_mu_);

  std::atomic<std::uint64_t> next_client_id_{0};
  mutable Mutex clients_mu_;
  std::map<std::uint64_t, std::shared_ptr<Client>> clients_ GUARDED_BY(clients_mu_);

  // Command stats, guarded by the execution lock (see the lock rules): counters by full name,
  // and the entry of each spec met (a spec always has the same full name), so counting a
  // command is one pointer-keyed lookup; the map's nodes are stable until a reset.
  std::map<std::string, CommandCounters> command_stats_;
  std::unordered_map<const CommandSpec*, CommandCounters*> command_stats_by_spec_;
  mutable Mutex stats_mu_;
  std::deque<SlowLogEntry> slowlog_ GUARDED_BY(stats_mu_);  // newest at the front
  std::uint64_t slowlog_next_id_ GUARDED_BY(stats_mu_) = 0;

  std::string run_id_;
  std::int64_t start_time_ms_;
  std::atomic<bool> shutdown_{false};
  // The running event loop's wake-up eventfd (-1 when not running): RequestShutdown writes it.
  std::atomic<int> shutdown_fd_{-1};
  mutable Mutex ports_mu_;
  std::vector<int> bound_ports_ GUARDED_BY(ports_mu_);
  friend class EventLoop;
  friend class BlockingService;
};

template <class T>
T& Server::Service() {
  MutexLock lock(&services_mu_);
  for (auto& s : services_) {
    if (auto* typed = dynamic_cast<T*>(s.get())) return *typed;
  }
  auto created = std::make_unique<T>(*this);
  T& ref = *created;
  services_.push_back(std::move(created));
  return ref;
}

}  // namespace larder::server

#endif  // LARDER_SERVER_SERVER_H_
