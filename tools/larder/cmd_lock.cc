// lock: runs a command while holding a larderd lock (docs/locks.md, docs/cli.md), as flock(1)
// does with a local file. The lock is taken with a lease (default 30 s), renewed every third
// of the lease while the command runs, and released when it ends; the exit status is the
// command's. The RESP client is Debian's hiredis.
//
//   larder lock [--host h] [--port p] [--timeout ms] [--lease ms] [--conflict-exit-code n]
//               NAME -- command [args]
#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common.h"

namespace larder::cli {
namespace {

struct LockArgs {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::int64_t timeout_ms = -1;  // -1: wait as long as it takes; 0: do not wait
  std::int64_t lease_ms = 30000;
  int conflict_exit_code = kExitError;
  std::string name;
  std::vector<std::string> command;
};

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

// Sends one command (binary-safe arguments); null when the connection failed.
Reply Call(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return Reply(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data())));
}

std::string ReplyError(redisContext* c, const redisReply* r) {
  if (r == nullptr) return c->errstr[0] != '\0' ? c->errstr : "connection lost";
  if (r->type == REDIS_REPLY_ERROR) return std::string(r->str, r->len);
  return "unexpected reply";
}

pid_t g_child = 0;  // the command, for the signal forwarder
void Forward(int sig) {
  if (g_child > 0) ::kill(g_child, sig);
}

std::string OwnerText(const LockArgs& a) {
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  std::string owner = fmt::format("larder lock pid {} host {}:", ::getpid(), host);
  for (const std::string& word : a.command) owner += " " + word;
  return owner;
}

// Runs the command; its exit status (128 + signal when killed by one).
int RunHolding(redisContext* c, const LockArgs& a, const std::string& token, long long fencing) {
  const pid_t child = ::fork();
  if (child < 0) return Fail("fork failed");
  if (child == 0) {
    ::setenv("LARDER_LOCK_NAME", a.name.c_str(), 1);
    ::setenv("LARDER_LOCK_TOKEN", token.c_str(), 1);
    ::setenv("LARDER_LOCK_FENCING", std::to_string(fencing).c_str(), 1);
    std::vector<char*> argv;
    for (const std::string& s : a.command) argv.push_back(const_cast<char*>(s.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    fmt::print(stderr, "larder lock: cannot run {:?}: {}\n", a.command[0], std::strerror(errno));
    ::_exit(127);
  }
  g_child = child;
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) ::signal(sig, Forward);
  const auto renew_every = std::chrono::milliseconds(std::max<std::int64_t>(a.lease_ms / 3, 1));
  auto next_renew = std::chrono::steady_clock::now() + renew_every;
  bool holding = true;
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(child, &status, WNOHANG);
    if (done == child) break;
    if (done < 0 && errno != EINTR) return Fail("waitpid failed");
    if (holding && std::chrono::steady_clock::now() >= next_renew) {
      Reply r = Call(c, {"LOCK.EXTEND", a.name, token, std::to_string(a.lease_ms)});
      if (r == nullptr || r->type != REDIS_REPLY_INTEGER) {
        fmt::print(stderr,
                   "larder lock: could not renew the lease of {:?}: {} (the command "
                   "keeps running without the lock)\n",
                   a.name, ReplyError(c, r.get()));
        holding = false;
      }
      next_renew += renew_every;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (holding) {
    Reply r = Call(c, {"LOCK.RELEASE", a.name, token});
    if (r == nullptr || r->type != REDIS_REPLY_INTEGER) {
      fmt::print(stderr, "larder lock: could not release {:?}: {}\n", a.name,
                 ReplyError(c, r.get()));
    }
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

int RunLock(const LockArgs& a) {
  if (a.command.empty()) return Fail("no command given (larder lock NAME -- command [args])");
  if (a.lease_ms <= 0) return Fail("--lease must be positive");
  const timeval connect_timeout{5, 0};
  Context c(redisConnectWithTimeout(a.host.c_str(), a.port, connect_timeout));
  if (c == nullptr || c->err != 0) {
    return Fail(fmt::format("cannot connect to {}:{}: {}", a.host, a.port,
                            c == nullptr ? "out of memory" : c->errstr));
  }
  const timeval no_timeout{0, 0};
  redisSetTimeout(c.get(), no_timeout);  // LOCK.ACQUIRE may wait long
  std::vector<std::string> acquire = {
      "LOCK.ACQUIRE", a.name, "LEASE", std::to_string(a.lease_ms), "OWNER", OwnerText(a)};
  if (a.timeout_ms == 0) {
    acquire.push_back("NOWAIT");
  } else if (a.timeout_ms > 0) {
    acquire.insert(acquire.end(), {"TIMEOUT", std::to_string(a.timeout_ms)});
  }
  Reply r = Call(c.get(), acquire);
  if (r == nullptr || r->type == REDIS_REPLY_ERROR) {
    return Fail(fmt::format("LOCK.ACQUIRE {:?}: {}", a.name, ReplyError(c.get(), r.get())));
  }
  if (r->type == REDIS_REPLY_NIL) {
    fmt::print(stderr, "larder lock: lock {:?} not acquired within {} ms\n", a.name, a.timeout_ms);
    return a.conflict_exit_code;
  }
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
      r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_INTEGER) {
    return Fail("unexpected LOCK.ACQUIRE reply");
  }
  const std::string token(r->element[0]->str, r->element[0]->len);
  return RunHolding(c.get(), a, token, r->element[1]->integer);
}

}  // namespace

void RegisterLockCommand(CLI::App& app, Action& action) {
  auto args = std::make_shared<LockArgs>();
  CLI::App* sub = app.add_subcommand(
      "lock", "Run a command while holding a larderd lock (as flock(1) for a file)");
  sub->add_option("--host", args->host, "larderd's host")->default_val("127.0.0.1");
  sub->add_option("--port", args->port, "larderd's port")->default_val(6379);
  sub->add_option("--timeout", args->timeout_ms,
                  "Give up after this many ms (0: do not wait; default: wait as long as it takes)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 50));
  sub->add_option("--lease", args->lease_ms, "Lease in ms, renewed while the command runs")
      ->default_val(30000)
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 50));
  sub->add_option("--conflict-exit-code", args->conflict_exit_code,
                  "Exit status when the lock was not acquired in time")
      ->default_val(kExitError);
  sub->add_option("NAME", args->name, "The lock's name")->required();
  sub->add_option("command", args->command, "The command and its arguments (after --)")->required();
  sub->callback([args, &action] { action = [args] { return RunLock(*args); }; });
}

}  // namespace larder::cli
