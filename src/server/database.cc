#include "server/database.h"

#include <cassert>
#include <random>
#include <utility>
#include <vector>

#include "base/coding.h"
#include "server/rank_index.h"

namespace larder::server {

using enc::Meta;

namespace {

// A walk over one range of records, showing each key without its first `strip` bytes, skipping
// records `reject` refuses.
class RangeCursor final : public Cursor {
 public:
  using Reject = bool (*)(std::string_view value, std::int64_t now_ms);
  RangeCursor(std::unique_ptr<kv::Iterator> it, std::size_t strip, Reject reject, std::int64_t now,
              bool reverse = false)
      : it_(std::move(it)), strip_(strip), reject_(reject), now_ms_(now), reverse_(reverse) {
    if (reverse_) {
      it_->SeekToLast();
    } else {
      it_->SeekToFirst();
    }
    Settle();
  }
  bool Valid() const override { return it_->Valid(); }
  void Next() override {
    Step();
    Settle();
  }
  // A walk that rejects no record skips in the engine (kv::Iterator::Skip).
  void Skip(std::uint64_t n) override {
    if (reject_ == nullptr && !reverse_) return it_->Skip(n);
    Cursor::Skip(n);
  }
  std::string_view key() const override { return it_->key().substr(strip_); }
  std::string_view value() const override { return reject_ != nullptr ? "" : it_->value(); }
  const Status& status() const override { return it_->status(); }

 private:
  void Step() {
    if (reverse_) {
      it_->Prev();
    } else {
      it_->Next();
    }
  }
  void Settle() {
    while (reject_ != nullptr && it_->Valid() && reject_(it_->value(), now_ms_)) Step();
  }
  std::unique_ptr<kv::Iterator> it_;
  std::size_t strip_;
  Reject reject_;
  std::int64_t now_ms_;
  bool reverse_;
};

class EmptyCursor final : public Cursor {
 public:
  bool Valid() const override { return false; }
  void Next() override {}
  std::string_view key() const override { return {}; }
  std::string_view value() const override { return {}; }
  const Status& status() const override { return status_; }

