#include "server/config.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>

#include "larder/file_system.h"
#include "server/args.h"
#include "server/keyspace_events.h"

namespace larder::server {
namespace {

using Args = std::vector<std::string>;
// Why a value was refused, in Redis 7.0's words (CONFIG SET prints them); nullopt when applied.
using Reason = std::optional<std::string>;

constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kUIntMax = std::numeric_limits<std::uint32_t>::max();
constexpr int kMaxIncludeDepth = 16;
constexpr std::uint64_t kMaxConfigFileBytes = 16u << 20;
constexpr std::size_t kMaxBindAddresses = 16;  // Redis's CONFIG_BINDADDR_MAX

const std::string kWrongArgs = "wrong number of arguments";

std::string Join(const Args& args) {
  std::string out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i) out += ' ';
    out += args[i];
  }
  return out;
}

// Redis's memtoll: an integer with an optional unit b, k (1000), kb (1024), m, mb, g, gb, in
// any case. nullopt on a malformed value or an overflow.
std::optional<std::int64_t> ParseMemory(std::string_view s) {
  std::size_t digits = 0;
  while (digits < s.size() && (std::isdigit(static_cast<unsigned char>(s[digits])) ||
                               (digits == 0 && s[digits] == '-'))) {
    ++digits;
  }
  const std::string unit = ToLower(s.substr(digits));
  static const std::pair<std::string_view, std::int64_t> kUnits[] = {
      {"", 1},           {"b", 1},
      {"k", 1000},       {"kb", 1024},
      {"m", 1000000},    {"mb", 1024 * 1024},
      {"g", 1000000000}, {"gb", 1024 * 1024 * 1024}};
  const auto* found = std::find_if(std::begin(kUnits), std::end(kUnits),
                                   [&](const auto& u) { return u.first == unit; });
  if (found == std::end(kUnits)) return std::nullopt;
  const std::optional<std::int64_t> n = ParseInt64(s.substr(0, digits));
  if (!n) return std::nullopt;
  std::int64_t bytes = 0;
  if (__builtin_mul_overflow(*n, found->second, &bytes)) return std::nullopt;
  return bytes;
}

std::string RangeReason(std::int64_t min, std::int64_t max) {
  return "argument must be between " + std::to_string(min) + " and " + std::to_string(max) +
         " inclusive";
}

// An integer directive within [Min, Max]; kBytes: a byte size with Redis's units.
template <auto Member, std::int64_t Min, std::int64_t Max, bool kBytes = false>
Reason ApplyInt(ServerConfig& c, const Args& a) {
  if (a.size() != 1) return kWrongArgs;
  const std::optional<std::int64_t> v = kBytes ? ParseMemory(a[0]) : ParseInt64(a[0]);
  if (!v) {
    return kBytes ? "argument must be a memory value"
                  : "argument couldn't be parsed into an integer";
  }
  if (*v < Min || *v > Max) return RangeReason(Min, Max);
  c.*Member = static_cast<std::remove_reference_t<decltype(c.*Member)>>(*v);
  return std::nullopt;
}

template <auto Member, std::int64_t Min, std::int64_t Max>
Reason ApplyMemory(ServerConfig& c, const Args& a) {
  return ApplyInt<Member, Min, Max, true>(c, a);
}

template <auto Member>
std::string RenderNumber(const ServerConfig& c) {
  return std::to_string(c.*Member);
}

template <auto Member>
Reason ApplyString(ServerConfig& c, const Args& a) {
  if (a.size() != 1) return kWrongArgs;
  c.*Member = a[0];
  return std::nullopt;
}

template <auto Member>
std::string RenderString(const ServerConfig& c) {
  return c.*Member;
}

Reason OneOf(const Args& a, std::initializer_list<std::string_view> choices, std::string* out) {
  if (a.size() != 1) return kWrongArgs;
  for (std::string_view choice : choices) {
    if (EqualsIgnoreCase(a[0], choice)) {
      *out = std::string(choice);
      return std::nullopt;
    }
  }
  std::string reason = "argument(s) must be one of the following: ";
  bool first = true;
  for (std::string_view choice : choices) {
    if (!first) reason += ", ";
    reason += choice;
    first = false;
  }
  return reason;
}

