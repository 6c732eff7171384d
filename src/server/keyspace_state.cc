#include "server/keyspace_state.h"

#include <fmt/format.h>

#include "larder/clock.h"

namespace larder::server {

using enc::Meta;

Status KeyspaceState::Get(std::string_view key, std::string_view* value) {
  LARDER_RETURN_IF_ERROR(broken_);
  Status s = tx_->GetView(key, value);
  if (!s.ok() && !s.IsNotFound()) return Fail(s);
  return s;
}

Status KeyspaceState::Put(std::string_view key, std::string_view value) {
  LARDER_RETURN_IF_ERROR(broken_);
  Status s = tx_->Put(key, value);
  // A value the engine cannot hold fails alone (nothing applied) and is the caller's reply.
  if (s.code() == Code::kInvalidArgument) return s;
  ++writes_;
  if (meta_memo_valid_ && key == meta_memo_key_) {
    if (s.ok()) {
      meta_memo_value_.assign(value);
    } else {
      meta_memo_valid_ = false;
    }
  }
  return Fail(s);
}

Status KeyspaceState::Delete(std::string_view key) {
  LARDER_RETURN_IF_ERROR(broken_);
  ++writes_;
  if (meta_memo_valid_ && key == meta_memo_key_) meta_memo_valid_ = false;
  return Fail(tx_->Delete(key));
}

Status KeyspaceState::Take(std::string_view key, std::string* value) {
  LARDER_RETURN_IF_ERROR(broken_);
  Status s = tx_->Take(key, value);
  if (s.IsNotFound()) return s;
  ++writes_;
  if (meta_memo_valid_ && key == meta_memo_key_) meta_memo_valid_ = false;
  return Fail(s);
}

Result<std::unique_ptr<kv::Iterator>> KeyspaceState::Range(std::string_view lower,
                                                           std::string_view upper) {
  LARDER_RETURN_IF_ERROR(broken_);
  auto it = tx_->NewIterator({.lower_bound = lower, .upper_bound = upper});
  if (!it.ok()) return Fail(it.status());
  return it;
}

Result<std::uint64_t> KeyspaceState::DeleteRange(std::string_view lower, std::string_view upper,
                                                 std::uint64_t budget) {
  std::vector<std::string> keys;
  {
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<kv::Iterator> it, Range(lower, upper));
    for (it->SeekToFirst(); it->Valid() && keys.size() < budget; it->Next()) {
      keys.emplace_back(it->key());
    }
    LARDER_RETURN_IF_ERROR(Fail(it->status()));
  }
  for (const std::string& k : keys) LARDER_RETURN_IF_ERROR(Delete(k));
  return keys.size();
}

Status KeyspaceState::Load() {
  std::string_view v;
  Status s = Get(enc::kFormatKey, &v);
  if (s.IsNotFound()) {
    LARDER_RETURN_IF_ERROR(Put(enc::kFormatKey, enc::Be32(enc::kFormatVersion)));
    db_map_.clear();
    for (int i = 0; i < databases_; ++i) db_map_.push_back(NewPdb());
    db_map_dirty_ = true;
    next_version_dirty_ = true;
    return FlushCounters();
  }
  LARDER_RETURN_IF_ERROR(s);
  if (v.size() != 4 || enc::ReadBe32(v) != enc::kFormatVersion) {
    return Status::Corruption("larderd data: unknown format version");
  }
  LARDER_RETURN_IF_ERROR(Get(enc::kDbMapKey, &v));
  if (!enc::DecodeDbMap(v, &db_map_)) return Status::Corruption("larderd data: bad database map");
  LARDER_RETURN_IF_ERROR(Get(enc::kNextPdbKey, &v));
  if (v.size() != 4) return Status::Corruption("larderd data: bad next database number");
  next_pdb_ = enc::ReadBe32(v);
  LARDER_RETURN_IF_ERROR(Get(enc::kNextVersionKey, &v));
  if (v.size() != 8) return Status::Corruption("larderd data: bad next version");
  next_version_ = enc::ReadBe64(v);
  const std::string count_prefix = "scount";
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<kv::Iterator> it,
                          Range(count_prefix, enc::PrefixEnd(count_prefix)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != count_prefix.size() + 4 || it->value().size() != 16) {
      return Status::Corruption("larderd data: bad key count record");
    }
    counts_[enc::ReadBe32(it->key().substr(count_prefix.size()))] =
        DbCounts{enc::ReadBe64(it->value()), enc::ReadBe64(it->value().substr(8))};
  }
  LARDER_RETURN_IF_ERROR(it->status());
  it.reset();
  // More databases configured than recorded: new (empty) physical databases for the rest.
  while (db_map_.size() < static_cast<std::size_t>(databases_)) {
    db_map_.push_back(NewPdb());
    db_map_dirty_ = true;
  }
  return FlushCounters();
}

std::uint32_t KeyspaceState::NewPdb() {
  next_pdb_dirty_ = true;
  return next_pdb_++;
}

std::uint64_t KeyspaceState::NewVersion() {
  next_version_dirty_ = true;
  return next_version_++;
}

namespace {
void AddTo(std::uint64_t* c, std::int64_t delta) {
  *c = static_cast<std::uint64_t>(static_cast<std::int64_t>(*c) + delta);
}
}  // namespace

void KeyspaceState::AddCount(std::uint32_t pdb, std::int64_t delta) {
  AddTo(&counts_[pdb].keys, delta);
  dirty_counts_.insert(pdb);
}

void KeyspaceState::AddExpires(std::uint32_t pdb, std::int64_t delta) {
  AddTo(&counts_[pdb].expires, delta);
  dirty_counts_.insert(pdb);
}

void KeyspaceState::ForgetCount(std::uint32_t pdb) {
  counts_.erase(pdb);
  dirty_counts_.insert(pdb);
}

