// larderd: a Redis-protocol server whose data lives in a LarderDB engine (docs/server.md).
//
//   larderd [config-file] [--directive value ...]
//
// Exit codes: 0 after a clean shutdown (SIGTERM, SIGINT, SHUTDOWN), 1 when the configuration is
// bad, the data cannot be opened or the port cannot be bound.
#include <fmt/format.h>
#include <signal.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "base/logging.h"
#include "base/spdlog_logger.h"
#include "larder/file_system.h"
#include "larder/version.h"
#include "server/command.h"
#include "server/config.h"
#include "server/keyspace.h"
#include "server/queue_service.h"
#include "server/server.h"
#include "server/ts_service.h"

namespace larder::server {
namespace {

std::atomic<Server*> g_server{nullptr};

extern "C" void OnTerminate(int) {
  // Async-signal-safe: an atomic store and an eventfd write.
  if (Server* s = g_server.load()) s->RequestShutdown();
}

void InstallSignalHandlers() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof(sa));
  sa.sa_handler = OnTerminate;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

// The library logger, sent to `logfile` (or standard output) at `loglevel`.
Status SetUpLogging(const ServerConfig& config) {
  spdlog::logger& log = internal::Log();
  log.sinks().clear();
  if (config.logfile.empty()) {
    log.sinks().push_back(std::make_shared<spdlog::sinks::stdout_sink_mt>());
  } else {
    try {
      log.sinks().push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(config.logfile));
    } catch (const spdlog::spdlog_ex& e) {
      return Status::InvalidArgument(fmt::format("logfile {}: {}", config.logfile, e.what()));
    }
  }
  log.set_pattern(fmt::format("{}:M %d %b %Y %H:%M:%S.%e %L %v", ::getpid()));
  spdlog::level::level_enum level = spdlog::level::info;
  if (config.loglevel == "debug") level = spdlog::level::debug;
  if (config.loglevel == "warning") level = spdlog::level::warn;
  log.set_level(level);
  log.flush_on(spdlog::level::info);
  return Status::Ok();
}

// Room for maxclients connections plus the server's own descriptors, as far as the hard limit
// allows.
void RaiseOpenFileLimit(std::uint64_t maxclients) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  const rlim_t want = static_cast<rlim_t>(maxclients + 64);
  if (rl.rlim_cur >= want) return;
  const rlim_t previous = rl.rlim_cur;
  rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? want : std::min(want, rl.rlim_max);
  if (setrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
    LARDER_LOG_WARN("open files limit {} (was {}) is below maxclients {} + 64", rl.rlim_cur,
                    previous, maxclients);
  }
}

Status WritePidFile(const std::string& path) {
  FileSystem* fs = DefaultFileSystem();
  OpenOptions options;
  options.create = true;
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs->Open(path, options));
  const std::string text = fmt::format("{}\n", ::getpid());
  LARDER_RETURN_IF_ERROR(file->Truncate(0));
  return file->WriteAt(0, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

int Fail(std::string_view what, const Status& status) {
  const std::string message = fmt::format("{}: {}", what, status.ToString());
  LARDER_LOG_ERROR("{}", message);
  std::fprintf(stderr, "larderd: %s\n", message.c_str());
  return 1;
}

int Main(int argc, char** argv) {
  if (argc == 2 &&
      (std::string_view(argv[1]) == "--version" || std::string_view(argv[1]) == "-v")) {
    std::printf("larderd v=%s redis_version=7.0.15 engine=bolt\n", LARDER_VERSION_STRING);
    return 0;
  }
  if (argc == 2 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h")) {
    std::printf(
        "Usage: larderd [config-file] [--directive value ...]\n"
        "Directives as redis.conf: port, bind, dir, requirepass, maxclients, timeout, databases,\n"
        "appendfsync always|everysec|no, io-threads, loglevel, logfile, ... (docs/server.md)\n");
    return 0;
  }
  Result<ServerConfig> config = LoadServerConfig(argc, argv);
  if (!config.ok()) {
    std::fprintf(stderr, "larderd: %s\n", config.status().ToString().c_str());
    return 1;
  }
  if (Status s = SetUpLogging(*config); !s.ok()) {
    std::fprintf(stderr, "larderd: %s\n", s.ToString().c_str());
    return 1;
  }
  LARDER_LOG_INFO("larderd {} starting (Redis 7.0.15 protocol), pid {}", LARDER_VERSION_STRING,
                  ::getpid());
  RaiseOpenFileLimit(config->maxclients);

  CommandTable commands;
  RegisterAllCommands(commands);

  KeyspaceOptions options;
  options.dir = config->dir;
  options.engine = config->engine;
  options.databases = config->databases;
  options.appendfsync = config->appendfsync;
  options.rank_cache_bytes = static_cast<std::size_t>(config->rank_cache_mb) << 20;
  options.checkpoint_interval_ms = config->checkpoint_interval_ms;
  Result<std::unique_ptr<Keyspace>> keyspace = Keyspace::Open(options);
  if (!keyspace.ok())
    return Fail(fmt::format("cannot open data in {}", config->dir), keyspace.status());
  LARDER_LOG_INFO("data directory {} opened (engine {}, {} databases, appendfsync {})", config->dir,
                  config->engine, config->databases, *RenderConfigValue(*config, "appendfsync"));

  const std::string pidfile = config->pidfile;
  Server server(*config, keyspace->get(), &commands);
  if (argc > 1 && std::string_view(argv[1]).substr(0, 2) != "--") server.set_config_file(argv[1]);
  {
    // The durable queues: a bad queue-config layout stops the start here, naming line and field.
    MutexLock lock(&server.exec_mutex());
    if (Status s = server.Service<QueueService>().Open(); !s.ok()) {
      (void)(*keyspace)->Close();
      return Fail("cannot open the queues", s);
    }
    // The time-series engine: a bad ts-dir or option stops the start here.
    if (Status s = server.Service<TsService>().Open(); !s.ok()) {
      (void)server.Service<QueueService>().Close();
      (void)(*keyspace)->Close();
      return Fail("cannot open the time series", s);
    }
  }
  if (!pidfile.empty()) {
    if (Status s = WritePidFile(pidfile); !s.ok()) {
      LARDER_LOG_WARN("cannot write pidfile {}: {}", pidfile, s.ToString());
    }
  }
  g_server.store(&server);
  InstallSignalHandlers();
  const Status run = server.Run();
  g_server.store(nullptr);
  int code = 0;
  if (!run.ok()) {
    code = Fail("cannot serve", run);
  } else {
    LARDER_LOG_INFO("shutting down: in-flight commands finished, closing the data");
  }
  {
    MutexLock lock(&server.exec_mutex());
    if (Status s = server.Service<QueueService>().Close(); !s.ok())
      code = Fail("closing the queues", s);
    if (Status s = server.Service<TsService>().Close(); !s.ok())
      code = Fail("closing the time series", s);
  }
  if (Status s = (*keyspace)->Close(); !s.ok()) {
    code = Fail("closing the data", s);
  }
  if (!pidfile.empty()) (void)DefaultFileSystem()->Remove(pidfile);
  if (code == 0) LARDER_LOG_INFO("larderd is now ready to exit, bye bye...");
  return code;
}

}  // namespace
}  // namespace larder::server

int main(int argc, char** argv) { return larder::server::Main(argc, argv); }