Reason ApplyAppendFsync(ServerConfig& c, const Args& a) {
  std::string v;
  if (Reason r = OneOf(a, {"everysec", "always", "no"}, &v)) return r;
  c.appendfsync = v == "always" ? AppendFsync::kAlways
                  : v == "no"   ? AppendFsync::kNo
                                : AppendFsync::kEverySec;
  return std::nullopt;
}

std::string RenderAppendFsync(const ServerConfig& c) {
  return std::string(AppendFsyncName(c.appendfsync));
}

Reason ApplyTsDirectIo(ServerConfig& c, const Args& a) {
  std::string v;
  if (Reason r = OneOf(a, {"yes", "no"}, &v)) return r;
  c.ts_direct_io = v == "yes";
  return std::nullopt;
}

std::string RenderTsDirectIo(const ServerConfig& c) { return c.ts_direct_io ? "yes" : "no"; }

Reason ApplyLogLevel(ServerConfig& c, const Args& a) {
  return OneOf(a, {"debug", "verbose", "notice", "warning"}, &c.loglevel);
}

Reason ApplyEngine(ServerConfig& c, const Args& a) { return OneOf(a, {"bolt", "lsm"}, &c.engine); }

Reason ApplyBind(ServerConfig& c, const Args& a) {
  if (a.empty() || a.size() > kMaxBindAddresses) return "Too many bind addresses specified.";
  for (const std::string& address : a) {
    if (address.empty()) return "bind address must not be empty";
  }
  c.bind = a;
  return std::nullopt;
}

std::string RenderBind(const ServerConfig& c) { return Join(c.bind); }

Reason ApplyDir(ServerConfig& c, const Args& a) {
  if (a.size() != 1) return kWrongArgs;
  if (a[0].empty()) return "dir must not be empty";
  c.dir = a[0];
  return std::nullopt;
}

Reason ApplyHz(ServerConfig& c, const Args& a) {
  if (Reason r = ApplyInt<&ServerConfig::hz, 0, kIntMax>(c, a)) return r;
  c.hz = std::clamp(c.hz, 1, 500);  // as Redis: silently kept within 1..500
  return std::nullopt;
}

// client-output-buffer-limit <class> <hard> <soft> <soft-seconds> [<class> ...]
Reason ApplyOutputBufferLimit(ServerConfig& c, const Args& a) {
  if (a.empty() || a.size() % 4 != 0) {
    return "Wrong number of arguments in buffer limit configuration.";
  }
  ServerConfig updated = c;
  for (std::size_t i = 0; i < a.size(); i += 4) {
    const std::string cls = ToLower(a[i]);
    OutputBufferLimit* limit = cls == "normal"                      ? &updated.output_normal
                               : cls == "replica" || cls == "slave" ? &updated.output_replica
                               : cls == "pubsub"                    ? &updated.output_pubsub
                                                                    : nullptr;
    if (limit == nullptr) return "Invalid client class specified in buffer limit configuration.";
    const std::optional<std::int64_t> hard = ParseMemory(a[i + 1]);
    const std::optional<std::int64_t> soft = ParseMemory(a[i + 2]);
    const std::optional<std::int64_t> seconds = ParseInt64(a[i + 3]);
    if (!hard || !soft || !seconds || *hard < 0 || *soft < 0 || *seconds < 0) {
      return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
    }
    *limit = {static_cast<std::uint64_t>(*hard), static_cast<std::uint64_t>(*soft), *seconds};
  }
  c = std::move(updated);
  return std::nullopt;
}

std::string RenderOutputBufferLimit(const ServerConfig& c) {
  std::string out;
  auto add = [&](std::string_view cls, const OutputBufferLimit& l) {
    if (!out.empty()) out += ' ';
    out += std::string(cls) + " " + std::to_string(l.hard_bytes) + " " +
           std::to_string(l.soft_bytes) + " " + std::to_string(l.soft_seconds);
  };
  add("normal", c.output_normal);
  add("slave", c.output_replica);  // Redis 7.0 still prints the old class name
  add("pubsub", c.output_pubsub);
  return out;
}

