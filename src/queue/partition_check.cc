#include "queue/partition_check.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "queue/item_format.h"

namespace larder::queue {

namespace {

// A key as a reader wants it: the tag, then its 8-byte numbers in decimal (other bytes in hex).
std::string KeyName(std::string_view key) {
  if (key.empty()) return "(empty key)";
  const char tag = key[0];
  std::string out(1, tag);
  for (int count : {1, 2}) {
    if (key.size() != 1 + 8 * static_cast<std::size_t>(count)) continue;
    for (int i = 0; i < count; ++i) out += fmt::format(" {}", *KeyNumber(key, tag, i, count));
    return out;
  }
  for (unsigned char c : key.substr(1)) out += fmt::format("{:02x}", c);
  return out;
}

struct Item {
  std::uint64_t origin;
  std::uint64_t seq;        // of its key (S: the second number)
  std::int64_t expires_ms;  // -1: an outbox entry (which keeps none)
  std::string key;          // its R, L, S or X key
};

class Checker {
 public:
  explicit Checker(PartitionCheckResult* r) : r_(r) {}

  void Problem(std::string what) {
    ++r_->problem_count;
    if (r_->problems.size() < kMaxReportedProblems) r_->problems.push_back(std::move(what));
  }

  void Record(std::string_view key, std::string_view value) {
    ++r_->records;
    switch (key.empty() ? '\0' : key[0]) {
      case 'M':
        return Meta(key, value);
      case kPayloadTag:
        return Payload(key, value);
      case kReadyTag:
      case kLeasedTag:
      case kOutboxTag:
        return Entry(key, value, KeyNumber(key, key[0]));
      case kScheduledTag:
        return Entry(key, value, KeyNumber(key, kScheduledTag, 1, 2));
      case kExpiryTag:
        return Expiry(key, value);
      case kDeadMarkerTag:
        return Marker(key, value);
      default:
        Problem(fmt::format("{}: unknown record", KeyName(key)));
    }
  }

  void Finish() {
    if (!meta_ && r_->records > 0) Problem("M: the meta record is missing");
    const PartitionMeta m = meta_.value_or(PartitionMeta{});
    const std::pair<const char*, std::pair<std::uint64_t, std::uint64_t>> counters[] = {
        {"ready", {m.ready, counts_[0]}},
        {"leased", {m.leased, counts_[1]}},
        {"scheduled", {m.scheduled, counts_[2]}},
        {"outbox", {m.outbox, counts_[3]}}};
    for (const auto& [name, c] : counters) {
      if (c.first != c.second) {
        Problem(fmt::format("M: counter {} is {} but the range holds {}", name, c.first, c.second));
      }
    }
    for (const Item& item : items_) {
      if (item.seq >= m.next_seq) {
        Problem(fmt::format("{}: at or above next_seq {}", KeyName(item.key), m.next_seq));
      }
      if (item.key[0] == kReadyTag && item.seq < m.ready_head) {
        Problem(fmt::format("{}: below the ready head {}", KeyName(item.key), m.ready_head));
      }
    }
    Payloads(m);
    ExpiryIndex();
  }

 private:
  int CounterOf(char tag) const {
    return tag == kReadyTag ? 0 : tag == kLeasedTag ? 1 : tag == kScheduledTag ? 2 : 3;
  }

  void Meta(std::string_view key, std::string_view value) {
    if (key != kMetaKey) return Problem(fmt::format("{}: unknown record", KeyName(key)));
    auto m = DecodeMeta(value);
    if (!m.ok()) return Problem(fmt::format("M: {}", m.status().ToString()));
    if (m->ready_head > m->next_seq) {
      Problem(fmt::format("M: ready_head {} above next_seq {}", m->ready_head, m->next_seq));
    }
    meta_ = *m;
  }

  void Payload(std::string_view key, std::string_view value) {
    auto origin = KeyNumber(key, kPayloadTag);
    if (!origin) return Problem(fmt::format("{}: bad payload key", KeyName(key)));
    auto rec = DecodePayload(value);
    if (!rec.ok()) return Problem(fmt::format("{}: {}", KeyName(key), rec.status().ToString()));
    payloads_.emplace_back(*origin, rec->expires_ms);  // in key order: sorted by origin
  }

  void Entry(std::string_view key, std::string_view value, std::optional<std::uint64_t> seq) {
    if (!seq) return Problem(fmt::format("{}: bad entry key", KeyName(key)));
    auto e = DecodeEntry(value);
    if (!e.ok()) return Problem(fmt::format("{}: {}", KeyName(key), e.status().ToString()));
    ++r_->items;
    ++counts_[CounterOf(key[0])];
    if (key[0] == kOutboxTag && e->client != kReasonRetryDead && e->client != kReasonMaxAttempts &&
        e->client != kReasonExpired) {
      Problem(fmt::format("{}: unknown outbox reason '{}'", KeyName(key), e->client));
    }
    if (key[0] == kLeasedTag && e->time_ms <= 0) {
      Problem(fmt::format("{}: a lease without a deadline", KeyName(key)));
    }
    // Outbox entries keep no expiry (their item's index entry went with its state).
    const std::int64_t expires = key[0] == kOutboxTag ? -1 : e->expires_ms;
    items_.push_back({e->origin, *seq, expires, std::string(key)});
    if ((key[0] == kReadyTag || key[0] == kScheduledTag) && e->expires_ms > 0) {
      wanted_index_.emplace_back(
          TagKey(kExpiryTag, static_cast<std::uint64_t>(e->expires_ms), e->origin),
          std::string(key));
    }
  }

