#include "server/sort_sources.h"

#include <algorithm>
#include <memory>

#include "server/key_encoding.h"
#include "server/set_store.h"
#include "server/zset_store.h"

namespace larder::server::sort_sources {
namespace {

// Lists, as docs/formats/larderd.md ("Lists") lays them out: element i at the record named by
// position aux + i (8 bytes big-endian), so records in order are the list head to tail.
// TODO(sets): read and write through list_encoding.h's ListKey once the lists branch lands.
constexpr std::uint64_t kListStart = std::uint64_t{1} << 63;

Result<std::vector<std::string>> ListRange(Database& db, const KeyInfo& info, std::uint64_t start,
                                           std::uint64_t end, bool desc) {
  std::vector<std::string> out;
  const std::uint64_t first = desc ? info.size - 1 - end : start;
  const std::uint64_t count = end - start + 1;
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> it,
                          db.Records(info.version, enc::Be64(info.aux + first)));
  for (; it->Valid() && out.size() < count; it->Next()) out.emplace_back(it->value());
  LARDER_RETURN_IF_ERROR(it->status());
  if (desc) std::reverse(out.begin(), out.end());
  return out;
}

Result<std::vector<std::string>> ZSetRange(Database& db, std::string_view key, std::uint64_t start,
                                           std::uint64_t end, bool desc) {
  ZSetStore z(db, key);
  LARDER_ASSIGN_OR_RETURN(ZSetStore::State state, z.Load());
  std::vector<std::string> out;
  if (state != ZSetStore::State::kZSet || z.card() == 0) return out;
  LARDER_ASSIGN_OR_RETURN(std::vector<ZMember> members, z.RangeByRank(start, end, desc));
  out.reserve(members.size());
  for (ZMember& m : members) out.push_back(std::move(m.member));
  return out;
}

}  // namespace

Result<std::vector<std::string>> All(Database& db, std::string_view key, const KeyInfo& info) {
  switch (info.type) {
    case ValueType::kSet:
      return sets::All(db, info);
    case ValueType::kList:
      if (info.size == 0) return std::vector<std::string>();
      return ListRange(db, info, 0, info.size - 1, /*desc=*/false);
    case ValueType::kZSet:
      if (info.size == 0) return std::vector<std::string>();
      return ZSetRange(db, key, 0, info.size - 1, /*desc=*/false);
    default:
      return Status::InvalidArgument("SORT: not a list, set or sorted set");
  }
}

Result<std::vector<std::string>> Range(Database& db, std::string_view key, const KeyInfo& info,
                                       std::uint64_t start, std::uint64_t end, bool desc) {
  if (info.type == ValueType::kList) return ListRange(db, info, start, end, desc);
  if (info.type == ValueType::kZSet) return ZSetRange(db, key, start, end, desc);
  return Status::InvalidArgument("SORT: a range of a value that has no order");
}

Result<bool> StoreList(Database& db, std::string_view key,
                       const std::vector<std::string>& elements) {
  LARDER_ASSIGN_OR_RETURN(bool existed, db.Delete(key));
  if (elements.empty()) return existed;
  LARDER_ASSIGN_OR_RETURN(KeyInfo info, db.NewCollection(ValueType::kList));
  info.aux = kListStart;
  for (std::size_t i = 0; i < elements.size(); ++i) {
    LARDER_RETURN_IF_ERROR(db.PutRecord(info.version, enc::Be64(kListStart + i), elements[i]));
  }
  info.size = elements.size();
  LARDER_RETURN_IF_ERROR(db.WriteCollection(key, info, /*created=*/true));
  return existed;
}

}  // namespace larder::server::sort_sources
