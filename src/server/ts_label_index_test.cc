#include "server/ts_label_index.h"

#include <gtest/gtest.h>

#include <random>
#include <string_view>

namespace larder::server {
namespace {

// Random labels, relabellings and FILTERs: the index agrees with a scan of every series.
TEST(TsLabelIndexTest, AgreesWithAScan) {
  std::mt19937 rng(18);
  TsLabelIndex index;
  std::map<std::string, tsfamily::Labels> table;
  const std::vector<std::string> keys = {"a", "b", "c"}, values = {"1", "2", "3", "4"};
  int nonempty = 0;
  for (int step = 0; step < 3000; ++step) {
    const std::string name = "s" + std::to_string(rng() % 60);
    tsfamily::Labels labels;
    for (const std::string& k : keys) {
      if (rng() % 3 != 0) labels.emplace_back(k, values[rng() % values.size()]);
    }
    table[name] = labels;
    index.Set(name, labels);
    // A FILTER of one to three matchers, the first positive (as ParseFilter requires).
    std::vector<std::string> args;
    const int n = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < n; ++i) {
      std::string m = keys[rng() % keys.size()];
      m += (i > 0 && rng() % 2 == 0) ? "!=" : "=";
      switch (rng() % 4) {
        case 0:
          m += "(" + values[rng() % 4] + "," + values[rng() % 4] + ")";
          break;
        case 1:
          if (i > 0) break;  // l= / l!= : the label is missing (or, negated, present)
          [[fallthrough]];
        default:
          m += values[rng() % 4];
      }
      args.push_back(m);
    }
    std::vector<std::string_view> views(args.begin(), args.end());
    std::vector<tsfamily::Matcher> matchers;
    if (tsfamily::ParseFilter(views, &matchers)) continue;  // no positive matcher
    std::vector<std::string> scan;
    for (const auto& [series, l] : table) {
      if (tsfamily::MatchesAll(matchers, l)) scan.push_back(series);
    }
    ASSERT_EQ(index.Match(matchers), scan) << "step " << step << " " << args[0];
    nonempty += !scan.empty();
  }
  EXPECT_GT(nonempty, 500);
  index.Set("s1", {});
  EXPECT_LE(index.size(), 59u);
}

}  // namespace
}  // namespace larder::server
