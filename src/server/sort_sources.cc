#include "server/sort_sources.h"

#include <memory>

#include "server/list_encoding.h"
#include "server/set_store.h"
#include "server/zset_store.h"

namespace larder::server::sort_sources {
namespace {

Result<std::vector<std::string>> ListRange(Database& db, std::string_view key, const KeyInfo& info,
                                           std::uint64_t start, std::uint64_t end, bool desc) {
  std::vector<std::string> out;
  const std::uint64_t count = end - start + 1;
  ListKey list(db, key, info);
  LARDER_RETURN_IF_ERROR(list.Scan(desc ? ListEnd::kTail : ListEnd::kHead, start,
                                   [&](std::uint64_t, std::string_view value) {
                                     out.emplace_back(value);
                                     return out.size() < count;
                                   }));
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
      return ListRange(db, key, info, 0, info.size - 1, /*desc=*/false);
    case ValueType::kZSet:
      if (info.size == 0) return std::vector<std::string>();
      return ZSetRange(db, key, 0, info.size - 1, /*desc=*/false);
    default:
      return Status::InvalidArgument("SORT: not a list, set or sorted set");
  }
}

Result<std::vector<std::string>> Range(Database& db, std::string_view key, const KeyInfo& info,
                                       std::uint64_t start, std::uint64_t end, bool desc) {
  if (info.type == ValueType::kList) return ListRange(db, key, info, start, end, desc);
  if (info.type == ValueType::kZSet) return ZSetRange(db, key, start, end, desc);
  return Status::InvalidArgument("SORT: a range of a value that has no order");
}

Result<bool> StoreList(Database& db, std::string_view key,
                       const std::vector<std::string>& elements) {
  LARDER_ASSIGN_OR_RETURN(bool existed, db.Delete(key));
  if (elements.empty()) return existed;
  LARDER_ASSIGN_OR_RETURN(ListKey list, ListKey::Create(db, key));
  for (const std::string& element : elements) {
    LARDER_RETURN_IF_ERROR(list.Push(ListEnd::kTail, element));
  }
  LARDER_RETURN_IF_ERROR(list.Commit());
  return existed;
}

}  // namespace larder::server::sort_sources
