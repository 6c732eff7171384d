#include "server/key_specs.h"

#include <algorithm>
#include <iterator>

#include "server/args.h"

namespace larder::server {
namespace {

struct KeySpecEntry {
  std::string_view command;  // lower case; "object|encoding" for a subcommand
  // The flags of each key spec in order, separated by '|': the key at index i among the
  // command's keys has the flags of spec min(i, specs - 1). SORT and GEORADIUS list only the
  // specs of the keys COMMAND GETKEYS gives (not those of BY/GET patterns, or STOREDIST apart).
  std::string_view specs;
};

// Redis 7.0.15's key specs (COMMAND INFO of Debian's redis-server) for the commands of the data
// types larderd serves, by name (binary search). SET and BITFIELD have "variable flags": see
// KeyFlags.
constexpr KeySpecEntry kKeySpecs[] = {
    {"append", "RW insert"},
    {"bitcount", "RO access"},
    {"bitfield", "RW access update"},
    {"bitfield_ro", "RO access"},
    {"bitop", "OW update|RO access"},
    {"bitpos", "RO access"},
    {"blmove", "RW access delete|RW insert"},
    {"blmpop", "RW access delete"},
    {"blpop", "RW access delete"},
    {"brpop", "RW access delete"},
    {"brpoplpush", "RW access delete|RW insert"},
    {"bzmpop", "RW access delete"},
    {"bzpopmax", "RW access delete"},
    {"bzpopmin", "RW access delete"},
    {"copy", "RO access|OW update"},
    {"decr", "RW access update"},
    {"decrby", "RW access update"},
    {"del", "RM delete"},
    {"exists", "RO"},
    {"expire", "RW update"},
    {"expireat", "RW update"},
    {"expiretime", "RO access"},
    {"geoadd", "RW update"},
    {"geodist", "RO access"},
    {"geohash", "RO access"},
    {"geopos", "RO access"},
    {"georadius", "RO access|OW update"},
    {"georadius_ro", "RO access"},
    {"georadiusbymember", "RO access|OW update"},
    {"georadiusbymember_ro", "RO access"},
    {"geosearch", "RO access"},
    {"geosearchstore", "OW update|RO access"},
    {"get", "RO access"},
    {"getbit", "RO access"},
    {"getdel", "RW access delete"},
    {"getex", "RW access update"},
    {"getrange", "RO access"},
    {"getset", "RW access update"},
    {"hdel", "RW delete"},
    {"hexists", "RO"},
    {"hget", "RO access"},
    {"hgetall", "RO access"},
    {"hincrby", "RW access update"},
    {"hincrbyfloat", "RW access update"},
    {"hkeys", "RO access"},
    {"hlen", "RO"},
    {"hmget", "RO access"},
    {"hmset", "RW update"},
    {"hrandfield", "RO access"},
    {"hscan", "RO access"},
    {"hset", "RW update"},
    {"hsetnx", "RW insert"},
    {"hstrlen", "RO"},
    {"hvals", "RO access"},
    {"incr", "RW access update"},
    {"incrby", "RW access update"},
    {"incrbyfloat", "RW access update"},
    {"lcs", "RO access"},
    {"lindex", "RO access"},
    {"linsert", "RW insert"},
    {"llen", "RO"},
    {"lmove", "RW access delete|RW insert"},
    {"lmpop", "RW access delete"},
    {"lpop", "RW access delete"},
    {"lpos", "RO access"},
    {"lpush", "RW insert"},
    {"lpushx", "RW insert"},
    {"lrange", "RO access"},
    {"lrem", "RW delete"},
    {"lset", "RW update"},
    {"ltrim", "RW delete"},
    {"memory|usage", "RO"},
    {"mget", "RO access"},
    {"move", "RW access update"},
    {"mset", "OW update"},
    {"msetnx", "OW insert"},
    {"object|encoding", "RO"},
    {"object|freq", "RO"},
    {"object|idletime", "RO"},
    {"object|refcount", "RO"},
    {"persist", "RW update"},
    {"pexpire", "RW update"},
    {"pexpireat", "RW update"},
    {"pexpiretime", "RO access"},
    {"pfadd", "RW insert"},
    {"pfcount", "RW access"},
    {"pfdebug", "RW access"},
    {"pfmerge", "RW access insert|RO access"},
    {"psetex", "OW update"},
    {"pttl", "RO access"},
    {"rename", "RW access delete|OW update"},
    {"renamenx", "RW access delete|OW insert"},
    {"rpop", "RW access delete"},
    {"rpoplpush", "RW access delete|RW insert"},
    {"rpush", "RW insert"},
    {"rpushx", "RW insert"},
    {"sadd", "RW insert"},
    {"scard", "RO"},
    {"sdiff", "RO access"},
    {"sdiffstore", "OW update|RO access"},
    {"set", "RW access update"},
    {"setbit", "RW access update"},
    {"setex", "OW update"},
    {"setnx", "OW insert"},
    {"setrange", "RW update"},
    {"sinter", "RO access"},
    {"sintercard", "RO access"},
    {"sinterstore", "RW update|RO access"},
    {"sismember", "RO"},
    {"smembers", "RO access"},
    {"smismember", "RO access"},
    {"smove", "RW access delete|RW insert"},
    {"sort", "RO access|OW update"},
    {"sort_ro", "RO access"},
    {"spop", "RW access delete"},
    {"srandmember", "RO access"},
    {"srem", "RW delete"},
    {"sscan", "RO access"},
    {"strlen", "RO"},
    {"substr", "RO access"},
    {"sunion", "RO access"},
    {"sunionstore", "OW update|RO access"},
    {"touch", "RO"},
    {"ttl", "RO access"},
    {"type", "RO"},
    {"unlink", "RM delete"},
    {"watch", "RO"},
    {"zadd", "RW update"},
    {"zcard", "RO"},
    {"zcount", "RO access"},
    {"zdiff", "RO access"},
    {"zdiffstore", "OW update|RO access"},
    {"zincrby", "RW access update"},
    {"zinter", "RO access"},
    {"zintercard", "RO access"},
    {"zinterstore", "OW update|RO access"},
    {"zlexcount", "RO access"},
    {"zmpop", "RW access delete"},
    {"zmscore", "RO access"},
    {"zpopmax", "RW access delete"},
    {"zpopmin", "RW access delete"},
    {"zrandmember", "RO access"},
    {"zrange", "RO access"},
    {"zrangebylex", "RO access"},
    {"zrangebyscore", "RO access"},
    {"zrangestore", "OW update|RO access"},
    {"zrank", "RO access"},
    {"zrem", "RW delete"},
    {"zremrangebylex", "RW delete"},
    {"zremrangebyrank", "RW delete"},
    {"zremrangebyscore", "RW delete"},
    {"zrevrange", "RO access"},
    {"zrevrangebylex", "RO access"},
    {"zrevrangebyscore", "RO access"},
    {"zrevrank", "RO access"},
    {"zscan", "RO access"},
    {"zscore", "RO access"},
    {"zunion", "RO access"},
    {"zunionstore", "OW update|RO access"},
};

// Argument i (from 1) equals `word` in any case.
bool HasArg(std::span<const std::string_view> argv, std::string_view word) {
  return std::any_of(argv.begin() + 1, argv.end(),
                     [&](std::string_view a) { return EqualsIgnoreCase(a, word); });
}

}  // namespace

std::string_view KeyFlags(const CommandSpec& spec, std::string_view full_name,
                          std::span<const std::string_view> argv, std::size_t index) {
  // The commands whose flags depend on their arguments, as Redis's getkeys procedures decide.
  if (full_name == "set") return HasArg(argv, "get") ? "RW access update" : "OW update";
  if (full_name == "bitfield") {
    const bool writes = HasArg(argv, "set") || HasArg(argv, "incrby");
    return writes ? "RW access update" : "RO access";
  }
  const auto* end = std::end(kKeySpecs);
  const auto* it = std::lower_bound(
      std::begin(kKeySpecs), end, full_name,
      [](const KeySpecEntry& e, std::string_view name) { return e.command < name; });
  if (it == end || it->command != full_name) {
    // larderd's own commands: from the command's flags.
    if ((spec.flags & kCmdReadOnly) != 0) return "RO access";
    return (spec.flags & kCmdWrite) != 0 ? "RW update" : "RW access";
  }
  std::string_view specs = it->specs;
  for (std::size_t i = 0; i < index; ++i) {
    const std::size_t bar = specs.find('|');
    if (bar == std::string_view::npos) break;
    specs.remove_prefix(bar + 1);
  }
  return specs.substr(0, specs.find('|'));
}

}  // namespace larder::server