Reason ApplyNotifyKeyspaceEvents(ServerConfig& c, const Args& a) {
  if (a.size() != 1) return kWrongArgs;
  const std::optional<std::uint32_t> flags = ParseNotifyClasses(a[0]);
  if (!flags) return std::string(kNotifyClassesError);
  c.notify_keyspace_events = *flags;
  return std::nullopt;
}

std::string RenderNotifyKeyspaceEvents(const ServerConfig& c) {
  return NotifyClassesToString(c.notify_keyspace_events);
}

struct Directive {
  std::string_view name;
  bool mutable_at_runtime;
  bool multi_arg;  // CONFIG SET splits the value into several arguments
  Reason (*apply)(ServerConfig&, const Args&);
  std::string (*render)(const ServerConfig&);
};

using C = ServerConfig;
const Directive kDirectives[] = {
    {"port", false, false, ApplyInt<&C::port, 0, 65535>, RenderNumber<&C::port>},
    {"bind", false, true, ApplyBind, RenderBind},
    {"dir", false, false, ApplyDir, RenderString<&C::dir>},
    {"engine", false, false, ApplyEngine, RenderString<&C::engine>},
    {"queue-config", false, false, ApplyString<&C::queue_config>, RenderString<&C::queue_config>},
    {"ts-dir", false, false, ApplyString<&C::ts_dir>, RenderString<&C::ts_dir>},
    {"ts-page-cache-mb", false, false, ApplyInt<&C::ts_page_cache_mb, 1, 1 << 20>,
     RenderNumber<&C::ts_page_cache_mb>},
    {"ts-disk-space-mb", false, false, ApplyInt<&C::ts_disk_space_mb, 1, 1 << 30>,
     RenderNumber<&C::ts_disk_space_mb>},
    {"ts-direct-io", false, false, ApplyTsDirectIo, RenderTsDirectIo},
    {"rank-cache-mb", false, false, ApplyInt<&C::rank_cache_mb, 0, 1 << 20>,
     RenderNumber<&C::rank_cache_mb>},
    {"checkpoint-interval-ms", false, false, ApplyInt<&C::checkpoint_interval_ms, 10, 3'600'000>,
     RenderNumber<&C::checkpoint_interval_ms>},
    {"requirepass", true, false, ApplyString<&C::requirepass>, RenderString<&C::requirepass>},
    {"maxclients", true, false, ApplyInt<&C::maxclients, 1, kUIntMax>,
     RenderNumber<&C::maxclients>},
    {"timeout", true, false, ApplyInt<&C::timeout_seconds, 0, kIntMax>,
     RenderNumber<&C::timeout_seconds>},
    {"databases", false, false, ApplyInt<&C::databases, 1, kIntMax>, RenderNumber<&C::databases>},
    {"appendfsync", true, false, ApplyAppendFsync, RenderAppendFsync},
    {"proto-max-bulk-len", true, false, ApplyMemory<&C::proto_max_bulk_len, 1 << 20, kInt64Max>,
     RenderNumber<&C::proto_max_bulk_len>},
    {"client-query-buffer-limit", true, false,
     ApplyMemory<&C::client_query_buffer_limit, 1 << 20, kInt64Max>,
     RenderNumber<&C::client_query_buffer_limit>},
    {"client-output-buffer-limit", true, true, ApplyOutputBufferLimit, RenderOutputBufferLimit},
    {"io-threads", false, false, ApplyInt<&C::io_threads, 0, 128>, RenderNumber<&C::io_threads>},
    {"loglevel", true, false, ApplyLogLevel, RenderString<&C::loglevel>},
    {"logfile", false, false, ApplyString<&C::logfile>, RenderString<&C::logfile>},
    {"slowlog-log-slower-than", true, false,
     ApplyInt<&C::slowlog_log_slower_than_us, -1, kInt64Max>,
     RenderNumber<&C::slowlog_log_slower_than_us>},
    {"slowlog-max-len", true, false, ApplyInt<&C::slowlog_max_len, 0, kInt64Max>,
     RenderNumber<&C::slowlog_max_len>},
    {"tcp-backlog", false, false, ApplyInt<&C::tcp_backlog, 0, kIntMax>,
     RenderNumber<&C::tcp_backlog>},
    {"tcp-keepalive", true, false, ApplyInt<&C::tcp_keepalive_seconds, 0, kIntMax>,
     RenderNumber<&C::tcp_keepalive_seconds>},
    {"hz", true, false, ApplyHz, RenderNumber<&C::hz>},
    {"pidfile", false, false, ApplyString<&C::pidfile>, RenderString<&C::pidfile>},
    {"notify-keyspace-events", true, false, ApplyNotifyKeyspaceEvents, RenderNotifyKeyspaceEvents},
    {"hll-sparse-max-bytes", true, false, ApplyMemory<&C::hll_sparse_max_bytes, 0, kInt64Max>,
     RenderNumber<&C::hll_sparse_max_bytes>},
};