Status KeyspaceState::FlushCounters() {
  for (std::uint32_t pdb : dirty_counts_) {
    const DbCounts c = CountsOf(pdb);
    if (c.keys == 0 && c.expires == 0) {
      LARDER_RETURN_IF_ERROR(Delete(enc::CountKey(pdb)));
    } else {
      std::string v = enc::Be64(c.keys);
      enc::AppendBe64(&v, c.expires);
      LARDER_RETURN_IF_ERROR(Put(enc::CountKey(pdb), v));
    }
  }
  dirty_counts_.clear();
  if (db_map_dirty_) LARDER_RETURN_IF_ERROR(Put(enc::kDbMapKey, enc::EncodeDbMap(db_map_)));
  if (next_pdb_dirty_) LARDER_RETURN_IF_ERROR(Put(enc::kNextPdbKey, enc::Be32(next_pdb_)));
  if (next_version_dirty_) {
    LARDER_RETURN_IF_ERROR(Put(enc::kNextVersionKey, enc::Be64(next_version_)));
  }
  db_map_dirty_ = next_pdb_dirty_ = next_version_dirty_ = false;
  return Status::Ok();
}

Result<bool> KeyspaceState::ReadMeta(std::uint32_t pdb, std::string_view key, Meta* meta,
                                     std::string* buf) {
  enc::MetaKeyInto(pdb, key, &key_buf_);
  const bool memo_hit = meta_memo_valid_ && key_buf_ == meta_memo_key_;
  if (memo_hit) {
    LARDER_RETURN_IF_ERROR(broken_);
    buf->assign(meta_memo_value_);
  } else {
    std::string_view v;
    Status s = Get(key_buf_, &v);
    if (s.IsNotFound()) return false;
    LARDER_RETURN_IF_ERROR(s);
    buf->assign(v);
  }
  if (!enc::DecodeMeta(*buf, meta)) {
    meta_memo_valid_ = false;
    return Fail(
        Status::Corruption(fmt::format("larderd data: bad meta record of a key in db {}", pdb)));
  }
  if (!memo_hit && meta->is_collection()) {
    meta_memo_key_.assign(key_buf_);
    meta_memo_value_.assign(*buf);
    meta_memo_valid_ = true;
  }
  return true;
}

Result<bool> KeyspaceState::ReadLiveMeta(int db, std::string_view key, Meta* meta,
                                         std::string* buf) {
  LARDER_ASSIGN_OR_RETURN(bool found, ReadMeta(pdb(db), key, meta, buf));
  if (!found) return false;
  if (!Expired(*meta)) return true;
  LARDER_RETURN_IF_ERROR(Expire(db, key, *meta));
  return false;
}

Status KeyspaceState::WriteMeta(std::uint32_t pdb, std::string_view key, const Meta& meta,
                                std::int64_t old_expire_at_ms) {
  if (old_expire_at_ms != meta.expire_at_ms) {
    if (old_expire_at_ms != 0) {
      LARDER_RETURN_IF_ERROR(Delete(enc::ExpiryKey(pdb, old_expire_at_ms, key)));
    }
    if (meta.expire_at_ms != 0) {
      LARDER_RETURN_IF_ERROR(Put(enc::ExpiryKey(pdb, meta.expire_at_ms, key), {}));
    }
    if ((old_expire_at_ms == 0) != (meta.expire_at_ms == 0)) {
      AddExpires(pdb, meta.expire_at_ms != 0 ? 1 : -1);
    }
  }
  enc::EncodeMeta(meta, &meta_bytes_buf_);
  enc::MetaKeyInto(pdb, key, &key_buf_);
  Status s = Put(key_buf_, meta_bytes_buf_);
  constexpr std::size_t kKeptBufferBytes = 64 << 10;  // a large string's copy is not kept
  if (meta_bytes_buf_.capacity() > kKeptBufferBytes) std::string().swap(meta_bytes_buf_);
  return s;
}

Status KeyspaceState::RemoveKey(std::uint32_t pdb, std::string_view key, const Meta& meta) {
  if (meta.expire_at_ms != 0) {
    LARDER_RETURN_IF_ERROR(Delete(enc::ExpiryKey(pdb, meta.expire_at_ms, key)));
    AddExpires(pdb, -1);
  }
  if (meta.is_collection()) LARDER_RETURN_IF_ERROR(DropMembers(meta.version, meta.size));
  enc::MetaKeyInto(pdb, key, &key_buf_);
  LARDER_RETURN_IF_ERROR(Delete(key_buf_));
  AddCount(pdb, -1);
  return Status::Ok();
}

Status KeyspaceState::Expire(int db, std::string_view key, const Meta& meta) {
  // `key` may view a buffer RemoveKey reuses: keep a copy for the observer.
  const std::string k(key);
  LARDER_RETURN_IF_ERROR(RemoveKey(pdb(db), k, meta));
  ++expired_keys;
  NotifyExpired(db, k);
  Notify(db, k);
  return Status::Ok();
}

Status KeyspaceState::DropMembers(std::uint64_t version, std::uint64_t size) {
  rank_cache_.Erase(version);
  if (size <= kInlineDropMembers) {
    // Some encodings keep several records per member (sorted sets): delete a bounded number at
    // once, and leave the rest to the reclaimer if there are more.
    constexpr std::uint64_t kBudget = 4 * kInlineDropMembers + 1;
    const std::string prefix = enc::MemberPrefix(version);
    LARDER_ASSIGN_OR_RETURN(std::uint64_t deleted,
                            DeleteRange(prefix, enc::PrefixEnd(prefix), kBudget));
    if (deleted < kBudget) return Status::Ok();
  }
  return Put(enc::GarbageKey(version), {});
}

}  // namespace larder::server