 private:
  Status status_;
};

// Meta records of expired (or unreadable) keys are skipped by key walks.
bool SkipExpired(std::string_view value, std::int64_t now_ms) {
  Meta m;
  if (!enc::DecodeMeta(value, &m)) return true;
  return m.expire_at_ms != 0 && m.expire_at_ms <= now_ms;
}

// Members copied per round: read a chunk, then write it (a write invalidates the iterator).
constexpr std::size_t kCopyChunk = 256;

}  // namespace

Result<std::optional<KeyInfo>> DatabaseImpl::Lookup(std::string_view key,
                                                    std::string* string_value) {
  Meta m;
  LARDER_ASSIGN_OR_RETURN(bool found, state_->ReadLiveMeta(index_, key, &m, &meta_buf_));
  if (!found) return std::optional<KeyInfo>();
  if (string_value != nullptr && m.type == ValueType::kString) string_value->assign(m.value);
  // Access times are not kept on disk (a read would become a write): last_access_ms stays 0 and
  // the server's in-memory KeyAccessTimes (access_times.h) answers OBJECT IDLETIME.
  return std::optional<KeyInfo>(KeyInfo{.type = m.type,
                                        .expire_at_ms = m.expire_at_ms,
                                        .size = m.size,
                                        .version = m.version,
                                        .aux = m.aux});
}

Status DatabaseImpl::SetString(std::string_view key, std::string_view value,
                               const SetStringOptions& options) {
  using Prior = SetStringOptions::Prior;
  Meta old;
  bool found = false;
  if (options.prior == Prior::kUnread) {
    LARDER_ASSIGN_OR_RETURN(found, state_->ReadLiveMeta(index_, key, &old, &meta_buf_));
  } else {
    found = options.prior == Prior::kString;
    old.type = ValueType::kString;
    old.expire_at_ms = options.prior_expire_at_ms;
#ifndef NDEBUG
    Meta check;
    Result<bool> read = state_->ReadLiveMeta(index_, key, &check, &meta_buf_);
    assert(read.ok() && *read == found);
    assert(!found || (check.type == ValueType::kString && check.expire_at_ms == old.expire_at_ms));
#endif
  }
  if (found && old.is_collection()) {
    LARDER_RETURN_IF_ERROR(state_->DropMembers(old.version, old.size));
  }
  Meta m;
  m.type = ValueType::kString;
  m.value = value;
  m.expire_at_ms = options.keep_ttl && found ? old.expire_at_ms : options.expire_at_ms;
  LARDER_RETURN_IF_ERROR(state_->WriteMeta(pdb(), key, m, found ? old.expire_at_ms : 0));
  if (!found) {
    state_->AddCount(pdb(), 1);
    state_->NotifyCreated(index_, key);
  }
  state_->Notify(index_, key);
  return Status::Ok();
}

Result<bool> DatabaseImpl::Delete(std::string_view key) {
  Meta m;
  LARDER_ASSIGN_OR_RETURN(bool found, state_->ReadLiveMeta(index_, key, &m, &meta_buf_));
  if (!found) return false;
  LARDER_RETURN_IF_ERROR(state_->RemoveKey(pdb(), key, m));
  state_->Notify(index_, key);
  return true;
}

Result<bool> DatabaseImpl::SetExpire(std::string_view key, std::int64_t expire_at_ms) {
  Meta m;
  LARDER_ASSIGN_OR_RETURN(bool found, state_->ReadLiveMeta(index_, key, &m, &meta_buf_));
  if (!found) return false;
  if (expire_at_ms != 0 && expire_at_ms <= state_->now_ms()) {
    LARDER_RETURN_IF_ERROR(state_->RemoveKey(pdb(), key, m));
    state_->Notify(index_, key);
    return true;
  }
  if (m.expire_at_ms == expire_at_ms) return true;  // unchanged: no write, no notification
  const std::int64_t old = m.expire_at_ms;
  m.expire_at_ms = expire_at_ms;
  LARDER_RETURN_IF_ERROR(state_->WriteMeta(pdb(), key, m, old));
  state_->Notify(index_, key);
  return true;
}

Result<std::optional<std::string>> DatabaseImpl::GetMember(std::string_view key,
                                                           std::string_view member) {
  Meta m;
  LARDER_ASSIGN_OR_RETURN(bool found, state_->ReadLiveMeta(index_, key, &m, &meta_buf_));
  if (!found || !m.is_collection()) return std::optional<std::string>();
  enc::MemberKeyInto(m.version, member, &key_buf_);
  std::string_view v;
  Status s = state_->Get(key_buf_, &v);
  if (s.IsNotFound()) return std::optional<std::string>();
  LARDER_RETURN_IF_ERROR(s);
  return std::optional<std::string>(std::string(v));
}

Result<bool> DatabaseImpl::SetMember(std::string_view key, ValueType type, std::string_view member,
                                     std::string_view value) {
  Meta m;
  LARDER_ASSIGN_OR_RETURN(bool found, state_->ReadLiveMeta(index_, key, &m, &meta_buf_));
  if (found && !m.is_collection()) return Status::InvalidArgument("not a collection");
  if (!found) {
    m = Meta{};
    m.type = type;
    m.version = state_->NewVersion();
  }
  enc::MemberKeyInto(m.version, member, &key_buf_);
  std::string_view old;
  Status s = state_->Get(key_buf_, &old);
  if (!s.ok() && !s.IsNotFound()) return s;
  const bool is_new = s.IsNotFound();
  LARDER_RETURN_IF_ERROR(state_->Put(key_buf_, value));
  if (is_new) {
    // The hash's cached rank index (HRANDFIELD), if any, counts the new field.
    LARDER_RETURN_IF_ERROR(RankIndex(*this, m.version, "").OnInsert(member));
    ++m.size;
    LARDER_RETURN_IF_ERROR(state_->WriteMeta(pdb(), key, m, m.expire_at_ms));
  }
  if (!found) {
    state_->AddCount(pdb(), 1);
    state_->NotifyCreated(index_, key);
  }
  state_->Notify(index_, key);
  return is_new;
}

Result<bool> DatabaseImpl::DeleteMember(std::string_view key, std::string_view member) {
  Meta m;
  LARDER_ASSIGN_OR_RETURN(bool found, state_->ReadLiveMeta(index_, key, &m, &meta_buf_));
  if (!found || !m.is_collection()) return false;
  enc::MemberKeyInto(m.version, member, &key_buf_);
  Status s = state_->Take(key_buf_, nullptr);
  if (s.IsNotFound()) return false;
  LARDER_RETURN_IF_ERROR(s);
  LARDER_RETURN_IF_ERROR(RankIndex(*this, m.version, "").OnErase(member));
  if (--m.size == 0) {
    LARDER_RETURN_IF_ERROR(state_->RemoveKey(pdb(), key, m));
  } else {
    LARDER_RETURN_IF_ERROR(state_->WriteMeta(pdb(), key, m, m.expire_at_ms));
  }
  state_->Notify(index_, key);
  return true;
}

Result<std::unique_ptr<Cursor>> DatabaseImpl::Members(std::string_view key,
                                                      std::string_view start) {
  Meta m;
  LARDER_ASSIGN_OR_RETURN(bool found, state_->ReadLiveMeta(index_, key, &m, &meta_buf_));
  if (!found || !m.is_collection()) return std::unique_ptr<Cursor>(std::make_unique<EmptyCursor>());
  const std::string prefix = enc::MemberPrefix(m.version);
  std::string lower = prefix;
  lower.append(start);
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<kv::Iterator> it,
                          state_->Range(lower, enc::PrefixEnd(prefix)));
  return std::unique_ptr<Cursor>(std::make_unique<RangeCursor>(
      std::move(it), enc::kMemberPrefixSize, nullptr, state_->now_ms()));
}

