#include "tsdb/hot_page.h"

namespace larder::tsdb {

bool HotPage::Add(std::int64_t t, double v, std::int64_t interval_ms, std::uint32_t capacity) {
  if (count_ == 0) {
    Clear();
    interval_ = interval_ms;
    start_ = t;
  }
  if (interval_ > 0) {
    const std::int64_t diff = t - start_;
    if (diff % interval_ == 0 && diff / interval_ < capacity) {
      const auto slot = static_cast<std::size_t>(diff / interval_);
      values_.resize(slot + 1, 0.0);
      present_.resize(capacity / 64 + 1, 0);
      values_[slot] = v;
      present_[slot / 64] |= std::uint64_t{1} << (slot % 64);
      ++count_;
      return true;
    }
    if (count_ + 1 > capacity / 2) return false;
    MakeIrregular();
  }
  if (times_.size() >= capacity / 2) return false;
  times_.push_back(t);
  values_.push_back(v);
  ++count_;
  return true;
}

void HotPage::MakeIrregular() {
  std::vector<double> values;
  for (std::size_t k = 0; k < values_.size(); ++k) {
    if (!Present(k)) continue;
    times_.push_back(start_ + static_cast<std::int64_t>(k) * interval_);
    values.push_back(values_[k]);
  }
  values_ = std::move(values);
  present_.clear();
  interval_ = 0;
}

bool HotPage::Full(std::uint32_t capacity) const {
  return interval_ > 0 ? values_.size() >= capacity : times_.size() >= capacity / 2;
}

std::int64_t HotPage::first_time() const { return interval_ > 0 ? start_ : times_.front(); }

void HotPage::AppendTo(std::int64_t from, std::int64_t to, std::vector<Sample>* out) const {
  if (interval_ > 0) {
    for (std::size_t k = 0; k < values_.size(); ++k) {
      const std::int64_t t = start_ + static_cast<std::int64_t>(k) * interval_;
      if (Present(k) && t >= from && t <= to) out->push_back({t, values_[k]});
    }
    return;
  }
  for (std::size_t i = 0; i < times_.size(); ++i) {
    if (times_[i] >= from && times_[i] <= to) out->push_back({times_[i], values_[i]});
  }
}

void HotPage::Clear() {
  count_ = 0;
  values_.clear();
  times_.clear();
  present_.clear();
}

}  // namespace larder::tsdb