// Redis directives that larderd accepts and ignores because they have no meaning here (RDB and
// AOF files, encodings of in-memory types, memory eviction...) yet stock configurations and
// clients set or read them. Each keeps its value for CONFIG GET. `yes_no` ones must be yes/no.
// Those Redis cannot change at run time are immutable here too.
struct IgnoredDirective {
  std::string_view name;
  std::string_view default_value;
  bool yes_no;
  bool mutable_at_runtime = true;
  // The ServerConfig field the value is also parsed into, for the few that commands read
  // (config.h); its default in config.h is default_value's.
  std::uint64_t ServerConfig::*parsed = nullptr;
};
const IgnoredDirective kIgnored[] = {
    {"save", "", false},
    {"appendonly", "no", true},
    {"daemonize", "no", true, false},
    {"protected-mode", "yes", true},
    {"supervised", "no", false, false},
    {"always-show-logo", "no", true, false},
    {"set-proc-title", "yes", true, false},
    {"proc-title-template", "{title} {listen-addr} {server-mode}", false},
    {"stop-writes-on-bgsave-error", "yes", true},
    {"rdbcompression", "yes", true},
    {"rdbchecksum", "yes", true},
    {"rdb-save-incremental-fsync", "yes", true},
    {"dbfilename", "dump.rdb", false},
    {"appendfilename", "appendonly.aof", false, false},
    {"appenddirname", "appendonlydir", false, false},
    {"no-appendfsync-on-rewrite", "no", true},
    {"auto-aof-rewrite-percentage", "100", false},
    {"auto-aof-rewrite-min-size", "67108864", false},
    {"aof-load-truncated", "yes", true},
    {"aof-use-rdb-preamble", "yes", true},
    {"aof-rewrite-incremental-fsync", "yes", true},
    {"aof-timestamp-enabled", "no", true},
    {"lua-time-limit", "5000", false},
    {"busy-reply-threshold", "5000", false},
    {"latency-monitor-threshold", "0", false},
    {"latency-tracking", "yes", true},
    {"maxmemory", "0", false},
    {"maxmemory-clients", "0", false},
    {"repl-backlog-size", "1048576", false},
    {"maxmemory-policy", "noeviction", false},
    {"maxmemory-samples", "5", false},
    {"lfu-log-factor", "10", false},
    {"lfu-decay-time", "1", false},
    {"lazyfree-lazy-eviction", "no", true},
    {"lazyfree-lazy-expire", "no", true},
    {"lazyfree-lazy-server-del", "no", true},
    {"lazyfree-lazy-user-del", "no", true},
    {"lazyfree-lazy-user-flush", "no", true},
    {"activerehashing", "yes", true},
    {"activedefrag", "no", true},
    {"dynamic-hz", "yes", true},
    {"jemalloc-bg-thread", "yes", true},
    {"hash-max-listpack-entries", "128", false},
    {"hash-max-listpack-value", "64", false},
    {"hash-max-ziplist-entries", "128", false},
    {"hash-max-ziplist-value", "64", false},
    {"list-max-listpack-size", "-2", false},
    {"list-max-ziplist-size", "-2", false},
    {"list-compress-depth", "0", false},
    {"set-max-intset-entries", "512", false},
    {"zset-max-listpack-entries", "128", false, true, &ServerConfig::zset_max_listpack_entries},
    {"zset-max-listpack-value", "64", false, true, &ServerConfig::zset_max_listpack_value},
    {"zset-max-ziplist-entries", "128", false, true, &ServerConfig::zset_max_listpack_entries},
    {"zset-max-ziplist-value", "64", false, true, &ServerConfig::zset_max_listpack_value},
    {"stream-node-max-bytes", "4096", false, true, &ServerConfig::stream_node_max_bytes},
    {"stream-node-max-entries", "100", false, true, &ServerConfig::stream_node_max_entries},
    {"oom-score-adj", "no", false},
    {"oom-score-adj-values", "0 200 800", false},
    {"disable-thp", "yes", true, false},
    {"crash-log-enabled", "yes", true},
    {"crash-memcheck-enabled", "yes", true},
    {"syslog-enabled", "no", true, false},
    {"syslog-ident", "redis", false, false},
    {"syslog-facility", "local0", false, false},
    // Replication settings of a master: meaningless without replicas (becoming a replica,
    // replicaof, is not accepted).
    {"repl-diskless-sync", "yes", true},
    {"repl-diskless-sync-delay", "5", false},
    {"repl-diskless-sync-max-replicas", "0", false},
    {"repl-diskless-load", "disabled", false},
    {"repl-disable-tcp-nodelay", "no", true},
    {"replica-serve-stale-data", "yes", true},
    {"replica-read-only", "yes", true},
    {"replica-priority", "100", false},
    {"replica-lazy-flush", "no", true},
    {"rdb-del-sync-files", "no", true},
    {"acllog-max-len", "128", false},
    // Replication: a master's settings, always empty (CONFIG GET shows both names, as Redis).
    {"replicaof", "", false, false},
    {"slaveof", "", false, false},
};