Result<KeyInfo> DatabaseImpl::NewCollection(ValueType type) {
  LARDER_RETURN_IF_ERROR(state_->broken());
  if (type == ValueType::kString) return Status::InvalidArgument("not a collection type");
  return KeyInfo{.type = type, .version = state_->NewVersion()};
}

Result<std::optional<std::string>> DatabaseImpl::GetRecord(std::uint64_t version,
                                                           std::string_view record) {
  enc::MemberKeyInto(version, record, &key_buf_);
  std::string_view v;
  Status s = state_->Get(key_buf_, &v);
  if (s.IsNotFound()) return std::optional<std::string>();
  LARDER_RETURN_IF_ERROR(s);
  return std::optional<std::string>(std::string(v));
}

Status DatabaseImpl::PutRecord(std::uint64_t version, std::string_view record,
                               std::string_view value) {
  enc::MemberKeyInto(version, record, &key_buf_);
  return state_->Put(key_buf_, value);
}

Status DatabaseImpl::DeleteRecord(std::uint64_t version, std::string_view record) {
  enc::MemberKeyInto(version, record, &key_buf_);
  return state_->Delete(key_buf_);
}

Result<std::optional<std::string>> DatabaseImpl::TakeRecord(std::uint64_t version,
                                                            std::string_view record) {
  enc::MemberKeyInto(version, record, &key_buf_);
  std::string value;
  Status s = state_->Take(key_buf_, &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  LARDER_RETURN_IF_ERROR(s);
  return std::optional<std::string>(std::move(value));
}

Result<std::unique_ptr<Cursor>> DatabaseImpl::Records(std::uint64_t version, std::string_view start,
                                                      bool reverse) {
  const std::string prefix = enc::MemberPrefix(version);
  std::string bound = prefix;
  bound.append(start);
  std::unique_ptr<kv::Iterator> it;
  if (!reverse) {
    LARDER_ASSIGN_OR_RETURN(it, state_->Range(bound, enc::PrefixEnd(prefix)));
  } else {
    LARDER_ASSIGN_OR_RETURN(it,
                            state_->Range(prefix, start.empty() ? enc::PrefixEnd(prefix) : bound));
  }
  return std::unique_ptr<Cursor>(std::make_unique<RangeCursor>(
      std::move(it), enc::kMemberPrefixSize, nullptr, state_->now_ms(), reverse));
}

Status DatabaseImpl::WriteCollection(std::string_view key, const KeyInfo& info, bool created) {
  LARDER_RETURN_IF_ERROR(state_->broken());
  if (info.type == ValueType::kString || info.version == 0) {
    return Status::InvalidArgument("WriteCollection: not a collection");
  }
  Meta m;
  m.type = info.type;
  m.version = info.version;
  m.size = info.size;
  m.aux = info.aux;
  std::int64_t old_expire = 0;
  bool old_meta_same = false;
  if (created) {
    m.expire_at_ms = info.expire_at_ms;
  } else {
    Meta old;
    LARDER_ASSIGN_OR_RETURN(bool found, state_->ReadMeta(pdb(), key, &old, &meta_buf_));
    if (!found || old.version != info.version) {
      return Status::Corruption("WriteCollection: the key changed under the command");
    }
    m.expire_at_ms = old.expire_at_ms;
    old_expire = old.expire_at_ms;
    old_meta_same = old.type == m.type && old.size == m.size && old.aux == m.aux;
  }
  if (m.size == 0 && m.type != ValueType::kStream) {
    if (!created) LARDER_RETURN_IF_ERROR(state_->RemoveKey(pdb(), key, m));
  } else if (old_meta_same) {
    // Only records under the version changed (a ZADD that moves a member, an LSET): the meta
    // record already says all of this; the write is still reported below.
  } else {
    LARDER_RETURN_IF_ERROR(state_->WriteMeta(pdb(), key, m, old_expire));
    if (created) {
      state_->AddCount(pdb(), 1);
      state_->NotifyCreated(index_, key);
    }
  }
  state_->Notify(index_, key);
  return Status::Ok();
}

Result<std::unique_ptr<Cursor>> DatabaseImpl::Keys(std::string_view start) {
  const std::string prefix = enc::MetaPrefix(pdb());
  std::string lower = prefix;
  lower.append(start);
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<kv::Iterator> it,
                          state_->Range(lower, enc::PrefixEnd(prefix)));
  return std::unique_ptr<Cursor>(std::make_unique<RangeCursor>(std::move(it), enc::kMetaPrefixSize,
                                                               &SkipExpired, state_->now_ms()));
}

