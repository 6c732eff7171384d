// ServerConfig: larderd's directives, read from a redis.conf-syntax file and/or command-line
// options (`larderd [file] [--directive value ...]`, later ones win), changed at run time by
// CONFIG SET where that makes sense, reported by CONFIG GET.
//
// Thread-safety: Parse*/Load are pure. A running server keeps its config under its own lock
// (server.h); readers take a copy or read under that lock.
#ifndef LARDER_SERVER_CONFIG_H_
#define LARDER_SERVER_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "larder/result.h"
#include "larder/status.h"
#include "server/keyspace.h"
#include "server/rank_cache.h"

namespace larder::server {

struct OutputBufferLimit {       // client-output-buffer-limit <class> <hard> <soft> <soft-seconds>
  std::uint64_t hard_bytes = 0;  // 0 = no limit
  std::uint64_t soft_bytes = 0;
  std::int64_t soft_seconds = 0;
};

struct ServerConfig {
  int port = 6379;
  std::vector<std::string> bind = {"127.0.0.1"};
  std::string dir = "./larder-data";
  std::string engine = "bolt";
  std::string queue_config;  // the queue storage layout file (docs/queue.md); empty: <dir>/queues
  // The time-series engine (docs/server.md, "Time series"): its directory (empty: <dir>/dbengine),
  // page cache and disk quota in MiB, direct I/O.
  std::string ts_dir;
  std::uint64_t ts_page_cache_mb = 32;
  std::uint64_t ts_disk_space_mb = 256;
  bool ts_direct_io = false;
  std::string requirepass;  // empty: no AUTH needed
  std::uint64_t maxclients = 10000;
  std::int64_t timeout_seconds = 0;  // idle client timeout; 0 = never
  int databases = 16;
  AppendFsync appendfsync = AppendFsync::kEverySec;
  std::uint64_t proto_max_bulk_len = 512ull * 1024 * 1024;
  std::uint64_t client_query_buffer_limit = 1024ull * 1024 * 1024;
  OutputBufferLimit output_normal{0, 0, 0};
  OutputBufferLimit output_replica{256ull << 20, 64ull << 20, 60};
  OutputBufferLimit output_pubsub{32ull << 20, 8ull << 20, 60};
  int io_threads = 0;               // 0: one per core but one, 1 to 8
  std::string loglevel = "notice";  // debug, verbose, notice, warning
  std::string logfile;              // empty: standard output
  std::int64_t slowlog_log_slower_than_us = 10000;
  std::uint64_t slowlog_max_len = 128;
  int tcp_backlog = 511;
  std::int64_t tcp_keepalive_seconds = 300;
  int hz = 10;
  std::string pidfile;  // empty: none
  // notify-keyspace-events: NotifyClass bits (keyspace_events.h); 0 = off.
  std::uint32_t notify_keyspace_events = 0;
  // A sparse HyperLogLog grows up to this many bytes (header included), then turns dense.
  std::uint64_t hll_sparse_max_bytes = 3000;
  // The in-memory rank indexes of sorted sets, sets and hashes (rank_cache.h): their budget
  // in MiB, least recently used dropped past it (a dropped index is rebuilt by its set's next
  // rank query). 0 keeps only the index last used, whatever its size.
  std::uint64_t rank_cache_mb = RankCache::kDefaultBudget >> 20;
  // How often the engine file is committed (a checkpoint: a synced commit of the writes since
  // the last, under the execution lock; docs/server.md, "Durability"), in milliseconds; at
  // least ten times the last commit's duration, up to 10 s (durability.cc).
  std::uint64_t checkpoint_interval_ms = 1000;
  // Among those below, the ones commands read, parsed when set (a name and its old alias set
  // the same field; the last one set wins): the sizes up to which OBJECT ENCODING reports a
  // sorted set as "listpack" (zset_store.h ZSetLimits), and a stream node's (stream_store.h
  // NodeLimits).
  std::uint64_t zset_max_listpack_entries = 128;  // zset-max-listpack-entries (-ziplist-)
  std::uint64_t zset_max_listpack_value = 64;     // zset-max-listpack-value (-ziplist-)
  std::uint64_t stream_node_max_entries = 100;    // stream-node-max-entries
  std::uint64_t stream_node_max_bytes = 4096;     // stream-node-max-bytes
  // Redis directives accepted and ignored (save, appendonly, hash-max-listpack-entries...; the
  // list is in config.cc and docs/server.md): name -> value as given, for CONFIG GET.
  std::map<std::string, std::string> ignored;
};

// "always", "everysec", "no" (the appendfsync directive's values).
std::string_view AppendFsyncName(AppendFsync mode);

// Applies one directive ("port", {"6380"}) to *config. Errors (InvalidArgument) name the directive
// and the bad value, e.g. "bad directive or value: port 'x' (argument couldn't be parsed into an
// integer)". Byte sizes take Redis's units (100kb, 512mb, 1gb; k/m/g are powers of 1000).
Status ApplyDirective(ServerConfig* config, std::string_view name,
                      const std::vector<std::string>& args);
// Parses redis.conf syntax (one directive per line, # comments, quoted arguments as Redis's
// sdssplitargs, `include <file>`). Errors name `origin` and the line: "<origin>:<line>: ...".
Status ApplyConfigText(ServerConfig* config, std::string_view text, std::string_view origin);
// larderd's command line: [config-file] [--directive value ...]; the file first, then the options
// in order (later ones win). A --directive takes every following argument up to the next "--".
Result<ServerConfig> LoadServerConfig(int argc, const char* const* argv);

// CONFIG GET/SET support: the directives CONFIG knows, with whether CONFIG SET may change them at
// run time. Values are rendered as Redis renders them (e.g. "client-output-buffer-limit" as
// "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", as Redis 7.0 does).
struct ConfigEntry {
  std::string_view name;
  bool mutable_at_runtime;
};
const std::vector<ConfigEntry>& ConfigEntries();
// The value of a directive CONFIG GET knows (name case-insensitive); NotFound otherwise.
Result<std::string> RenderConfigValue(const ServerConfig& config, std::string_view name);
// CONFIG SET name value: `value` is one argument as the client sent it (split into several for
// bind and client-output-buffer-limit, as Redis). NotFound for a directive CONFIG does not know;
// InvalidArgument with Redis 7.0's reason alone ("can't set immutable config", "argument
// couldn't be parsed into an integer", ...) otherwise. *config is unchanged on error.
Status SetConfigValue(ServerConfig* config, std::string_view name, std::string_view value);

}  // namespace larder::server

#endif  // LARDER_SERVER_CONFIG_H_
