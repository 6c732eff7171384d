// The command table and the context a command runs in.
//
// Each family registers its commands in its own file (string_commands.cc, hash_commands.cc, ...)
// through one Register*Commands function; the dispatcher (dispatcher.cc) looks a command up,
// checks arity, authentication, MULTI queueing and pub/sub mode, runs the handler under the
// execution lock, and accounts commandstats and the slow log.
//
// Thread-safety: the table is built once at start-up and read-only afterwards. A handler runs
// with the server's execution lock held (one command at a time across all I/O threads), inside
// the keyspace's open batch; it must not block, sleep or do network I/O.
#ifndef LARDER_SERVER_COMMAND_H_
#define LARDER_SERVER_COMMAND_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "larder/status.h"

namespace larder::server {

class Client;    // client.h: one connection's state (id, name, db, protocol, MULTI, subs)
class Server;    // server.h: services shared by all clients (config, stats, pub/sub, clients)
class Keyspace;  // keyspace.h: every database over the engine
class Database;  // keyspace.h: one logical database (SELECT index)
class ReplyBuilder;

// Command flags, reported by COMMAND INFO with Redis's names.
enum CommandFlag : std::uint32_t {
  kCmdWrite = 1u << 0,     // may modify the keyspace ("write")
  kCmdReadOnly = 1u << 1,  // "readonly"
  kCmdAdmin = 1u << 2,     // "admin"
  kCmdPubSub = 1u << 3,    // "pubsub"
  kCmdNoScript = 1u << 4,  // "noscript"
  kCmdFast = 1u << 5,      // "fast"
  kCmdNoAuth = 1u << 6,    // allowed before AUTH ("no_auth")
  kCmdNoMulti = 1u << 7,   // refused inside MULTI ("no_multi": SAVE, SHUTDOWN)
  kCmdLoading = 1u << 8,   // "loading"
  kCmdStale = 1u << 9,     // "stale"
  kCmdSkipMonitor = 1u << 10,
  kCmdSkipSlowlog = 1u << 11,
  kCmdDenyOom = 1u << 12,       // "denyoom"
  kCmdBlocking = 1u << 13,      // "blocking"
  kCmdSubscribedOk = 1u << 14,  // allowed in RESP2 subscribed mode (SUBSCRIBE, PING, QUIT...)
  // Runs at once inside MULTI instead of being queued: MULTI EXEC DISCARD WATCH QUIT RESET (Redis
  // decides this by name; COMMAND INFO shows no flag for it).
  kCmdMultiControl = 1u << 15,
};

// The flag sets most command tables use: fast reads, fast writes, and fast writes that may add
// data (refused under an out-of-memory condition: "denyoom").
inline constexpr std::uint32_t kCmdReadFast = kCmdReadOnly | kCmdFast;
inline constexpr std::uint32_t kCmdWriteFast = kCmdWrite | kCmdFast;
inline constexpr std::uint32_t kCmdGrowFast = kCmdWrite | kCmdDenyOom | kCmdFast;

struct CommandContext {
  Server& server;
  Client& client;
  Keyspace& keyspace;
  Database& db;  // the client's selected database
  ReplyBuilder& reply;
  std::span<const std::string_view> argv;  // argv[0] is the name as sent
  std::int64_t now_ms;                     // the command's clock (unix ms), fixed for its run
  // false inside EXEC and LOCK.DO: a blocking command must reply as on a timeout instead of
  // blocking (blocking.h).
  bool may_block = true;
};

// A handler writes exactly one reply (user errors included) and returns OK. A non-OK Status
// means the engine failed: the dispatcher discards what the handler wrote, replies
// "-ERR <status>" and the server stops accepting writes (the keyspace is poisoned).
using CommandHandler = Status (*)(CommandContext&);

struct CommandSpec {
  std::string_view name;  // lower case: "get", or for a subcommand "get" under "config"
  int arity;              // Redis's convention: N exact, -N at least N (argv[0] counts)
  std::uint32_t flags;    // CommandFlag bits
  int first_key;          // Redis's legacy key spec: 0 when the command takes no key
  int last_key;           // -1: the last argument
  int key_step;
  CommandHandler handler;  // null for a container (CONFIG, CLIENT, ...): see subcommands
  std::string_view group;  // "string", "hash", "generic", "connection", "server", "pubsub",
                           // "transactions", "bitmap" (COMMAND DOCS)
  std::string_view summary;
  std::string_view since;                // Redis version that introduced it, e.g. "1.0.0"
  std::vector<CommandSpec> subcommands;  // CONFIG GET, CLIENT LIST, ... (each with its arity
                                         // counted from the container: CONFIG GET has -3)
};

// One client's last lookup (CommandTable::Find with a memo): the name as the client sent it and
// the table slot where the command was found. A pipeline repeats one command, and the repeat
// skips the table's hash lookup. A memo serves one table (slots never move: Add replaces a
// command in its slot and appends new ones).
struct CommandMemo {
  std::string name;
  std::size_t slot = 0;
  bool filled = false;
};

class CommandTable {
 public:
  // Adds a command; replaces one of the same name.
  void Add(CommandSpec spec);
  // Case-insensitive lookup; null when unknown.
  const CommandSpec* Find(std::string_view name) const;
  // The same, answered from *memo when `name` is the very name (same bytes, same case) it
  // holds; a found command is remembered there.
  const CommandSpec* Find(std::string_view name, CommandMemo* memo) const;
  // A container's subcommand (case-insensitive); null when unknown.
  static const CommandSpec* FindSubcommand(const CommandSpec& container, std::string_view name);
  const std::vector<CommandSpec>& all() const { return commands_; }

