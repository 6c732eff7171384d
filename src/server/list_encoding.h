// The list encoding (docs/formats/larderd.md, "Lists"): a list's elements are raw collection
// records of its key (Database::GetRecord...), one per element, at consecutive positions:
//
//   record = the element's position as 8 bytes big-endian, value = the element's bytes
//   KeyInfo::aux = the head's position; KeyInfo::size = the element count
//
// Invariant (between commands): the records under the list's version are exactly the positions
// [aux, aux + size), element i at aux + i. A new list starts at aux = 2^63 so both ends grow
// without renumbering: a push or a pop at either end writes one record, LINDEX/LSET touch one,
// LRANGE reads only its range, and an insertion or removal inside the list moves the elements of
// the shorter side by one position (in bounded chunks).
//
// ListKey is the list of one key opened for one command. Its edits change the records at once
// and the metadata (size, aux) in memory; Commit() writes the metadata (WriteCollection: a size
// of 0 removes the key). Lifetime: one command; the Database must outlive it.
// Thread-safety: as command handlers (the execution lock, inside a batch).
#ifndef LARDER_SERVER_LIST_ENCODING_H_
#define LARDER_SERVER_LIST_ENCODING_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "larder/result.h"
#include "larder/status.h"
#include "server/keyspace.h"

namespace larder::server {

// The head position of a new list: the middle of the 64-bit position space.
inline constexpr std::uint64_t kListStartPosition = std::uint64_t{1} << 63;

// The record name of `position` (8 bytes big-endian, so records sort by position).
std::string ListPositionRecord(std::uint64_t position);

enum class ListEnd { kHead, kTail };

class ListKey {
 public:
  // An existing list: `info` from Lookup (type kList).
  ListKey(Database& db, std::string_view key, const KeyInfo& info)
      : db_(&db), key_(key), info_(info) {}
  // A new, empty list (nothing is written until Commit, and then only when it has elements).
  static Result<ListKey> Create(Database& db, std::string_view key);

  std::uint64_t size() const { return info_.size; }
  const std::string& key() const { return key_; }
  const KeyInfo& info() const { return info_; }

  // Element `index` (0 <= index < size()).
  Result<std::string> Get(std::uint64_t index);
  Status Set(std::uint64_t index, std::string_view value);
  Status Push(ListEnd end, std::string_view value);
  // Removes and returns up to `count` elements from `end`, in the order they are popped.
  Result<std::vector<std::string>> Pop(ListEnd end, std::uint64_t count);

  // Visits the elements from `end` (index counted from the head), `from` elements away from
  // that end, until `visit` returns false or the list ends. `visit` must not write.
  using Visitor = std::function<bool(std::uint64_t index, std::string_view value)>;
  Status Scan(ListEnd end, std::uint64_t from, const Visitor& visit);

  // Inserts `value` before element `index` (0 <= index <= size(); size() appends).
  Status Insert(std::uint64_t index, std::string_view value);
  // Removes the elements at `indices` (ascending, distinct, each < size()).
  Status RemoveAt(const std::vector<std::uint64_t>& indices);
  // Keeps the elements [start, start + count) and removes the others (start + count <= size()).
  Status Trim(std::uint64_t start, std::uint64_t count);

  // Writes the metadata: the key is created, updated, or removed when empty.
  Status Commit();

 private:
  ListKey(Database& db, std::string_view key, const KeyInfo& info, bool created)
      : db_(&db), key_(key), info_(info), created_(created) {}
  std::uint64_t Position(std::uint64_t index) const { return info_.aux + index; }
  // Moves the records at positions [from, from + n) to [to, to + n), in chunks.
  Status Move(std::uint64_t from, std::uint64_t n, std::uint64_t to);
  Status DeleteRange(std::uint64_t from, std::uint64_t n);

  Database* db_;
  std::string key_;
  KeyInfo info_;
  bool created_ = false;
};

}  // namespace larder::server

#endif  // LARDER_SERVER_LIST_ENCODING_H_