  void Expiry(std::string_view key, std::string_view value) {
    if (!KeyNumber(key, kExpiryTag, 0, 2)) {
      return Problem(fmt::format("{}: bad expiry index key", KeyName(key)));
    }
    index_.emplace_back(std::string(key), std::string(value));  // in key order
  }

  void Marker(std::string_view key, std::string_view value) {
    const auto dash = value.find('-');
    std::uint64_t a = 0, b = 0;
    const char* end = value.data() + value.size();
    const bool ok =
        key.size() > 1 && dash != std::string_view::npos &&
        std::from_chars(value.data(), value.data() + dash, a).ptr == value.data() + dash &&
        std::from_chars(value.data() + dash + 1, end, b).ptr == end;
    if (!ok) Problem(fmt::format("D {}: the marker's id '{}' is not an id", key.substr(1), value));
  }

  // Items against payloads: one P per item, none left over, the same expiry.
  void Payloads(const PartitionMeta& m) {
    std::sort(items_.begin(), items_.end(),
              [](const Item& a, const Item& b) { return a.origin < b.origin; });
    for (std::size_t i = 1; i < items_.size(); ++i) {
      if (items_[i].origin == items_[i - 1].origin) {
        Problem(fmt::format("{} and {}: one item (origin {}) in two places",
                            KeyName(items_[i - 1].key), KeyName(items_[i].key), items_[i].origin));
      }
    }
    std::size_t p = 0;
    for (const Item& item : items_) {
      while (p < payloads_.size() && payloads_[p].first < item.origin) {
        Problem(fmt::format("P {}: a payload without an item", payloads_[p].first));
        ++p;
      }
      if (p == payloads_.size() || payloads_[p].first != item.origin) {
        if (p > 0 && payloads_[p - 1].first == item.origin) continue;  // reported as a double
        Problem(fmt::format("{}: payload P {} is missing", KeyName(item.key), item.origin));
        continue;
      }
      if (item.expires_ms >= 0 && item.expires_ms != payloads_[p].second) {
        Problem(fmt::format("{}: expiry {} but its payload's is {}", KeyName(item.key),
                            item.expires_ms, payloads_[p].second));
      }
      if (item.origin >= m.next_seq) {
        Problem(fmt::format("P {}: at or above next_seq {}", item.origin, m.next_seq));
      }
      ++p;
    }
    for (; p < payloads_.size(); ++p) {
      Problem(fmt::format("P {}: a payload without an item", payloads_[p].first));
    }
  }

  // The expiry index against the R and S entries that need one.
  void ExpiryIndex() {
    std::sort(wanted_index_.begin(), wanted_index_.end());
    std::size_t w = 0, i = 0;
    while (w < wanted_index_.size() || i < index_.size()) {
      if (i == index_.size() ||
          (w < wanted_index_.size() && wanted_index_[w].first < index_[i].first)) {
        Problem(fmt::format("{}: no expiry index entry {}", KeyName(wanted_index_[w].second),
                            KeyName(wanted_index_[w].first)));
        ++w;
      } else if (w == wanted_index_.size() || index_[i].first < wanted_index_[w].first) {
        Problem(fmt::format("{}: names {}, which is no ready or scheduled entry of that item",
                            KeyName(index_[i].first), KeyName(index_[i].second)));
        ++i;
      } else {
        if (index_[i].second != wanted_index_[w].second) {
          Problem(fmt::format("{}: names {} instead of {}", KeyName(index_[i].first),
                              KeyName(index_[i].second), KeyName(wanted_index_[w].second)));
        }
        ++i;
        ++w;
      }
    }
  }

  PartitionCheckResult* r_;
  std::optional<PartitionMeta> meta_;
  std::uint64_t counts_[4] = {0, 0, 0, 0};  // R, L, S, X
  std::vector<Item> items_;
  std::vector<std::pair<std::uint64_t, std::int64_t>> payloads_;   // origin, expiry
  std::vector<std::pair<std::string, std::string>> wanted_index_;  // E key, entry key
  std::vector<std::pair<std::string, std::string>> index_;         // E key, value
};

}  // namespace

Status CheckPartitionStore(kv::ReadView& store, PartitionCheckResult* result) {
  Checker checker(result);
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<kv::Iterator> it, store.NewIterator());
  for (it->SeekToFirst(); it->Valid(); it->Next()) checker.Record(it->key(), it->value());
  LARDER_RETURN_IF_ERROR(it->status());
  checker.Finish();
  return Status::Ok();
}

}  // namespace larder::queue