const Directive* FindDirective(std::string_view name) {
  for (const Directive& d : kDirectives) {
    if (EqualsIgnoreCase(d.name, name)) return &d;
  }
  return nullptr;
}

// The ignored directives whose values Redis checks (CONFIG SET and the config file refuse what
// Redis refuses, with its reasons): integers in a range, memory values (stored as the number of
// bytes, as CONFIG GET shows them), or one of a list.
struct IgnoredCheck {
  std::string_view name;
  // kMemoryOrPercent: a memory value or "N%" (N <= 100); kEmpty: only "" (a feature larderd
  // does not have, named by the reason in `choices`).
  enum Kind { kInteger, kMemory, kMemoryOrPercent, kOneOf, kEmpty } kind;
  std::int64_t min = 0;
  std::int64_t max = kInt64Max;
  std::initializer_list<std::string_view> choices = {};
};
const IgnoredCheck kIgnoredChecks[] = {
    {"maxmemory", IgnoredCheck::kMemory},
    {"maxmemory-clients", IgnoredCheck::kMemoryOrPercent},
    {"replicaof", IgnoredCheck::kEmpty, 0, 0, {"replication is not supported by larderd"}},
    {"slaveof", IgnoredCheck::kEmpty, 0, 0, {"replication is not supported by larderd"}},
    {"repl-backlog-size", IgnoredCheck::kMemory},
    {"auto-aof-rewrite-min-size", IgnoredCheck::kMemory},
    {"hash-max-listpack-value", IgnoredCheck::kMemory},
    {"hash-max-ziplist-value", IgnoredCheck::kMemory},
    {"zset-max-listpack-value", IgnoredCheck::kMemory},
    {"zset-max-ziplist-value", IgnoredCheck::kMemory},
    {"stream-node-max-bytes", IgnoredCheck::kMemory},
    {"lua-time-limit", IgnoredCheck::kInteger},
    {"busy-reply-threshold", IgnoredCheck::kInteger},
    {"latency-monitor-threshold", IgnoredCheck::kInteger},
    {"hash-max-listpack-entries", IgnoredCheck::kInteger},
    {"hash-max-ziplist-entries", IgnoredCheck::kInteger},
    {"set-max-intset-entries", IgnoredCheck::kInteger},
    {"zset-max-listpack-entries", IgnoredCheck::kInteger},
    {"zset-max-ziplist-entries", IgnoredCheck::kInteger},
    {"stream-node-max-entries", IgnoredCheck::kInteger},
    {"acllog-max-len", IgnoredCheck::kInteger},
    {"maxmemory-samples", IgnoredCheck::kInteger, 1, kIntMax},
    {"list-max-listpack-size", IgnoredCheck::kInteger, -kIntMax - 1, kIntMax},
    {"list-max-ziplist-size", IgnoredCheck::kInteger, -kIntMax - 1, kIntMax},
    {"list-compress-depth", IgnoredCheck::kInteger, 0, kIntMax},
    {"auto-aof-rewrite-percentage", IgnoredCheck::kInteger, 0, kIntMax},
    {"lfu-log-factor", IgnoredCheck::kInteger, 0, kIntMax},
    {"lfu-decay-time", IgnoredCheck::kInteger, 0, kIntMax},
    {"repl-diskless-sync-delay", IgnoredCheck::kInteger, 0, kIntMax},
    {"repl-diskless-sync-max-replicas", IgnoredCheck::kInteger, 0, kIntMax},
    {"replica-priority", IgnoredCheck::kInteger, 0, kIntMax},
    {"maxmemory-policy",
     IgnoredCheck::kOneOf,
     0,
     0,
     {"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru",
      "allkeys-lfu", "allkeys-random", "noeviction"}},
    {"repl-diskless-load", IgnoredCheck::kOneOf, 0, 0, {"disabled", "on-empty-db", "swapdb"}},
    {"oom-score-adj", IgnoredCheck::kOneOf, 0, 0, {"no", "yes", "relative", "absolute"}},
};

