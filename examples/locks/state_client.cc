// The single-owner state service pattern over larderd's locks, in C++ with hiredis
// (docs/locks.md, "Examples"): read a snapshot without the lock; take the lock, which hands
// over a fresh snapshot; change it; write it back and release in one step
// (LOCK.WRITERELEASE), or just release when there is nothing to change.
//
//   build/bin/lock_state_client PORT NAME ROUNDS      prints "writes N" on exit
//
// The state is a counter as decimal text in the key "state" (the Python version keeps JSON;
// both can run against the same server only if they share the format, so the tests run them
// on different keys: see LOCK_STATE_KEY below).
#include <hiredis/hiredis.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

// One command, each argument binary-safe.
redisReply* Command(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s PORT NAME ROUNDS\n", argv[0]);
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const std::string name = argv[2];
  const int rounds = std::atoi(argv[3]);
  const char* key_env = std::getenv("LOCK_STATE_KEY");
  const std::string key = key_env != nullptr ? key_env : "state";
  const std::string lock = key + "-lock";
  const std::string owner = name + " pid " + std::to_string(::getpid());

  redisContext* c = redisConnect("127.0.0.1", port);
  if (c == nullptr || c->err != 0) {
    std::fprintf(stderr, "cannot connect: %s\n", c != nullptr ? c->errstr : "out of memory");
    return 1;
  }
  int writes = 0;
  for (int i = 0; i < rounds; ++i) {
    // A snapshot read, without the lock.
    redisReply* snapshot = Command(c, {"GET", key});
    if (snapshot == nullptr) return 1;
    freeReplyObject(snapshot);

    // Wait in line for the lock (up to 10 s); the grant is [token, fencing, state].
    redisReply* grant =
        Command(c, {"LOCK.ACQUIRE", lock, "STATE", key, "TIMEOUT", "10000", "OWNER", owner});
    if (grant == nullptr || grant->type != REDIS_REPLY_ARRAY || grant->elements != 3) {
      std::fprintf(stderr, "no grant (timeout or error)\n");
      return 1;
    }
    const std::string token(grant->element[0]->str, grant->element[0]->len);
    long long count = 0;
    if (grant->element[2]->type == REDIS_REPLY_STRING) count = std::atoll(grant->element[2]->str);
    freeReplyObject(grant);

    redisReply* done;
    if (i % 10 == 9) {
      done = Command(c, {"LOCK.RELEASE", lock, token});  // nothing to change
    } else {
      done = Command(c, {"LOCK.WRITERELEASE", lock, token, key, std::to_string(count + 1)});
      ++writes;
    }
    if (done == nullptr || done->type != REDIS_REPLY_INTEGER) {
      std::fprintf(stderr, "release failed: %s\n",
                   done != nullptr && done->type == REDIS_REPLY_ERROR ? done->str : "connection");
      return 1;
    }
    freeReplyObject(done);
  }
  std::printf("writes %d\n", writes);
  redisFree(c);
  return 0;
}
