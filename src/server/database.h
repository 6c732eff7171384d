// DatabaseImpl: one logical database (SELECT index) over KeyspaceState. It holds no data of its
// own: every call looks up the physical database the index maps to now (so SWAPDB and FLUSHDB,
// which change the map, take effect at once) and reads and writes through the state's engine
// transaction. The records are described in key_encoding.h and docs/formats/larderd.md.
//
// Thread-safety: as KeyspaceState (the execution lock's holder only).
#ifndef LARDER_SERVER_DATABASE_H_
#define LARDER_SERVER_DATABASE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "server/keyspace.h"
#include "server/keyspace_state.h"

namespace larder::server {

class DatabaseImpl final : public Database {
 public:
  DatabaseImpl(KeyspaceState* state, int index) : state_(state), index_(index) {}

  int index() const override { return index_; }
  Result<std::optional<KeyInfo>> Lookup(std::string_view key,
                                        std::string* string_value = nullptr) override;
  Status SetString(std::string_view key, std::string_view value,
                   const SetStringOptions& options = {}) override;
  Result<bool> Delete(std::string_view key) override;
  Result<bool> SetExpire(std::string_view key, std::int64_t expire_at_ms) override;
  Result<std::optional<std::string>> GetMember(std::string_view key,
                                               std::string_view member) override;
  Result<bool> SetMember(std::string_view key, ValueType type, std::string_view member,
                         std::string_view value) override;
  Result<bool> DeleteMember(std::string_view key, std::string_view member) override;
  Result<std::unique_ptr<Cursor>> Members(std::string_view key,
                                          std::string_view start = {}) override;
  Result<std::unique_ptr<Cursor>> Keys(std::string_view start = {}) override;
  Result<std::uint64_t> KeyCount() override;
  Result<std::uint64_t> ExpiringKeyCount() override;
  Result<std::optional<std::string>> RandomKey() override;
  Result<bool> CopyKey(std::string_view src, Database& target, std::string_view dst,
                       bool replace) override;
  Result<bool> RenameKey(std::string_view src, std::string_view dst) override;
  void Touch(std::string_view key) override {}
  RankCache* rank_cache() override { return &state_->rank_cache(); }
  Result<KeyInfo> NewCollection(ValueType type) override;
  Result<std::optional<std::string>> GetRecord(std::uint64_t version,
                                               std::string_view record) override;
  Status PutRecord(std::uint64_t version, std::string_view record, std::string_view value) override;
  Status DeleteRecord(std::uint64_t version, std::string_view record) override;
  Result<std::optional<std::string>> TakeRecord(std::uint64_t version,
                                                std::string_view record) override;
  Result<std::unique_ptr<Cursor>> Records(std::uint64_t version, std::string_view start,
                                          bool reverse = false) override;
  Status WriteCollection(std::string_view key, const KeyInfo& info, bool created) override;

 private:
  std::uint32_t pdb() const { return state_->pdb(index_); }
  // Writes `meta` as key `dst` of db `target` (replacing what is there: the caller has
  // checked), copying a collection's members under a new version.
  Status WriteCopy(int target, std::string_view dst, const enc::Meta& meta);

  KeyspaceState* state_;
  const int index_;
  std::string meta_buf_, dst_buf_, key_buf_;
};

}  // namespace larder::server

#endif  // LARDER_SERVER_DATABASE_H_