// Checks `a` as Redis checks the directive; on success *value is what CONFIG GET shows.
Reason CheckIgnored(std::string_view name, const Args& a, std::string* value) {
  for (const IgnoredCheck& check : kIgnoredChecks) {
    if (check.name != name) continue;
    if (check.kind == IgnoredCheck::kEmpty) {
      if (!Join(a).empty()) return std::string(*check.choices.begin());
      return std::nullopt;
    }
    if (a.size() != 1) return kWrongArgs;
    if (check.kind == IgnoredCheck::kOneOf) return OneOf(a, check.choices, value);
    if (check.kind == IgnoredCheck::kMemoryOrPercent && !a[0].empty() && a[0].back() == '%') {
      const std::optional<std::int64_t> percent =
          ParseInt64(std::string_view(a[0]).substr(0, a[0].size() - 1));
      if (!percent || *percent < 0) return "argument must be a memory or percent value";
      if (*percent > 100) return "percentage argument must be less or equal to 100";
      return std::nullopt;
    }
    if (check.kind == IgnoredCheck::kMemoryOrPercent) {
      const std::optional<std::int64_t> bytes = ParseMemory(a[0]);
      if (!bytes || *bytes < 0) return "argument must be a memory or percent value";
      *value = std::to_string(*bytes);
      return std::nullopt;
    }
    if (check.kind == IgnoredCheck::kMemory) {
      const std::optional<std::int64_t> bytes = ParseMemory(a[0]);
      if (!bytes || *bytes < 0) return "argument must be a memory value";
      *value = std::to_string(*bytes);
      return std::nullopt;
    }
    const std::optional<std::int64_t> n = ParseInt64(a[0]);
    if (!n) return "argument couldn't be parsed into an integer";
    if (*n < check.min || *n > check.max) return RangeReason(check.min, check.max);
    *value = std::to_string(*n);
    return std::nullopt;
  }
  return std::nullopt;
}

const IgnoredDirective* FindIgnored(std::string_view name) {
  for (const IgnoredDirective& d : kIgnored) {
    if (EqualsIgnoreCase(d.name, name)) return &d;
  }
  return nullptr;
}

