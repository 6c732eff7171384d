#include "server/ts_label_index.h"

#include <algorithm>

namespace larder::server {

void TsLabelIndex::Set(const std::string& name, const tsfamily::Labels& labels) {
  auto old = labels_.find(name);
  if (old != labels_.end()) {
    for (const auto& kv : old->second) {
      auto it = postings_.find(kv);
      if (it == postings_.end()) continue;
      it->second.erase(name);
      if (it->second.empty()) postings_.erase(it);
    }
    labels_.erase(old);
  }
  if (labels.empty()) return;
  for (const auto& kv : labels) postings_[kv].insert(name);
  labels_[name] = labels;
}

std::vector<std::string> TsLabelIndex::Match(const std::vector<tsfamily::Matcher>& matchers) const {
  // The narrowest positive matcher: the union of its values' postings.
  std::vector<std::string> best;
  bool have = false;
  for (const tsfamily::Matcher& m : matchers) {
    if (m.negate || std::any_of(m.values.begin(), m.values.end(),
                                [](const std::string& v) { return v.empty(); })) {
      continue;
    }
    std::set<std::string> names;
    for (const std::string& v : m.values) {
      auto it = postings_.find({m.label, v});
      if (it != postings_.end()) names.insert(it->second.begin(), it->second.end());
    }
    if (!have || names.size() < best.size()) best.assign(names.begin(), names.end());
    have = true;
  }
  std::erase_if(best, [&](const std::string& name) {
    return !tsfamily::MatchesAll(matchers, labels_.at(name));
  });
  return best;
}

}  // namespace larder::server