Result<std::uint64_t> DatabaseImpl::KeyCount() {
  LARDER_RETURN_IF_ERROR(state_->broken());
  return state_->Count(pdb());
}

Result<std::uint64_t> DatabaseImpl::ExpiringKeyCount() {
  LARDER_RETURN_IF_ERROR(state_->broken());
  return state_->ExpiresCount(pdb());
}

Result<std::optional<std::string>> DatabaseImpl::RandomKey() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::string prefix = enc::MetaPrefix(pdb());
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<kv::Iterator> it,
                          state_->Range(prefix, enc::PrefixEnd(prefix)));
  it->SeekToFirst();
  LARDER_RETURN_IF_ERROR(it->status());
  if (!it->Valid()) return std::optional<std::string>();
  const std::string first(it->key());
  it->SeekToLast();
  const std::string last(it->key());
  // Seek to random bytes between the first and the last key (their common prefix, then a byte
  // between theirs, then random bytes) and take the key there: uniform over the gaps between
  // keys rather than over keys, "uniformly-ish" for real key sets.
  const std::size_t common = CommonPrefixLength(first, last);
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::string target = first.substr(0, common);
    if (common < last.size()) {
      const unsigned lo = common < first.size() ? static_cast<std::uint8_t>(first[common]) : 0;
      const unsigned hi = static_cast<std::uint8_t>(last[common]);
      target.push_back(static_cast<char>(lo + rng() % (hi - lo + 1)));
      for (int i = static_cast<int>(rng() % 4); i > 0; --i)
        target.push_back(static_cast<char>(rng()));
    }
    it->Seek(target);
    // Then a few steps on (wrapping), so that keys behind a wide gap are not always the ones
    // found.
    for (int steps = static_cast<int>(rng() % 8); steps >= 0; --steps) {
      if (!it->Valid()) it->SeekToFirst();
      if (steps > 0) it->Next();
    }
    if (!it->Valid()) it->SeekToFirst();
    LARDER_RETURN_IF_ERROR(it->status());
    if (it->Valid() && !SkipExpired(it->value(), state_->now_ms())) {
      return std::optional<std::string>(std::string(it->key().substr(enc::kMetaPrefixSize)));
    }
  }
  // Mostly expired keys: the first live one, if any.
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (!SkipExpired(it->value(), state_->now_ms())) {
      return std::optional<std::string>(std::string(it->key().substr(enc::kMetaPrefixSize)));
    }
  }
  LARDER_RETURN_IF_ERROR(it->status());
  return std::optional<std::string>();
}

