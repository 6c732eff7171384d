#include "lsm/db_iter.h"

#include <cassert>
#include <utility>

#include "lsm/expiring_value.h"

namespace larder::lsm {

bool PrefixSuccessor(std::string_view prefix, std::string* out) {
  out->assign(prefix);
  while (!out->empty()) {
    const auto last = static_cast<unsigned char>(out->back());
    if (last != 0xff) {
      out->back() = static_cast<char>(last + 1);
      return true;
    }
    out->pop_back();
  }
  return false;
}

namespace {

// Entries a forward step skips one by one before it seeks instead (each skip costs a
// comparison; a seek costs a search in every merged child).
constexpr int kMaxSkips = 8;

class DBIter final : public kv::Iterator {
 public:
  explicit DBIter(DBIteratorArgs args)
      : pins_(std::move(args.pins)),
        tombstones_(std::move(args.tombstones)),
        input_(std::move(args.input)),
        sequence_(args.sequence),
        cursor_(tombstones_ && !tombstones_->empty() ? tombstones_.get() : nullptr),
        resolver_(args.resolver),
        now_ms_(args.now_ms) {
    const IteratorOptions& o = args.options;
    if (o.lower_bound) SetLower(*o.lower_bound);
    if (o.upper_bound) SetUpper(*o.upper_bound);
    if (o.prefix) {
      SetLower(*o.prefix);
      std::string succ;
      if (PrefixSuccessor(*o.prefix, &succ)) SetUpper(succ);
    }
    empty_range_ = has_lower_ && has_upper_ && lower_ >= upper_;
  }

  ~DBIter() override {
    input_.reset();  // before the pins it may point into
  }

  bool Valid() const override { return valid_; }

  void SeekToFirst() override {
    if (has_lower_) {
      Seek(lower_);
      return;
    }
    Start();
    input_->SeekToFirst();
    FindNextUserEntry(false);
  }

  void SeekToLast() override {
    Start();
    if (empty_range_) return;
    if (has_upper_) {
      SeekBefore(upper_);
    } else {
      input_->SeekToLast();
    }
    FindPrevUserEntry();
  }

  void Seek(std::string_view target) override {
    Start();
    if (empty_range_) return;
    if (has_lower_ && target < lower_) target = lower_;
    if (has_upper_ && target >= upper_) return;
    SetSeekKey(target, sequence_, kMaxValueType);
    input_->Seek(seek_key_);
    FindNextUserEntry(false);
  }

  void SeekForPrev(std::string_view target) override {
    if (has_upper_ && target >= upper_) {
      SeekToLast();
      return;
    }
    Start();
    if (empty_range_) return;
    if (has_lower_ && target < lower_) return;
    // The last internal key of `target`: every version of it is <= this.
    SetSeekKey(target, 0, ValueType::kDeletion);
    input_->SeekForPrev(seek_key_);
    FindPrevUserEntry();
  }

  void Next() override {
    assert(valid_);
    if (reverse_) {
      // The input is before the entries of the current key: go past all of them.
      SetSeekKey(key_, 0, ValueType::kDeletion);
      input_->Seek(seek_key_);
    } else {
      input_->Next();
    }
    FindNextUserEntry(true);
  }

  void Prev() override {
    assert(valid_);
    if (!reverse_) SeekBefore(key_);
    FindPrevUserEntry();
  }

  std::string_view key() const override { return key_; }
  std::string_view value() const override { return value_; }
  const Status& status() const override { return status_; }

 private:
  void SetLower(std::string_view k) {
    if (!has_lower_ || k > lower_) lower_.assign(k);
    has_lower_ = true;
  }
  void SetUpper(std::string_view k) {
    if (!has_upper_ || k < upper_) upper_.assign(k);
    has_upper_ = true;
  }

  void Start() {
    valid_ = false;
    status_ = Status::Ok();
  }

  void SetSeekKey(std::string_view user_key, SequenceNumber seq, ValueType type) {
    seek_key_.clear();
    AppendInternalKey(&seek_key_, user_key, seq, type);
  }

