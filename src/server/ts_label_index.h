// TsLabelIndex: the inverted index of larderd's series labels (label=value -> series names) that
// FILTER (TS.MGET, TS.MRANGE, TS.MREVRANGE, TS.QUERYINDEX) starts from, so that a query looks at
// the series one of its matchers names rather than at every series. TsService keeps it equal
// to the labels in its metadata table: rebuilt at start-up, updated whenever a series' metadata
// is saved (TS.CREATE, TS.ALTER, a TS.ADD that creates) or a series dropped (DEL).
//
// Thread-safety: none; TsService's callers hold the execution lock.
#ifndef LARDER_SERVER_TS_LABEL_INDEX_H_
#define LARDER_SERVER_TS_LABEL_INDEX_H_

#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "server/ts_family.h"

namespace larder::server {

class TsLabelIndex {
 public:
  // Replaces the labels of series `name` (empty labels: the name leaves the index).
  void Set(const std::string& name, const tsfamily::Labels& labels);
  // The series whose labels satisfy every matcher, sorted by name. REQUIRES: some matcher is
  // positive with only non-empty values (ParseFilter ensures it); the candidates come from the
  // one of those naming the fewest series, and every matcher is checked on each.
  std::vector<std::string> Match(const std::vector<tsfamily::Matcher>& matchers) const;
  std::size_t size() const { return labels_.size(); }

 private:
  std::map<std::pair<std::string, std::string>, std::set<std::string>> postings_;
  std::unordered_map<std::string, tsfamily::Labels> labels_;  // names with labels
};

}  // namespace larder::server

#endif  // LARDER_SERVER_TS_LABEL_INDEX_H_
