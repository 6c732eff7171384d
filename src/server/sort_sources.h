// What SORT reads and writes, per type: the elements of a list, set or sorted set, read through
// each type's internal API (list_encoding.h, set_store.h, zset_store.h), and SORT ... STORE's
// destination list. Not a contract for other families (sort_command.cc is the only user).
//
// Every call: under the execution lock, inside a batch. `info` is the key's KeyInfo from a
// lookup in this command (type kList, kSet or kZSet).
#ifndef LARDER_SERVER_SORT_SOURCES_H_
#define LARDER_SERVER_SORT_SOURCES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "larder/result.h"
#include "server/keyspace.h"

namespace larder::server::sort_sources {

// Every element: a list head to tail, a set in member order, a sorted set in score order.
Result<std::vector<std::string>> All(Database& db, std::string_view key, const KeyInfo& info);
// The elements at positions [start, end] of a list or sorted set in its own order, counted from
// the tail (the highest score) when `desc`, in that order. REQUIRES: start <= end < info.size.
Result<std::vector<std::string>> Range(Database& db, std::string_view key, const KeyInfo& info,
                                       std::uint64_t start, std::uint64_t end, bool desc);
// Replaces `key` (any type, or absent) with a list of `elements` in order; with no elements it
// only deletes the key. Returns whether the key existed before.
Result<bool> StoreList(Database& db, std::string_view key,
                       const std::vector<std::string>& elements);

}  // namespace larder::server::sort_sources

#endif  // LARDER_SERVER_SORT_SOURCES_H_