  // Positions the input on the last entry before every version of `user_key`.
  void SeekBefore(std::string_view user_key) {
    SetSeekKey(user_key, kMaxSequenceNumber, kMaxValueType);
    input_->Seek(seek_key_);
    if (input_->Valid()) {
      input_->Prev();
    } else if (input_->status().ok()) {
      input_->SeekToLast();
    }
  }

  bool Fail(Status s) {
    status_ = std::move(s);
    valid_ = false;
    return false;
  }

  bool Parse(ParsedInternalKey* k) {
    if (ParseInternalKey(input_->key(), k)) return true;
    return Fail(Status::Corruption("bad internal key " + DebugString(input_->key())));
  }

  // The input stopped (end or error) without an entry to show.
  void Stop() {
    valid_ = false;
    if (status_.ok() && !input_->Valid()) status_ = input_->status();
  }

  // Decides whether `user_key`, whose newest visible version is (type, seq, raw), is shown;
  // if so sets value_ (a view of raw, or of the resolved value). On an error, sets status_.
  bool Show(std::string_view user_key, ValueType type, SequenceNumber seq, std::string_view raw) {
    if (type == ValueType::kDeletion) return false;
    if (cursor_.MaxCoveringSeq(user_key, sequence_) > seq) return false;
    std::string_view payload = raw;
    if (IsExpiringType(type)) {
      std::uint64_t expires_at;
      if (!SplitExpiringValue(raw, &expires_at, &payload)) {
        std::string ik;
        AppendInternalKey(&ik, user_key, seq, type);
        return Fail(Status::Corruption("short expiring value at " + DebugString(ik)));
      }
      if (IsExpired(expires_at, now_ms_)) return false;
    }
    if (IsPointerType(type)) {
      if (resolver_ == nullptr) return Fail(Status::Corruption("value pointer without a resolver"));
      Status s = resolver_->Resolve(payload, &resolved_);
      if (!s.ok()) return Fail(std::move(s));
      value_ = resolved_;
    } else {
      value_ = payload;
    }
    return true;
  }

  // Forward: from the input's entry on, the first user key to show. With `skipping`, the
  // entries of key_ (versions older than the one just passed) are skipped first. After
  // kMaxSkips entries skipped in a row (many versions of one key), a seek jumps over the rest.
  void FindNextUserEntry(bool skipping) {
    reverse_ = false;
    int skipped = 0;
    while (input_->Valid()) {
      ParsedInternalKey k;
      if (!Parse(&k)) return;
      if (has_upper_ && k.user_key >= upper_) break;
      if (k.sequence > sequence_ && ++skipped > kMaxSkips) {
        // Newer versions than the read sees: jump to the first it sees.
        skipped = 0;
        SetSeekKey(k.user_key, sequence_, kMaxValueType);
        input_->Seek(seek_key_);
        continue;
      }
      if (k.sequence > sequence_ || k.type == ValueType::kRangeDeletion) {
        input_->Next();
        continue;
      }
      if (skipping && k.user_key == std::string_view(key_)) {
        if (++skipped > kMaxSkips) {
          // Older versions of key_: jump past its last possible entry.
          skipped = 0;
          SetSeekKey(key_, 0, ValueType::kDeletion);
          input_->Seek(seek_key_);
          if (input_->Valid() && input_->key() == std::string_view(seek_key_)) input_->Next();
        } else {
          input_->Next();
        }
        continue;
      }
      // The newest visible version of a new user key.
      skipped = 0;
      key_.assign(k.user_key);
      skipping = true;
      if (Show(k.user_key, k.type, k.sequence, input_->value())) {
        valid_ = true;
        return;
      }
      if (!status_.ok()) return;
      input_->Next();
    }
    Stop();
  }

