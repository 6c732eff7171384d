#include "lsm/range_tombstones.h"

#include <algorithm>
#include <functional>
#include <utility>

namespace larder::lsm {

Status CollectRangeTombstones(InternalIterator* it, std::vector<RangeTombstone>* out) {
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ParsedInternalKey k;
    if (!ParseInternalKey(it->key(), &k)) {
      return Status::Corruption("bad internal key " + lsm::DebugString(it->key()));
    }
    if (k.type != ValueType::kRangeDeletion) continue;
    out->push_back(RangeTombstone{std::string(k.user_key), std::string(it->value()), k.sequence});
  }
  return it->status();
}

RangeTombstones::RangeTombstones(const std::vector<RangeTombstone>& tombstones) {
  std::vector<std::string_view> bounds;
  bounds.reserve(tombstones.size() * 2);
  for (const RangeTombstone& t : tombstones) {
    if (t.begin >= t.end) continue;
    bounds.push_back(t.begin);
    bounds.push_back(t.end);
  }
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  if (bounds.empty()) return;

  // (fragment = index of its begin in bounds, sequence) for every piece a tombstone covers.
  std::vector<std::pair<std::uint32_t, SequenceNumber>> cover;
  for (const RangeTombstone& t : tombstones) {
    if (t.begin >= t.end) continue;
    const auto lo = std::lower_bound(bounds.begin(), bounds.end(), t.begin) - bounds.begin();
    const auto hi = std::lower_bound(bounds.begin(), bounds.end(), t.end) - bounds.begin();
    for (auto i = lo; i < hi; ++i) cover.emplace_back(static_cast<std::uint32_t>(i), t.seq);
  }
  std::sort(cover.begin(), cover.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second > b.second;
  });
  cover.erase(std::unique(cover.begin(), cover.end()), cover.end());

  bounds_.assign(bounds.begin(), bounds.end());
  seqs_.reserve(cover.size());
  for (std::size_t i = 0; i < cover.size();) {
    Fragment f{cover[i].first, static_cast<std::uint32_t>(seqs_.size()), 0};
    for (; i < cover.size() && cover[i].first == f.bound; ++i) seqs_.push_back(cover[i].second);
    f.seq_end = static_cast<std::uint32_t>(seqs_.size());
    fragments_.push_back(f);
  }
}

std::size_t RangeTombstones::Search(std::string_view user_key) const {
  // First fragment whose begin is > user_key; the one before it is the answer.
  std::size_t lo = 0, hi = fragments_.size();
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    if (Begin(mid) <= user_key) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo == 0 ? fragments_.size() : lo - 1;
}

const RangeTombstones::Fragment* RangeTombstones::Covering(std::size_t i,
                                                           std::string_view user_key) const {
  if (Begin(i) <= user_key && user_key < End(i)) return &fragments_[i];
  return nullptr;
}

SequenceNumber RangeTombstones::MaxSeqIn(const Fragment* f, SequenceNumber read_seq) const {
  if (f == nullptr) return 0;
  const auto first = seqs_.begin() + f->seq_begin, last = seqs_.begin() + f->seq_end;
  // Descending: the first sequence <= read_seq is the largest visible one.
  const auto it = std::lower_bound(first, last, read_seq, std::greater<>());
  return it == last ? 0 : *it;
}

bool RangeTombstones::DropIn(const Fragment* f, SequenceNumber seq,
                             const std::vector<SequenceNumber>& snapshots) const {
  if (f == nullptr) return false;
  const auto first = seqs_.begin() + f->seq_begin, last = seqs_.begin() + f->seq_end;
  // The oldest covering tombstone newer than the entry: the narrowest window to check.
  const auto newer_end = std::lower_bound(first, last, seq, std::greater<>());
  if (newer_end == first) return false;
  const SequenceNumber t = *(newer_end - 1);
  const auto snap = std::lower_bound(snapshots.begin(), snapshots.end(), seq);
  return snap == snapshots.end() || *snap >= t;
}

SequenceNumber RangeTombstones::MaxCoveringSeq(std::string_view user_key,
                                               SequenceNumber read_seq) const {
  const std::size_t i = Search(user_key);
  return i == fragments_.size() ? 0 : MaxSeqIn(Covering(i, user_key), read_seq);
}

bool RangeTombstones::ShouldDrop(std::string_view user_key, SequenceNumber seq,
                                 const std::vector<SequenceNumber>& snapshots) const {
  const std::size_t i = Search(user_key);
  return i != fragments_.size() && DropIn(Covering(i, user_key), seq, snapshots);
}

namespace {
// Steps a cursor takes before it falls back to a binary search.
constexpr int kMaxSteps = 4;
}  // namespace

SequenceNumber RangeTombstones::Cursor::MaxCoveringSeq(std::string_view user_key,
                                                       SequenceNumber read_seq) {
  if (set_ == nullptr || set_->fragments_.empty()) return 0;
  const std::size_t n = set_->fragments_.size();
  std::size_t i = index_;
  if (set_->Begin(i) > user_key) {
    for (int s = 0; s < kMaxSteps && i > 0 && set_->Begin(i) > user_key; ++s) --i;
    if (set_->Begin(i) > user_key) i = set_->Search(user_key);
  } else {
    for (int s = 0; s < kMaxSteps && i + 1 < n && set_->Begin(i + 1) <= user_key; ++s) ++i;
    if (i + 1 < n && set_->Begin(i + 1) <= user_key) i = set_->Search(user_key);
  }
  if (i == n) {  // before the first fragment
    index_ = 0;
    return 0;
  }
  index_ = i;
  return set_->MaxSeqIn(set_->Covering(i, user_key), read_seq);
}

bool RangeTombstones::Cursor::ShouldDrop(std::string_view user_key, SequenceNumber seq,
                                         const std::vector<SequenceNumber>& snapshots) {
  // Position with the covering query (any read sequence), then decide on that fragment.
  if (MaxCoveringSeq(user_key, kMaxSequenceNumber) == 0) return false;
  return set_->DropIn(set_->Covering(index_, user_key), seq, snapshots);
}

std::string RangeTombstones::DebugString() const {
  std::string out;
  for (std::size_t i = 0; i < fragments_.size(); ++i) {
    if (!out.empty()) out += ' ';
    out += '[';
    out += Begin(i);
    out += ',';
    out += End(i);
    out += "):";
    const Fragment& f = fragments_[i];
    for (std::uint32_t j = f.seq_begin; j < f.seq_end; ++j) {
      if (j != f.seq_begin) out += ',';
      out += std::to_string(seqs_[j]);
    }
  }
  return out;
}

}  // namespace larder::lsm
