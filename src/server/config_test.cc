#include "server/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "server/stream_store.h"
#include "server/zset_store.h"
#include "tests/util/temp_dir.h"

namespace larder::server {
namespace {

std::string Render(const ServerConfig& c, std::string_view name) {
  Result<std::string> v = RenderConfigValue(c, name);
  EXPECT_TRUE(v.ok()) << name;
  return v.ok() ? *v : std::string();
}

std::string ApplyError(std::string_view name, const std::vector<std::string>& args) {
  ServerConfig c;
  const Status s = ApplyDirective(&c, name, args);
  return s.ok() ? "" : std::string(s.message());
}

TEST(ConfigTest, Defaults) {
  const ServerConfig c;
  EXPECT_EQ(Render(c, "port"), "6379");
  EXPECT_EQ(Render(c, "bind"), "127.0.0.1");
  EXPECT_EQ(Render(c, "dir"), "./larder-data");
  EXPECT_EQ(Render(c, "appendfsync"), "everysec");
  EXPECT_EQ(Render(c, "databases"), "16");
  EXPECT_EQ(Render(c, "proto-max-bulk-len"), "536870912");
  EXPECT_EQ(Render(c, "client-query-buffer-limit"), "1073741824");
  EXPECT_EQ(Render(c, "client-output-buffer-limit"),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
  EXPECT_EQ(Render(c, "maxclients"), "10000");
  EXPECT_EQ(Render(c, "save"), "");
  EXPECT_EQ(Render(c, "appendonly"), "no");
  EXPECT_EQ(Render(c, "SLOWLOG-MAX-LEN"), "128");
  EXPECT_FALSE(RenderConfigValue(c, "nonsense").ok());
}

TEST(ConfigTest, EveryDirectiveApplies) {
  ServerConfig c;
  const std::vector<std::pair<std::string, std::vector<std::string>>> directives = {
      {"port", {"6380"}},
      {"bind", {"127.0.0.1", "::1"}},
      {"dir", {"/tmp/x"}},
      {"engine", {"bolt"}},
      {"requirepass", {"secret"}},
      {"maxclients", {"50"}},
      {"timeout", {"30"}},
      {"databases", {"4"}},
      {"appendfsync", {"ALWAYS"}},
      {"proto-max-bulk-len", {"1gb"}},
      {"client-query-buffer-limit", {"512mb"}},
      {"client-output-buffer-limit", {"pubsub", "1mb", "100kb", "10", "normal", "1k", "2", "3"}},
      {"io-threads", {"4"}},
      {"loglevel", {"warning"}},
      {"logfile", {"/tmp/larderd.log"}},
      {"slowlog-log-slower-than", {"-1"}},
      {"slowlog-max-len", {"5"}},
      {"tcp-backlog", {"100"}},
      {"tcp-keepalive", {"0"}},
      {"hz", {"1000"}},
      {"pidfile", {"/tmp/larderd.pid"}},
      {"save", {"3600", "1", "300", "100"}},
      {"appendonly", {"YES"}},
      {"daemonize", {"no"}},
      {"protected-mode", {"no"}},
  };
  for (const auto& [name, args] : directives) {
    EXPECT_TRUE(ApplyDirective(&c, name, args).ok()) << name;
  }
  EXPECT_EQ(c.port, 6380);
  EXPECT_EQ(c.bind, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(c.dir, "/tmp/x");
  EXPECT_EQ(c.requirepass, "secret");
  EXPECT_EQ(c.maxclients, 50u);
  EXPECT_EQ(c.timeout_seconds, 30);
  EXPECT_EQ(c.databases, 4);
  EXPECT_EQ(c.appendfsync, AppendFsync::kAlways);
  EXPECT_EQ(c.proto_max_bulk_len, 1ull << 30);
  EXPECT_EQ(c.client_query_buffer_limit, 512ull << 20);
  EXPECT_EQ(c.output_pubsub.hard_bytes, 1ull << 20);
  EXPECT_EQ(c.output_pubsub.soft_bytes, 100u * 1024);
  EXPECT_EQ(c.output_pubsub.soft_seconds, 10);
  EXPECT_EQ(c.output_normal.hard_bytes, 1000u);
  EXPECT_EQ(c.output_replica.hard_bytes, 256ull << 20);  // untouched
  EXPECT_EQ(c.io_threads, 4);
  EXPECT_EQ(c.loglevel, "warning");
  EXPECT_EQ(c.logfile, "/tmp/larderd.log");
  EXPECT_EQ(c.slowlog_log_slower_than_us, -1);
  EXPECT_EQ(c.slowlog_max_len, 5u);
  EXPECT_EQ(c.tcp_backlog, 100);
  EXPECT_EQ(c.tcp_keepalive_seconds, 0);
  EXPECT_EQ(c.hz, 500);  // clamped as Redis does
  EXPECT_EQ(c.pidfile, "/tmp/larderd.pid");
  EXPECT_EQ(Render(c, "save"), "3600 1 300 100");
  EXPECT_EQ(Render(c, "appendonly"), "yes");
  EXPECT_EQ(Render(c, "appendfsync"), "always");
  EXPECT_EQ(Render(c, "bind"), "127.0.0.1 ::1");
  EXPECT_EQ(Render(c, "client-output-buffer-limit"),
            "normal 1000 2 3 slave 268435456 67108864 60 pubsub 1048576 102400 10");
  // Every entry CONFIG knows renders.
  for (const ConfigEntry& e : ConfigEntries()) Render(c, e.name);
}

TEST(ConfigTest, ErrorsNameDirectiveAndValue) {
  EXPECT_EQ(ApplyError("port", {"x"}),
            "bad directive or value: port 'x' (argument couldn't be parsed into an integer)");
  EXPECT_EQ(ApplyError("port", {"70000"}),
            "bad directive or value: port '70000' (argument must be between 0 and 65535 "
            "inclusive)");
  EXPECT_EQ(ApplyError("port", {}), "bad directive or value: port '' (wrong number of arguments)");
  EXPECT_EQ(ApplyError("port", {"1", "2"}),
            "bad directive or value: port '1 2' (wrong number of arguments)");
  EXPECT_EQ(ApplyError("Frobnicate", {"1"}),
            "bad directive or value: unknown directive 'Frobnicate'");
  EXPECT_EQ(ApplyError("appendfsync", {"sometimes"}),
            "bad directive or value: appendfsync 'sometimes' (argument(s) must be one of the "
            "following: everysec, always, no)");
  EXPECT_EQ(ApplyError("proto-max-bulk-len", {"12qb"}),
            "bad directive or value: proto-max-bulk-len '12qb' (argument must be a memory value)");
  EXPECT_EQ(ApplyError("proto-max-bulk-len", {"100"}),
            "bad directive or value: proto-max-bulk-len '100' (argument must be between 1048576 "
            "and 9223372036854775807 inclusive)");
  EXPECT_EQ(ApplyError("proto-max-bulk-len", {"99999999999gb"}),
            "bad directive or value: proto-max-bulk-len '99999999999gb' (argument must be a "
            "memory value)");
  EXPECT_NE(ApplyError("client-output-buffer-limit", {"normal", "1", "2"}), "");
  EXPECT_NE(ApplyError("client-output-buffer-limit", {"master", "1", "2", "3"}), "");
  EXPECT_NE(ApplyError("client-output-buffer-limit", {"normal", "x", "2", "3"}), "");
  EXPECT_NE(ApplyError("databases", {"0"}), "");
  EXPECT_NE(ApplyError("loglevel", {"loud"}), "");
  EXPECT_EQ(ApplyError("engine", {"lsm"}), "");
  EXPECT_NE(ApplyError("engine", {"rocks"}), "");
  EXPECT_NE(ApplyError("appendonly", {"maybe"}), "");
  EXPECT_NE(ApplyError("daemonize", {"yes"}), "");
  EXPECT_NE(ApplyError("dir", {""}), "");
  EXPECT_NE(ApplyError("bind", {}), "");
  EXPECT_EQ(ApplyError("maxclients", {"-1"}),
            "bad directive or value: maxclients '-1' (argument must be between 1 and 4294967295 "
            "inclusive)");
}

TEST(ConfigTest, MemoryUnits) {
  ServerConfig c;
  for (const auto& [text, bytes] :
       std::vector<std::pair<std::string, std::uint64_t>>{{"2097152", 2097152},
                                                          {"2mb", 2u << 20},
                                                          {"2MB", 2u << 20},
                                                          {"2m", 2000000},
                                                          {"3000k", 3000000},
                                                          {"3000kb", 3000u * 1024},
                                                          {"1g", 1000000000},
                                                          {"1Gb", 1u << 30},
                                                          {"2000000b", 2000000}}) {
    ASSERT_TRUE(ApplyDirective(&c, "client-query-buffer-limit", {text}).ok()) << text;
    EXPECT_EQ(c.client_query_buffer_limit, bytes) << text;
  }
}

TEST(ConfigTest, ConfigText) {
  ServerConfig c;
  const Status s = ApplyConfigText(&c,
                                   "# a comment\n"
                                   "\n"
                                   "   port 7000   \r\n"
                                   "BIND 127.0.0.1 \"::1\"\n"
                                   "requirepass \"with space\"\n"
                                   "save \"\"\n"
                                   "dir '/tmp/a b'\n",
                                   "test.conf");
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(c.port, 7000);
  EXPECT_EQ(c.bind, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(c.requirepass, "with space");
  EXPECT_EQ(c.dir, "/tmp/a b");
  EXPECT_EQ(Render(c, "save"), "");

  const Status bad = ApplyConfigText(&c, "port 1\n\nport x\n", "my.conf");
  EXPECT_EQ(bad.message(),
            "my.conf:3: bad directive or value: port 'x' (argument couldn't be parsed into an "
            "integer)");
  EXPECT_EQ(ApplyConfigText(&c, "dir \"abc\n", "q.conf").message(),
            "q.conf:1: unbalanced quotes in configuration line");
}

// The directives of Debian's stock /etc/redis/redis.conf (redis-server 7.0.15), with the values
// it sets, but for `daemonize yes`, which larderd refuses.
TEST(ConfigTest, StockRedisConfDirectivesLoad) {
  ServerConfig c;
  const Status s = ApplyConfigText(&c,
                                   "bind 127.0.0.1 ::1\nprotected-mode yes\nport 6379\n"
                                   "tcp-backlog 511\ntimeout 0\ntcp-keepalive 300\n"
                                   "daemonize no\npidfile /run/redis/redis-server.pid\n"
                                   "loglevel notice\nlogfile /var/log/redis/redis-server.log\n"
                                   "databases 16\nalways-show-logo no\nset-proc-title yes\n"
                                   "proc-title-template \"{title} {listen-addr} {server-mode}\"\n"
                                   "stop-writes-on-bgsave-error yes\nrdbcompression yes\n"
                                   "rdbchecksum yes\ndbfilename dump.rdb\nrdb-del-sync-files no\n"
                                   "dir /var/lib/redis\nreplica-serve-stale-data yes\n"
                                   "replica-read-only yes\nrepl-diskless-sync yes\n"
                                   "repl-diskless-sync-delay 5\nrepl-diskless-sync-max-replicas 0\n"
                                   "repl-diskless-load disabled\nrepl-disable-tcp-nodelay no\n"
                                   "replica-priority 100\nacllog-max-len 128\n"
                                   "lazyfree-lazy-eviction no\nlazyfree-lazy-expire no\n"
                                   "lazyfree-lazy-server-del no\nreplica-lazy-flush no\n"
                                   "lazyfree-lazy-user-del no\nlazyfree-lazy-user-flush no\n"
                                   "oom-score-adj no\noom-score-adj-values 0 200 800\n"
                                   "disable-thp yes\nappendonly no\n"
                                   "appendfilename \"appendonly.aof\"\n"
                                   "appenddirname \"appendonlydir\"\nappendfsync everysec\n"
                                   "no-appendfsync-on-rewrite no\nauto-aof-rewrite-percentage 100\n"
                                   "auto-aof-rewrite-min-size 64mb\naof-load-truncated yes\n"
                                   "aof-use-rdb-preamble yes\naof-timestamp-enabled no\n"
                                   "slowlog-log-slower-than 10000\nslowlog-max-len 128\n"
                                   "latency-monitor-threshold 0\nnotify-keyspace-events \"\"\n"
                                   "hash-max-listpack-entries 128\nhash-max-listpack-value 64\n"
                                   "list-max-listpack-size -2\nlist-compress-depth 0\n"
                                   "set-max-intset-entries 512\nzset-max-listpack-entries 128\n"
                                   "zset-max-listpack-value 64\nhll-sparse-max-bytes 3000\n"
                                   "stream-node-max-bytes 4096\nstream-node-max-entries 100\n"
                                   "activerehashing yes\n"
                                   "client-output-buffer-limit normal 0 0 0\n"
                                   "client-output-buffer-limit replica 256mb 64mb 60\n"
                                   "client-output-buffer-limit pubsub 32mb 8mb 60\nhz 10\n"
                                   "dynamic-hz yes\naof-rewrite-incremental-fsync yes\n"
                                   "rdb-save-incremental-fsync yes\njemalloc-bg-thread yes\n",
                                   "redis.conf");
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(c.dir, "/var/lib/redis");
  EXPECT_EQ(c.pidfile, "/run/redis/redis-server.pid");
  EXPECT_EQ(c.notify_keyspace_events, 0u);  // "" is off
  ASSERT_TRUE(ApplyDirective(&c, "notify-keyspace-events", {"KEA"}).ok());
  EXPECT_EQ(RenderConfigValue(c, "notify-keyspace-events").value(), "AKE");
  const Status bad = ApplyDirective(&c, "notify-keyspace-events", {"KEQ"});
  EXPECT_NE(bad.message().find("Invalid event class character. Use 'Ag$lshzxeKEtmdn'."),
            std::string_view::npos)
      << bad.ToString();
  EXPECT_NE(ApplyDirective(&c, "replicaof", {"127.0.0.1", "6379"}).message(), "");
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(ConfigTest, IncludeAndCommandLine) {
  test::TempDir dir;
  const std::string main_conf = dir.path() + "/main.conf";
  const std::string extra_conf = dir.path() + "/extra.conf";
  WriteFile(extra_conf, "maxclients 77\nport 7001\n");
  WriteFile(main_conf, "port 7000\ninclude " + extra_conf + "\ntimeout 5\n");
  const char* argv[] = {"larderd", main_conf.c_str(), "--timeout", "9",
                        "--bind",  "127.0.0.1",       "127.0.0.2", "--save",
                        "",        "--appendfsync",   "no"};
  Result<ServerConfig> c = LoadServerConfig(11, argv);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->port, 7001);
  EXPECT_EQ(c->maxclients, 77u);
  EXPECT_EQ(c->timeout_seconds, 9);
  EXPECT_EQ(c->bind, (std::vector<std::string>{"127.0.0.1", "127.0.0.2"}));
  EXPECT_EQ(c->appendfsync, AppendFsync::kNo);

  const char* no_file[] = {"larderd"};
  ASSERT_TRUE(LoadServerConfig(1, no_file).ok());
  EXPECT_EQ(LoadServerConfig(1, no_file)->port, 6379);

  const char* bad[] = {"larderd", "--port", "x"};
  EXPECT_EQ(LoadServerConfig(3, bad).status().message(),
            "bad directive or value: port 'x' (argument couldn't be parsed into an integer)");
  const char* unknown[] = {"larderd", "--nope", "1"};
  EXPECT_EQ(LoadServerConfig(3, unknown).status().message(),
            "bad directive or value: unknown directive 'nope'");
  const std::string missing = dir.path() + "/missing.conf";
  const char* missing_file[] = {"larderd", missing.c_str()};
  EXPECT_FALSE(LoadServerConfig(2, missing_file).ok());
  const char* stray[] = {"larderd", "--port", "1", "--", "x"};
  EXPECT_FALSE(LoadServerConfig(5, stray).ok());

  // An include cycle fails instead of recursing forever.
  WriteFile(extra_conf, "include " + main_conf + "\n");
  const char* cycle[] = {"larderd", main_conf.c_str()};
  EXPECT_FALSE(LoadServerConfig(2, cycle).ok());
}

TEST(ConfigTest, SetConfigValue) {
  ServerConfig c;
  EXPECT_TRUE(SetConfigValue(&c, "maxclients", "20").ok());
  EXPECT_EQ(c.maxclients, 20u);
  EXPECT_TRUE(SetConfigValue(&c, "client-output-buffer-limit", "pubsub 10mb 5mb 30").ok());
  EXPECT_EQ(c.output_pubsub.hard_bytes, 10u << 20);
  EXPECT_TRUE(SetConfigValue(&c, "save", "900 1").ok());
  EXPECT_EQ(Render(c, "save"), "900 1");
  EXPECT_TRUE(SetConfigValue(&c, "requirepass", "a b").ok());
  EXPECT_EQ(c.requirepass, "a b");
  EXPECT_TRUE(SetConfigValue(&c, "port", "1").IsInvalidArgument());
  EXPECT_TRUE(SetConfigValue(&c, "port", "6379").ok());  // its own value: a no-op
  EXPECT_TRUE(SetConfigValue(&c, "bind", "127.0.0.1").ok());
  EXPECT_EQ(SetConfigValue(&c, "port", "1").message(), "can't set immutable config");
  EXPECT_EQ(SetConfigValue(&c, "maxclients", "x").message(),
            "argument couldn't be parsed into an integer");
  EXPECT_EQ(c.maxclients, 20u);
  EXPECT_TRUE(SetConfigValue(&c, "nope", "1").IsNotFound());
  // An immutable directive refuses a new value but takes the value it has.
  EXPECT_EQ(SetConfigValue(&c, "daemonize", "yes").message(), "can't set immutable config");
  for (const ConfigEntry& e : ConfigEntries()) {
    const std::string current = Render(c, e.name);
    EXPECT_TRUE(SetConfigValue(&c, e.name, current).ok()) << e.name << " " << current;
    EXPECT_EQ(Render(c, e.name), current) << e.name;
    if (!e.mutable_at_runtime) {
      const Status s = SetConfigValue(&c, e.name, current == "1" ? "2" : "1");
      EXPECT_FALSE(s.ok()) << e.name;
      EXPECT_EQ(Render(c, e.name), current) << e.name;
    }
  }
}

TEST(ConfigTest, CheckpointIntervalParsesAndRefusesBadValues) {
  ServerConfig c;
  EXPECT_EQ(*RenderConfigValue(c, "checkpoint-interval-ms"), "1000");
  ASSERT_TRUE(ApplyDirective(&c, "checkpoint-interval-ms", {"10"}).ok());
  EXPECT_EQ(c.checkpoint_interval_ms, 10u);
  ASSERT_TRUE(ApplyDirective(&c, "checkpoint-interval-ms", {"3600000"}).ok());
  EXPECT_EQ(c.checkpoint_interval_ms, 3600000u);
  EXPECT_FALSE(ApplyDirective(&c, "checkpoint-interval-ms", {"9"}).ok());
  EXPECT_FALSE(ApplyDirective(&c, "checkpoint-interval-ms", {"3600001"}).ok());
  EXPECT_FALSE(ApplyDirective(&c, "checkpoint-interval-ms", {"soon"}).ok());
  EXPECT_EQ(c.checkpoint_interval_ms, 3600000u);  // a refused value changes nothing
  EXPECT_FALSE(SetConfigValue(&c, "checkpoint-interval-ms", "500").ok());  // not at run time
}

TEST(ConfigTest, RankCacheMbParsesAndRefusesBadValues) {
  ServerConfig c;
  EXPECT_EQ(*RenderConfigValue(c, "rank-cache-mb"), "64");
  ASSERT_TRUE(ApplyDirective(&c, "rank-cache-mb", {"0"}).ok());
  EXPECT_EQ(c.rank_cache_mb, 0u);
  ASSERT_TRUE(ApplyDirective(&c, "rank-cache-mb", {"1024"}).ok());
  EXPECT_EQ(c.rank_cache_mb, 1024u);
  EXPECT_FALSE(ApplyDirective(&c, "rank-cache-mb", {"-1"}).ok());
  EXPECT_FALSE(ApplyDirective(&c, "rank-cache-mb", {"1048577"}).ok());
  EXPECT_FALSE(ApplyDirective(&c, "rank-cache-mb", {"lots"}).ok());
  EXPECT_EQ(c.rank_cache_mb, 1024u);                            // a refused value changes nothing
  EXPECT_FALSE(SetConfigValue(&c, "rank-cache-mb", "8").ok());  // not at run time
}

// The ignored directives that commands read are parsed into fields when set: a name and its
// old alias set the same field, the last one set wins, and a refused value changes nothing.
TEST(ConfigTest, EncodingSizesAreParsedWhenSet) {
  ServerConfig c;
  EXPECT_EQ(c.zset_max_listpack_entries, 128u);
  EXPECT_EQ(c.zset_max_listpack_value, 64u);
  EXPECT_EQ(c.stream_node_max_entries, 100u);
  EXPECT_EQ(c.stream_node_max_bytes, 4096u);
  // The fields' defaults are the ones CONFIG GET shows and the stores' own.
  EXPECT_EQ(Render(c, "zset-max-listpack-entries"), "128");
  EXPECT_EQ(Render(c, "zset-max-ziplist-entries"), "128");
  EXPECT_EQ(Render(c, "zset-max-listpack-value"), "64");
  EXPECT_EQ(Render(c, "zset-max-ziplist-value"), "64");
  EXPECT_EQ(Render(c, "stream-node-max-entries"), "100");
  EXPECT_EQ(Render(c, "stream-node-max-bytes"), "4096");
  EXPECT_EQ(ZSetLimits{}.listpack_entries, c.zset_max_listpack_entries);
  EXPECT_EQ(ZSetLimits{}.listpack_value, c.zset_max_listpack_value);
  EXPECT_EQ(streams::NodeLimits{}.max_entries, c.stream_node_max_entries);
  EXPECT_EQ(streams::NodeLimits{}.max_bytes, c.stream_node_max_bytes);
  ASSERT_TRUE(SetConfigValue(&c, "zset-max-ziplist-entries", "5").ok());
  EXPECT_EQ(c.zset_max_listpack_entries, 5u);
  ASSERT_TRUE(SetConfigValue(&c, "zset-max-listpack-entries", "7").ok());
  EXPECT_EQ(c.zset_max_listpack_entries, 7u);
  ASSERT_TRUE(ApplyDirective(&c, "zset-max-listpack-value", {"1kb"}).ok());
  EXPECT_EQ(c.zset_max_listpack_value, 1024u);  // kb: 1024, as Redis
  ASSERT_TRUE(SetConfigValue(&c, "zset-max-ziplist-value", "0").ok());
  EXPECT_EQ(c.zset_max_listpack_value, 0u);
  ASSERT_TRUE(SetConfigValue(&c, "stream-node-max-entries", "3").ok());
  ASSERT_TRUE(SetConfigValue(&c, "stream-node-max-bytes", "1mb").ok());
  EXPECT_EQ(c.stream_node_max_entries, 3u);
  EXPECT_EQ(c.stream_node_max_bytes, 1048576u);
  EXPECT_FALSE(SetConfigValue(&c, "zset-max-listpack-entries", "x").ok());
  EXPECT_FALSE(SetConfigValue(&c, "stream-node-max-bytes", "-1").ok());
  EXPECT_EQ(c.zset_max_listpack_entries, 7u);
  EXPECT_EQ(c.stream_node_max_bytes, 1048576u);
}

}  // namespace
}  // namespace larder::server