 private:
  std::vector<CommandSpec> commands_;
  std::unordered_map<std::string, std::size_t> index_;  // lower-case name -> commands_ slot
};

// One per family; each in its family's file.
void RegisterConnectionCommands(
    CommandTable& table);  // PING ECHO HELLO AUTH SELECT QUIT RESET CLIENT
void RegisterServerCommands(
    CommandTable& table);  // INFO CONFIG COMMAND TIME SLOWLOG MONITOR SHUTDOWN
void RegisterKeyspaceAdminCommands(CommandTable& table);  // DBSIZE FLUSHDB FLUSHALL SWAPDB
void RegisterPersistenceCommands(CommandTable& table);    // SAVE BGSAVE LASTSAVE
void RegisterStringCommands(CommandTable& table);         // strings
void RegisterBitCommands(CommandTable& table);   // SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD
void RegisterKeyCommands(CommandTable& table);   // DEL ... SCAN, expiry commands, OBJECT
void RegisterHashCommands(CommandTable& table);  // every hash command
void RegisterTransactionCommands(CommandTable& table);  // MULTI EXEC DISCARD WATCH UNWATCH
void RegisterPubSubCommands(CommandTable& table);       // SUBSCRIBE ... PUBSUB
void RegisterCompatCommands(CommandTable& table);  // FUNCTION FLUSH (a no-op: for Redis tooling)
void RegisterListCommands(CommandTable& table);    // every list command, blocking ones included
void RegisterSetCommands(CommandTable& table);     // every set command
void RegisterZSetCommands(CommandTable& table);    // every sorted-set command, BZPOP* included
void RegisterHyperLogLogCommands(CommandTable& table);  // PFADD PFCOUNT PFMERGE (PFDEBUG...)
void RegisterGeoCommands(CommandTable& table);          // GEOADD ... GEORADIUS family
void RegisterSortCommands(CommandTable& table);         // SORT SORT_RO
void RegisterLockCommands(CommandTable& table);         // LOCK.* (docs/locks.md)
void RegisterQueueCommands(CommandTable& table);        // Q* (docs/queue.md)
void RegisterStreamCommands(CommandTable& table);       // every stream command (X*)
void RegisterTsCommands(CommandTable& table);           // TS.* (docs/server.md, "Time series")

// Every family above.
void RegisterAllCommands(CommandTable& table);

}  // namespace larder::server

#endif  // LARDER_SERVER_COMMAND_H_