Reason ApplyIgnored(ServerConfig& c, const IgnoredDirective& d, const Args& a) {
  if (d.yes_no) {
    if (a.size() != 1) return kWrongArgs;
    if (!EqualsIgnoreCase(a[0], "yes") && !EqualsIgnoreCase(a[0], "no")) {
      return "argument must be 'yes' or 'no'";
    }
    if (d.name == "daemonize" && EqualsIgnoreCase(a[0], "yes")) {
      return "larderd does not daemonize: run it in the foreground under a service manager";
    }
  }
  std::string value = d.yes_no ? ToLower(a[0]) : Join(a);
  if (Reason r = CheckIgnored(d.name, a, &value)) return r;
  if (d.parsed != nullptr) {
    const std::optional<std::int64_t> n = ParseInt64(value);  // CheckIgnored made it a number
    if (n && *n >= 0) c.*d.parsed = static_cast<std::uint64_t>(*n);
  }
  c.ignored[std::string(d.name)] = std::move(value);
  return std::nullopt;
}

// Applies a directive; NotFound when unknown, otherwise the reason in the status's message.
Status Apply(ServerConfig* config, std::string_view name, const Args& args) {
  Reason reason;
  if (const Directive* d = FindDirective(name)) {
    reason = d->apply(*config, args);
  } else if (const IgnoredDirective* ignored = FindIgnored(name)) {
    reason = ApplyIgnored(*config, *ignored, args);
  } else {
    return Status::NotFound(name);
  }
  return reason ? Status::InvalidArgument(*reason) : Status::Ok();
}

Result<std::string> ReadConfigFile(const std::string& path) {
  FileSystem* fs = DefaultFileSystem();
  OpenOptions options;
  options.read_only = true;
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs->Open(path, options));
  LARDER_ASSIGN_OR_RETURN(std::uint64_t size, file->Size());
  if (size > kMaxConfigFileBytes) {
    return Status::InvalidArgument("config file " + path + " is larger than 16 MiB");
  }
  std::string text(size, '\0');
  std::size_t done = 0;
  while (done < text.size()) {
    LARDER_ASSIGN_OR_RETURN(
        std::size_t n, file->ReadAt(done, std::span<std::uint8_t>(
                                              reinterpret_cast<std::uint8_t*>(text.data()) + done,
                                              text.size() - done)));
    if (n == 0) break;
    done += n;
  }
  text.resize(done);
  return text;
}

Status ApplyText(ServerConfig* config, std::string_view text, std::string_view origin, int depth);

Status IncludeFile(ServerConfig* config, const Args& args, int depth) {
  if (args.size() != 1) return Status::InvalidArgument("include needs one file name");
  if (depth >= kMaxIncludeDepth) {
    return Status::InvalidArgument("include nested more than 16 deep (a cycle?): " + args[0]);
  }
  Result<std::string> text = ReadConfigFile(args[0]);
  if (!text.ok()) {
    return Status::InvalidArgument("cannot read config file " + args[0] + ": " +
                                   std::string(text.status().message()));
  }
  return ApplyText(config, *text, args[0], depth + 1);
}

Status ApplyText(ServerConfig* config, std::string_view text, std::string_view origin, int depth) {
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    while (!line.empty() && std::string_view(" \t\r").find(line.front()) != std::string_view::npos)
      line.remove_prefix(1);
    while (!line.empty() && std::string_view(" \t\r").find(line.back()) != std::string_view::npos)
      line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    auto where = [&] { return std::string(origin) + ":" + std::to_string(line_no) + ": "; };
    Args args;
    if (!SplitArgs(line, &args)) {
      return Status::InvalidArgument(where() + "unbalanced quotes in configuration line");
    }
    if (args.empty()) continue;
    const std::string name = ToLower(args[0]);
    args.erase(args.begin());
    const Status s =
        name == "include" ? IncludeFile(config, args, depth) : ApplyDirective(config, name, args);
    if (!s.ok()) return Status::InvalidArgument(where() + std::string(s.message()));
  }
  return Status::Ok();
}

}  // namespace