Status DatabaseImpl::WriteCopy(int target, std::string_view dst, const Meta& meta) {
  Meta m = meta;
  const std::uint32_t tpdb = state_->pdb(target);
  if (m.is_collection()) {
    m.version = state_->NewVersion();
    const std::string prefix = enc::MemberPrefix(meta.version);
    const std::string end = enc::PrefixEnd(prefix);
    std::string from = prefix;
    std::vector<std::pair<std::string, std::string>> chunk;
    for (;;) {
      chunk.clear();
      {
        LARDER_ASSIGN_OR_RETURN(std::unique_ptr<kv::Iterator> it, state_->Range(from, end));
        for (it->SeekToFirst(); it->Valid() && chunk.size() < kCopyChunk; it->Next()) {
          chunk.emplace_back(it->key().substr(enc::kMemberPrefixSize), it->value());
        }
        LARDER_RETURN_IF_ERROR(it->status());
      }
      for (const auto& [member, value] : chunk) {
        enc::MemberKeyInto(m.version, member, &key_buf_);
        LARDER_RETURN_IF_ERROR(state_->Put(key_buf_, value));
      }
      if (chunk.size() < kCopyChunk) break;
      from = prefix + chunk.back().first;
      from.push_back('\0');  // the first member after the last one copied
    }
  }
  LARDER_RETURN_IF_ERROR(state_->WriteMeta(tpdb, dst, m, 0));
  state_->AddCount(tpdb, 1);
  state_->NotifyCreated(target, dst);
  return Status::Ok();
}

Result<bool> DatabaseImpl::CopyKey(std::string_view src, Database& target, std::string_view dst,
                                   bool replace) {
  const int t = target.index();
  Meta m;
  LARDER_ASSIGN_OR_RETURN(bool found, state_->ReadLiveMeta(index_, src, &m, &meta_buf_));
  if (!found) return false;
  if (t == index_ && src == dst) return false;  // the caller rejects it (COPY's error)
  Meta d;
  LARDER_ASSIGN_OR_RETURN(bool exists, state_->ReadLiveMeta(t, dst, &d, &dst_buf_));
  if (exists && !replace) return false;
  // Reading dst may have expired it, rewriting nothing of src: meta still views meta_buf_.
  if (exists) LARDER_RETURN_IF_ERROR(state_->RemoveKey(state_->pdb(t), dst, d));
  LARDER_RETURN_IF_ERROR(WriteCopy(t, dst, m));
  state_->Notify(t, dst);
  return true;
}

Result<bool> DatabaseImpl::RenameKey(std::string_view src, std::string_view dst) {
  Meta m;
  LARDER_ASSIGN_OR_RETURN(bool found, state_->ReadLiveMeta(index_, src, &m, &meta_buf_));
  if (!found) return false;
  if (src == dst) return true;
  Meta d;
  LARDER_ASSIGN_OR_RETURN(bool exists, state_->ReadLiveMeta(index_, dst, &d, &dst_buf_));
  if (exists) LARDER_RETURN_IF_ERROR(state_->RemoveKey(pdb(), dst, d));
  // Members live under the version alone: the new name takes the same version, O(1).
  LARDER_RETURN_IF_ERROR(state_->WriteMeta(pdb(), dst, m, 0));
  if (m.expire_at_ms != 0) {
    LARDER_RETURN_IF_ERROR(state_->Delete(enc::ExpiryKey(pdb(), m.expire_at_ms, src)));
    state_->AddExpires(pdb(), -1);
  }
  LARDER_RETURN_IF_ERROR(state_->Delete(enc::MetaKey(pdb(), src)));
  state_->NotifyCreated(index_, dst);  // as Redis: dst is removed, then added
  state_->Notify(index_, src);
  state_->Notify(index_, dst);
  return true;
}

}  // namespace larder::server