  // Backward: from the input's entry back, the first user key to show. Each visible version
  // met replaces the candidate (older versions come first); the candidate is judged when the
  // walk leaves its key, with the input left on the entry before all of the key's versions.
  // After kMaxSkips versions of one key in a row (a hot key rewritten many times in a
  // memtable), JumpBeforeKey takes the newest visible version with a seek and jumps over the
  // rest: a backward step costs O(kMaxSkips + seeks), not O(versions).
  void FindPrevUserEntry() {
    reverse_ = true;
    bool have = false;
    int versions = 0;  // visible versions of key_ met in a row
    while (input_->Valid()) {
      ParsedInternalKey k;
      if (!Parse(&k)) return;
      if (has_lower_ && k.user_key < lower_) break;
      const bool shown = !(has_upper_ && k.user_key >= upper_) && k.sequence <= sequence_ &&
                         k.type != ValueType::kRangeDeletion;
      if (shown) {
        const bool same_key = have && k.user_key == std::string_view(key_);
        if (have && !same_key) {
          if (ShowCandidate()) return;
          if (!status_.ok()) return;
        }
        versions = same_key ? versions + 1 : 1;
        key_.assign(k.user_key);
        raw_.assign(input_->value());
        type_ = k.type;
        seq_ = k.sequence;
        have = true;
        if (versions > kMaxSkips) {
          versions = 0;
          if (!JumpBeforeKey()) return;
          continue;  // the input is on the entry before key_'s versions (or !Valid)
        }
      }
      input_->Prev();
    }
    if (!input_->Valid() && !input_->status().ok()) {
      Stop();
      return;
    }
    if (have && ShowCandidate()) return;
    Stop();
  }

  // For FindPrevUserEntry: makes the newest version of key_ the read sees the candidate (a
  // forward seek), then leaves the input on the last entry before every version of key_.
  // False when the input failed (then the iterator is stopped with its status).
  bool JumpBeforeKey() {
    SetSeekKey(key_, sequence_, kMaxValueType);
    input_->Seek(seek_key_);
    for (; input_->Valid(); input_->Next()) {
      ParsedInternalKey k;
      if (!Parse(&k)) return false;
      if (k.user_key != std::string_view(key_)) break;
      if (k.type == ValueType::kRangeDeletion) continue;
      raw_.assign(input_->value());
      type_ = k.type;
      seq_ = k.sequence;
      break;
    }
    if (!input_->status().ok()) {
      Stop();
      return false;
    }
    SetSeekKey(key_, kMaxSequenceNumber, kMaxValueType);
    input_->SeekForPrev(seek_key_);
    if (input_->Valid() && input_->key() == std::string_view(seek_key_)) input_->Prev();
    if (!input_->Valid() && !input_->status().ok()) {
      Stop();
      return false;
    }
    return true;
  }

  bool ShowCandidate() {
    valid_ = Show(key_, type_, seq_, raw_);
    return valid_;
  }

  // Declared first: destroyed last.
  std::unique_ptr<IteratorPins> pins_;
  std::shared_ptr<const RangeTombstones> tombstones_;
  std::unique_ptr<InternalIterator> input_;
  const SequenceNumber sequence_;
  RangeTombstones::Cursor cursor_;
  ValueResolver* const resolver_;
  const std::uint64_t now_ms_;

  bool has_lower_ = false, has_upper_ = false, empty_range_ = false;
  std::string lower_, upper_;

  bool valid_ = false;
  bool reverse_ = false;
  Status status_;
  std::string key_;                     // the user key shown (or, forward, the key being skipped)
  std::string_view value_;              // into the input's value, raw_ or resolved_
  std::string raw_;                     // backward: the candidate's value bytes
  ValueType type_ = ValueType::kValue;  // backward: the candidate's type and sequence
  SequenceNumber seq_ = 0;
  std::string resolved_;  // a resolved pointer's value
  std::string seek_key_;  // internal keys built for seeks
};

}  // namespace

std::unique_ptr<kv::Iterator> NewDBIterator(DBIteratorArgs args) {
  return std::make_unique<DBIter>(std::move(args));
}

}  // namespace larder::lsm
