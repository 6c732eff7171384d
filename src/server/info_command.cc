// INFO [section ...]: Redis 7.0's sections and field names where larderd has the fact, plus
// larder_* fields for what is its own (the engine, the log). Memory figures are the process's
// (heap in use, RSS, peak RSS): larderd's data lives on disk, not in the heap.
#include <malloc.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "larder/file_system.h"
#include "larder/version.h"
#include "server/args.h"
#include "server/blocking.h"
#include "server/client.h"
#include "server/keyspace.h"
#include "server/rank_cache.h"
#include "server/reply_builder.h"
#include "server/server.h"
#include "server/server_commands.h"

namespace larder::server {
namespace {

// Redis's bytesToHuman: 945.07K, 6.05M, ...
std::string BytesToHuman(std::uint64_t n) {
  static constexpr const char* kUnits[] = {"K", "M", "G", "T", "P"};
  if (n < 1024) return std::to_string(n) + "B";
  double v = static_cast<double>(n) / 1024;
  std::size_t unit = 0;
  while (v >= 1024 && unit + 1 < std::size(kUnits)) {
    v /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f%s", v, kUnits[unit]);
  return buf;
}

// The resident set size from /proc/self/statm (0 when it cannot be read).
std::uint64_t ResidentBytes() {
  OpenOptions options;
  options.read_only = true;
  Result<std::unique_ptr<File>> file = DefaultFileSystem()->Open("/proc/self/statm", options);
  if (!file.ok()) return 0;
  char buf[256] = {};
  Result<std::size_t> n = (*file)->ReadAt(
      0, std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(buf), sizeof(buf) - 1));
  if (!n.ok()) return 0;
  unsigned long long size_pages = 0;
  unsigned long long resident_pages = 0;
  if (std::sscanf(buf, "%llu %llu", &size_pages, &resident_pages) != 2) return 0;
  return resident_pages * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

class InfoWriter {
 public:
  explicit InfoWriter(std::string* out) : out_(out) {}
  void Section(std::string_view title) {
    if (!out_->empty()) out_->append("\r\n");
    out_->append("# ");
    out_->append(title);
    out_->append("\r\n");
  }
  void Field(std::string_view key, std::string_view value) {
    out_->append(key);
    out_->push_back(':');
    out_->append(value);
    out_->append("\r\n");
  }
  void Field(std::string_view key, std::uint64_t value) { Field(key, std::to_string(value)); }
  void Field(std::string_view key, std::int64_t value) { Field(key, std::to_string(value)); }
  void Field(std::string_view key, int value) { Field(key, std::to_string(value)); }

 private:
  std::string* out_;
};

std::uint64_t Load(const std::atomic<std::uint64_t>& counter) {
  return counter.load(std::memory_order_relaxed);
}

void ServerSection(Server& server, const ServerConfig& config, std::int64_t now_ms, InfoWriter& w) {
  w.Section("Server");
  w.Field("redis_version", "7.0.15");
  w.Field("larder_version", LARDER_VERSION_STRING);
  w.Field("redis_git_sha1", "00000000");
  w.Field("redis_git_dirty", 0);
  w.Field("redis_mode", "standalone");
  struct utsname name;
  if (uname(&name) == 0) {
    w.Field("os", std::string(name.sysname) + " " + name.release + " " + name.machine);
  }
  w.Field("arch_bits", static_cast<int>(sizeof(void*) * 8));
  w.Field("multiplexing_api", "epoll");
  w.Field("process_id", static_cast<std::int64_t>(getpid()));
  w.Field("run_id", server.run_id());
  const std::vector<int> ports = server.bound_ports();
  w.Field("tcp_port", ports.empty() ? config.port : ports.front());
  w.Field("server_time_usec", Server::NowUs());
  const std::int64_t uptime_s = (now_ms - server.start_time_ms()) / 1000;
  w.Field("uptime_in_seconds", uptime_s);
  w.Field("uptime_in_days", uptime_s / 86400);
  w.Field("hz", config.hz);
  w.Field("configured_hz", config.hz);
  w.Field("config_file", server.config_file());
  w.Field("io_threads", config.io_threads);
  w.Field("larder_engine", config.engine);
  w.Field("larder_dir", config.dir);
}

void ClientsSection(Server& server, const ServerConfig& config, InfoWriter& w) {
  w.Section("Clients");
  w.Field("connected_clients", static_cast<std::uint64_t>(server.client_count()));
  w.Field("cluster_connections", 0);
  w.Field("maxclients", config.maxclients);
  // The execution lock is held (INFO is a command): the blocking service's count may be read.
  const BlockingService* blocking = server.blocking_service();
  w.Field("blocked_clients",
          static_cast<std::uint64_t>(blocking != nullptr ? blocking->blocked_clients() : 0));
  w.Field("tracking_clients", 0);
}

void MemorySection(Server& server, InfoWriter& w) {
  const struct mallinfo2 heap = mallinfo2();
  const std::uint64_t used = heap.uordblks + heap.hblkhd;
  const std::uint64_t rss = ResidentBytes();
  struct rusage usage;
  std::uint64_t peak = 0;
  if (getrusage(RUSAGE_SELF, &usage) == 0)
    peak = static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;
  w.Section("Memory");
  w.Field("used_memory", used);
  w.Field("used_memory_human", BytesToHuman(used));
  w.Field("used_memory_rss", rss);
  w.Field("used_memory_rss_human", BytesToHuman(rss));
  w.Field("used_memory_peak", peak);
  w.Field("used_memory_peak_human", BytesToHuman(peak));
  w.Field("maxmemory", 0);
  w.Field("maxmemory_human", "0B");
  w.Field("maxmemory_policy", "noeviction");
  char ratio[32];
  std::snprintf(ratio, sizeof(ratio), "%.2f",
                used == 0 ? 0.0 : static_cast<double>(rss) / static_cast<double>(used));
  w.Field("mem_fragmentation_ratio", ratio);
  w.Field("mem_allocator", "libc");
  // The in-memory rank indexes of sorted sets, sets and hashes (rank_cache.h), shared by every
  // db.
  if (const RankCache* ranks = server.keyspace().db(0).rank_cache()) {
    w.Field("larder_rank_indexes", static_cast<std::uint64_t>(ranks->entries()));
    w.Field("larder_rank_index_bytes", static_cast<std::uint64_t>(ranks->bytes()));
    w.Field("larder_rank_index_builds", ranks->builds());
    w.Field("larder_rank_index_evictions", ranks->evictions());
  }
  // The engine's memory kept for its next transactions while writes go on (durability.h).
  w.Field("larder_engine_cached_bytes", server.keyspace().stats().engine_cached_bytes);
}

void PersistenceSection(Server& server, const ServerConfig& config, InfoWriter& w) {
  const KeyspaceStats stats = server.keyspace().stats();
  w.Section("Persistence");
  w.Field("loading", 0);
  w.Field("async_loading", 0);
  w.Field("rdb_changes_since_last_save", stats.changes_since_save);
  w.Field("rdb_bgsave_in_progress", stats.bgsave_in_progress ? 1 : 0);
  w.Field("rdb_last_save_time", stats.last_save_unix);
  w.Field("rdb_last_bgsave_status", stats.last_bgsave_status.ok() ? "ok" : "err");
  w.Field("aof_enabled", 1);  // the write-ahead log is always on
  w.Field("aof_rewrite_in_progress", 0);
  w.Field("aof_last_write_status", server.poisoned() ? "err" : "ok");
  w.Field("larder_appendfsync", AppendFsyncName(config.appendfsync));
  w.Field("larder_log_commits", stats.commits);
  w.Field("larder_log_fsyncs", stats.fsyncs);
  w.Field("larder_log_bytes", stats.log_bytes);
  w.Field("larder_checkpoints", stats.checkpoints);
  w.Field("larder_checkpoint_last_usec", stats.checkpoint_last_usec);
  w.Field("larder_checkpoint_usec", stats.checkpoint_total_usec);
  w.Field("larder_data_file_bytes", stats.data_file_bytes);
}

void StatsSection(Server& server, InfoWriter& w) {
  ServerStats& s = server.stats();
  const KeyspaceStats ks = server.keyspace().stats();
  w.Section("Stats");
  w.Field("total_connections_received", Load(s.connections_received));
  w.Field("total_commands_processed", Load(s.commands_processed));
  w.Field("total_net_input_bytes", Load(s.net_input_bytes));
  w.Field("total_net_output_bytes", Load(s.net_output_bytes));
  w.Field("rejected_connections", Load(s.rejected_connections));
  w.Field("expired_keys", ks.expired_keys);
  w.Field("evicted_keys", 0);
  w.Field("keyspace_hits", Load(s.keyspace_hits));
  w.Field("keyspace_misses", Load(s.keyspace_misses));
  w.Field("total_error_replies", Load(s.error_replies));
  w.Field("client_query_buffer_limit_disconnections",
          Load(s.client_query_buffer_limit_disconnections));
  w.Field("client_output_buffer_limit_disconnections",
          Load(s.client_output_buffer_limit_disconnections));
  w.Field("larder_timeout_disconnections", Load(s.timeout_disconnections));
  w.Field("larder_protocol_errors", Load(s.protocol_errors));
}

void ReplicationSection(Server& server, InfoWriter& w) {
  w.Section("Replication");
  w.Field("role", "master");
  w.Field("connected_slaves", 0);
  w.Field("master_failover_state", "no-failover");
  w.Field("master_replid", server.run_id());
  w.Field("master_repl_offset", 0);
}

void CpuSection(InfoWriter& w) {
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0) return;
  char buf[48];
  w.Section("CPU");
  std::snprintf(buf, sizeof(buf), "%ld.%06ld", static_cast<long>(usage.ru_stime.tv_sec),
                static_cast<long>(usage.ru_stime.tv_usec));
  w.Field("used_cpu_sys", buf);
  std::snprintf(buf, sizeof(buf), "%ld.%06ld", static_cast<long>(usage.ru_utime.tv_sec),
                static_cast<long>(usage.ru_utime.tv_usec));
  w.Field("used_cpu_user", buf);
}

void CommandStatsSection(Server& server, InfoWriter& w) {
  w.Section("Commandstats");
  for (const auto& [name, c] : server.CommandStatsSnapshot()) {
    char per_call[32];
    std::snprintf(per_call, sizeof(per_call), "%.2f",
                  c.calls == 0 ? 0.0 : static_cast<double>(c.usec) / static_cast<double>(c.calls));
    w.Field("cmdstat_" + name, "calls=" + std::to_string(c.calls) + ",usec=" +
                                   std::to_string(c.usec) + ",usec_per_call=" + per_call +
                                   ",rejected_calls=" + std::to_string(c.rejected_calls) +
                                   ",failed_calls=" + std::to_string(c.failed_calls));
  }
}

Status KeyspaceSection(Server& server, InfoWriter& w) {
  w.Section("Keyspace");
  Keyspace& keyspace = server.keyspace();
  for (int i = 0; i < keyspace.databases(); ++i) {
    Database& db = keyspace.db(i);
    LARDER_ASSIGN_OR_RETURN(const std::uint64_t keys, db.KeyCount());
    if (keys == 0) continue;
    LARDER_ASSIGN_OR_RETURN(const std::uint64_t expires, db.ExpiringKeyCount());
    w.Field("db" + std::to_string(i),
            "keys=" + std::to_string(keys) + ",expires=" + std::to_string(expires) + ",avg_ttl=0");
  }
  return Status::Ok();
}

// The sections in Redis's order; `in_default` ones make INFO without arguments.
struct SectionName {
  std::string_view name;
  bool in_default;
};
constexpr SectionName kSections[] = {
    {"server", true},  {"clients", true},     {"memory", true}, {"persistence", true},
    {"stats", true},   {"replication", true}, {"cpu", true},    {"commandstats", false},
    {"cluster", true}, {"keyspace", true},
};

Status Info(CommandContext& ctx) {
  Result<std::string> text = BuildInfo(ctx.server, ctx.argv.subspan(1), ctx.now_ms);
  if (!text.ok()) return text.status();
  ctx.reply.Verbatim(*text);
  return Status::Ok();
}

}  // namespace

Result<std::string> BuildInfo(Server& server, std::span<const std::string_view> sections,
                              std::int64_t now_ms) {
  std::vector<bool> wanted(std::size(kSections), false);
  bool any = false;
  for (std::string_view s : sections) {
    any = true;
    const bool all = EqualsIgnoreCase(s, "all") || EqualsIgnoreCase(s, "everything");
    for (std::size_t i = 0; i < std::size(kSections); ++i) {
      if (all || (EqualsIgnoreCase(s, "default") && kSections[i].in_default) ||
          EqualsIgnoreCase(s, kSections[i].name)) {
        wanted[i] = true;
      }
    }
  }
  if (!any) {
    for (std::size_t i = 0; i < std::size(kSections); ++i) wanted[i] = kSections[i].in_default;
  }
  const auto config = server.config();
  std::string out;
  InfoWriter w(&out);
  for (std::size_t i = 0; i < std::size(kSections); ++i) {
    if (!wanted[i]) continue;
    const std::string_view name = kSections[i].name;
    if (name == "server") ServerSection(server, *config, now_ms, w);
    if (name == "clients") ClientsSection(server, *config, w);
    if (name == "memory") MemorySection(server, w);
    if (name == "persistence") PersistenceSection(server, *config, w);
    if (name == "stats") StatsSection(server, w);
    if (name == "replication") ReplicationSection(server, w);
    if (name == "cpu") CpuSection(w);
    if (name == "commandstats") CommandStatsSection(server, w);
    if (name == "cluster") {
      w.Section("Cluster");
      w.Field("cluster_enabled", 0);
    }
    if (name == "keyspace") LARDER_RETURN_IF_ERROR(KeyspaceSection(server, w));
  }
  return out;
}

CommandSpec MakeInfoCommand() {
  return CommandSpec{"info",  -1,       kCmdLoading | kCmdStale,
                     0,       0,        0,
                     Info,    "server", "Get information and statistics about the server",
                     "1.0.0", {}};
}

}  // namespace larder::server