std::string_view AppendFsyncName(AppendFsync mode) {
  switch (mode) {
    case AppendFsync::kAlways:
      return "always";
    case AppendFsync::kNo:
      return "no";
    case AppendFsync::kEverySec:
      break;
  }
  return "everysec";
}

Status ApplyDirective(ServerConfig* config, std::string_view name, const Args& args) {
  Status s = Apply(config, name, args);
  if (s.ok()) return s;
  if (s.IsNotFound()) {
    return Status::InvalidArgument("bad directive or value: unknown directive '" +
                                   std::string(name) + "'");
  }
  return Status::InvalidArgument("bad directive or value: " + ToLower(name) + " '" + Join(args) +
                                 "' (" + std::string(s.message()) + ")");
}

Status ApplyConfigText(ServerConfig* config, std::string_view text, std::string_view origin) {
  return ApplyText(config, text, origin, 0);
}

Result<ServerConfig> LoadServerConfig(int argc, const char* const* argv) {
  ServerConfig config;
  auto is_option = [](std::string_view arg) { return arg.size() > 2 && arg.substr(0, 2) == "--"; };
  int i = 1;
  if (i < argc && !is_option(argv[i])) {
    const std::string path = argv[i++];
    Result<std::string> text = ReadConfigFile(path);
    if (!text.ok()) {
      return Status::InvalidArgument("cannot read config file " + path + ": " +
                                     std::string(text.status().message()));
    }
    LARDER_RETURN_IF_ERROR(ApplyConfigText(&config, *text, path));
  }
  while (i < argc) {
    const std::string_view option = argv[i++];
    if (!is_option(option)) {
      return Status::InvalidArgument("unexpected argument '" + std::string(option) +
                                     "' (directives are given as --name value...)");
    }
    const std::string name = ToLower(option.substr(2));
    Args args;
    while (i < argc && !is_option(argv[i])) args.emplace_back(argv[i++]);
    LARDER_RETURN_IF_ERROR(name == "include" ? IncludeFile(&config, args, 0)
                                             : ApplyDirective(&config, name, args));
  }
  return config;
}

Status SetConfigValue(ServerConfig* config, std::string_view name, std::string_view value) {
  const Directive* d = FindDirective(name);
  const IgnoredDirective* ignored = FindIgnored(name);
  if (d == nullptr && ignored == nullptr) return Status::NotFound(name);
  Args args;
  if (d != nullptr && d->multi_arg) {
    if (!SplitArgs(value, &args)) return Status::InvalidArgument("unbalanced quotes");
  } else {
    args.emplace_back(value);
  }
  ServerConfig updated = *config;
  const Status applied = Apply(&updated, name, args);
  // An immutable directive may be "set" to the value it has (CONFIG GET * then CONFIG SET of
  // every pair, as Redis's own test suite does, must not fail on `port` or `bind`).
  const bool is_mutable = d != nullptr ? d->mutable_at_runtime : ignored->mutable_at_runtime;
  if (!is_mutable && (!applied.ok() || RenderConfigValue(updated, name).value_or("") !=
                                           RenderConfigValue(*config, name).value_or(""))) {
    return Status::InvalidArgument("can't set immutable config");
  }
  LARDER_RETURN_IF_ERROR(applied);
  *config = std::move(updated);
  return Status::Ok();
}

const std::vector<ConfigEntry>& ConfigEntries() {
  static const std::vector<ConfigEntry> entries = [] {
    std::vector<ConfigEntry> out;
    for (const Directive& d : kDirectives) out.push_back({d.name, d.mutable_at_runtime});
    for (const IgnoredDirective& d : kIgnored) out.push_back({d.name, d.mutable_at_runtime});
    return out;
  }();
  return entries;
}

Result<std::string> RenderConfigValue(const ServerConfig& config, std::string_view name) {
  if (const Directive* d = FindDirective(name)) return d->render(config);
  if (const IgnoredDirective* d = FindIgnored(name)) {
    auto it = config.ignored.find(std::string(d->name));
    return it == config.ignored.end() ? std::string(d->default_value) : it->second;
  }
  return Status::NotFound(name);
}

}  // namespace larder::server
