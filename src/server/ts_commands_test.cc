// TS.* in-process over a real time-series engine in a temporary directory: replies and errors as
// RedisTimeSeries', labels/retention/policies surviving a restart, downsampling rules.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "server/command_test_util.h"
#include "server/ts_service.h"

namespace larder::server {
namespace {

class TsCommandsTest : public ::testing::Test {
 protected:
  TsCommandsTest() { Start(); }
  // A fresh server over the same ts-dir (the old one closed first: a clean restart).
  void Start() {
    h_.reset();
    h_ = std::make_unique<testing::CommandHarness>(testing::Backing::kMap,
                                                   std::vector{RegisterTsCommands});
    ServerConfig config = h_->server().exec_config();
    config.ts_dir = dir_.File("ts");
    config.ts_disk_space_mb = 4;
    EXPECT_TRUE(h_->server().SetConfig(config).ok());
  }
  std::string Run(const std::vector<std::string>& args) { return h_->Run(args); }

  test::TempDir dir_;
  std::unique_ptr<testing::CommandHarness> h_;
};

TEST_F(TsCommandsTest, CreateAddGetRange) {
  EXPECT_EQ(Run({"TS.CREATE", "t", "RETENTION", "0", "LABELS", "host", "a"}), "OK");
  EXPECT_EQ(Run({"TS.CREATE", "t"}), "-ERR TSDB: key already exists");
  EXPECT_EQ(Run({"TS.GET", "t"}), "[]");
  EXPECT_EQ(Run({"TS.ADD", "t", "10", "1.5"}), "10");
  EXPECT_EQ(Run({"TS.ADD", "t", "20", "2"}), "20");
  // Out of order: a new time is inserted, a stored one goes by the duplicate policy.
  EXPECT_EQ(Run({"TS.ADD", "t", "15", "2"}), "15");
  EXPECT_EQ(Run({"TS.ADD", "t", "15", "7", "ON_DUPLICATE", "SUM"}), "15");
  EXPECT_EQ(Run({"TS.ADD", "t", "15", "4", "ON_DUPLICATE", "MIN"}), "15");
  EXPECT_EQ(Run({"TS.RANGE", "t", "11", "19"}), "[[15,4]]");
  EXPECT_EQ(Run({"TS.DEL", "t", "15", "15"}), "1");
  EXPECT_EQ(Run({"TS.INCRBY", "t", "1", "TIMESTAMP", "12"}),
            "-ERR TSDB: timestamp must be equal to or higher than the maximum existing timestamp");
  EXPECT_EQ(Run({"TS.ADD", "t", "20", "3"}),
            "-ERR TSDB: Error at upsert, update is not supported when DUPLICATE_POLICY is set to "
            "BLOCK mode");
  EXPECT_EQ(Run({"TS.ADD", "t", "20", "3", "ON_DUPLICATE", "FIRST"}), "20");
  EXPECT_EQ(Run({"TS.ADD", "t", "x", "3"}), "-ERR TSDB: invalid timestamp");
  EXPECT_EQ(Run({"TS.ADD", "t", "30", "nan"}), "-ERR TSDB: invalid value");
  EXPECT_EQ(Run({"TS.GET", "t"}), "[20,2]");
  EXPECT_EQ(Run({"TS.GET", "nope"}), "-ERR TSDB: the key does not exist");
  EXPECT_EQ(Run({"TS.RANGE", "t", "-", "+"}), "[[10,1.5],[20,2]]");
  EXPECT_EQ(Run({"TS.REVRANGE", "t", "-", "+", "COUNT", "1"}), "[[20,2]]");
  EXPECT_EQ(Run({"TS.RANGE", "t", "x", "+"}), "-ERR TSDB: wrong fromTimestamp");
  EXPECT_EQ(Run({"TS.RANGE", "nope", "-", "+"}), "-ERR TSDB: the key does not exist");
  // TS.ADD creates; TS.MADD replies a timestamp or an error per sample.
  EXPECT_EQ(Run({"TS.ADD", "u", "5", "1", "LABELS", "host", "b"}), "5");
  EXPECT_EQ(Run({"TS.MADD", "t", "30", "3", "nope", "1", "1", "u", "5", "1", "u", "6", "2"}),
            "[30,-ERR TSDB: the key does not exist,-ERR TSDB: Error at upsert, update is not "
            "supported when DUPLICATE_POLICY is set to BLOCK mode,6]");
  EXPECT_EQ(Run({"TS.INCRBY", "c", "5", "TIMESTAMP", "100"}), "100");
  EXPECT_EQ(Run({"TS.INCRBY", "c", "2.5", "TIMESTAMP", "200"}), "200");
  EXPECT_EQ(Run({"TS.DECRBY", "c", "1", "TIMESTAMP", "300"}), "300");
  EXPECT_EQ(Run({"TS.RANGE", "c", "-", "+"}), "[[100,5],[200,7.5],[300,6.5]]");
}

TEST_F(TsCommandsTest, AggregationAlignAndFilters) {
  for (int t = 0; t < 10; ++t) {
    ASSERT_EQ(Run({"TS.ADD", "s", std::to_string(t * 10 + 5), std::to_string(t)}),
              std::to_string(t * 10 + 5));
  }
  EXPECT_EQ(Run({"TS.RANGE", "s", "-", "+", "AGGREGATION", "sum", "30"}),
            "[[0,3],[30,12],[60,21],[90,9]]");
  EXPECT_EQ(Run({"TS.RANGE", "s", "-", "+", "ALIGN", "5", "AGGREGATION", "count", "30"}),
            "[[5,3],[35,3],[65,3],[95,1]]");
  EXPECT_EQ(Run({"TS.RANGE", "s", "20", "+", "ALIGN", "start", "AGGREGATION", "max", "50"}),
            "[[20,6],[70,9]]");
  EXPECT_EQ(Run({"TS.REVRANGE", "s", "-", "+", "AGGREGATION", "range", "50", "COUNT", "1"}),
            "[[50,4]]");
  EXPECT_EQ(Run({"TS.RANGE", "s", "-", "+", "FILTER_BY_VALUE", "2", "3"}), "[[25,2],[35,3]]");
  EXPECT_EQ(Run({"TS.RANGE", "s", "-", "+", "FILTER_BY_TS", "15", "95", "7"}), "[[15,1],[95,9]]");
  // twa: the line through the samples, cut at the buckets' edges (a sample every 10 ms at 5).
  EXPECT_EQ(Run({"TS.RANGE", "s", "-", "+", "AGGREGATION", "twa", "10"}),
            "[[0,0.25],[10,1],[20,2],[30,3],[40,4],[50,5],[60,6],[70,7],[80,8],[90,8.75]]");
  EXPECT_EQ(Run({"TS.RANGE", "s", "-", "+", "AGGREGATION", "median", "10"}),
            "-ERR TSDB: Unknown aggregation type");
  // RETENTION hides samples older than last - retention.
  EXPECT_EQ(Run({"TS.ALTER", "s", "RETENTION", "20"}), "OK");
  EXPECT_EQ(Run({"TS.RANGE", "s", "-", "+"}), "[[75,7],[85,8],[95,9]]");
}

TEST_F(TsCommandsTest, MultiSeriesQueriesAndGroupBy) {
  ASSERT_EQ(Run({"TS.CREATE", "a", "LABELS", "kind", "cpu", "host", "h1"}), "OK");
  ASSERT_EQ(Run({"TS.CREATE", "b", "LABELS", "kind", "cpu", "host", "h2"}), "OK");
  ASSERT_EQ(Run({"TS.CREATE", "c", "LABELS", "kind", "mem", "host", "h1"}), "OK");
  ASSERT_EQ(Run({"TS.MADD", "a", "1", "10", "b", "1", "20", "c", "1", "30", "a", "2", "11"}),
            "[1,1,1,2]");
  EXPECT_EQ(Run({"TS.QUERYINDEX", "kind=cpu"}), "[a,b]");
  EXPECT_EQ(Run({"TS.QUERYINDEX", "host=h1", "kind!=cpu"}), "[c]");
  EXPECT_EQ(Run({"TS.QUERYINDEX", "kind!=cpu"}), "-ERR TSDB: please provide at least one matcher");
  EXPECT_EQ(Run({"TS.MGET", "FILTER", "kind=cpu"}), "[[a,[],[2,11]],[b,[],[1,20]]]");
  EXPECT_EQ(Run({"TS.MGET", "SELECTED_LABELS", "host", "zone", "FILTER", "kind=mem"}),
            "[[c,[[host,h1],[zone,(nil)]],[1,30]]]");
  EXPECT_EQ(Run({"TS.MRANGE", "-", "+", "WITHLABELS", "FILTER", "host=h2"}),
            "[[b,[[kind,cpu],[host,h2]],[[1,20]]]]");
  EXPECT_EQ(Run({"TS.MREVRANGE", "-", "+", "FILTER", "kind=cpu"}),
            "[[a,[],[[2,11],[1,10]]],[b,[],[[1,20]]]]");
  EXPECT_EQ(
      Run({"TS.MRANGE", "-", "+", "FILTER", "kind=(cpu,mem)", "GROUPBY", "host", "REDUCE", "sum"}),
      "[[host=h1,[[host,h1],[__reducer__,sum],[__source__,a,c]],[[1,40],[2,11]]],"
      "[host=h2,[[host,h2],[__reducer__,sum],[__source__,b]],[[1,20]]]]");
  EXPECT_EQ(Run({"TS.MRANGE", "-", "+", "COUNT", "1"}), "-ERR TSDB: missing FILTER argument");
}

TEST_F(TsCommandsTest, MetadataAndRulesSurviveARestart) {
  ASSERT_EQ(Run({"TS.CREATE", "src", "RETENTION", "100000", "DUPLICATE_POLICY", "max", "LABELS",
                 "a", "1"}),
            "OK");
  ASSERT_EQ(Run({"TS.CREATE", "dst"}), "OK");
  EXPECT_EQ(Run({"TS.CREATERULE", "src", "dst", "AGGREGATION", "avg", "10"}), "OK");
  EXPECT_EQ(Run({"TS.CREATERULE", "src", "dst", "AGGREGATION", "avg", "10"}),
            "-ERR TSDB: the destination key already has a src rule");
  EXPECT_EQ(Run({"TS.CREATERULE", "src", "src", "AGGREGATION", "avg", "10"}),
            "-ERR TSDB: the source key and destination key should be different");
  for (int t : {1, 5, 12, 18, 25}) {
    ASSERT_EQ(Run({"TS.ADD", "src", std::to_string(t), std::to_string(t)}), std::to_string(t));
  }
  // MAX: a smaller value at the last timestamp keeps the sample.
  EXPECT_EQ(Run({"TS.ADD", "src", "25", "1"}), "25");
  EXPECT_EQ(Run({"TS.RANGE", "dst", "-", "+"}), "[[0,3],[10,15]]");
  Start();  // a clean restart
  // Close cut the hot page short and flushed it: one page on disk.
  EXPECT_EQ(Run({"TS.INFO", "src"}),
            "[totalSamples,5,memoryUsage,0,firstTimestamp,1,lastTimestamp,25,retentionTime,"
            "100000,chunkCount,1,chunkSize,4096,chunkType,compressed,duplicatePolicy,max,labels,"
            "[[a,1]],sourceKey,(nil),rules,[[dst,10,AVG,0]],engine,[pagesOnDisk,1,hotSamples,0]]");
  EXPECT_NE(Run({"TS.INFO", "dst"}).find("sourceKey,src,"), std::string::npos);
  EXPECT_EQ(Run({"TS.ADD", "src", "31", "1"}), "31");
  EXPECT_EQ(Run({"TS.RANGE", "dst", "-", "+"}), "[[0,3],[10,15],[20,25]]");
  EXPECT_EQ(Run({"TS.DELETERULE", "src", "dst"}), "OK");
  EXPECT_EQ(Run({"TS.DELETERULE", "src", "dst"}), "-ERR TSDB: compaction rule does not exist");
  EXPECT_EQ(Run({"TS.QUERYINDEX", "a=1"}), "[src]");
  EXPECT_EQ(Run({"TS.DEL", "src", "0", "10"}), "2");
  EXPECT_EQ(Run({"TS.DEL", "src", "x", "10"}), "-ERR TSDB: wrong fromTimestamp");
  EXPECT_EQ(Run({"TS.DEL", "src", "0", "y"}), "-ERR TSDB: wrong toTimestamp");
  EXPECT_EQ(Run({"TS.RANGE", "src", "-", "+", "COUNT", "1"}), "[[12,12]]");
  Start();  // the deletion is durable
  EXPECT_EQ(Run({"TS.GET", "src"}), "[31,1]");
  EXPECT_EQ(Run({"TS.RANGE", "src", "0", "12"}), "[[12,12]]");
}

TEST(TsConfigTest, DirectivesParseRenderAndRefuseBadValues) {
  ServerConfig c;
  EXPECT_EQ(*RenderConfigValue(c, "ts-dir"), "");
  EXPECT_EQ(*RenderConfigValue(c, "ts-page-cache-mb"), "32");
  EXPECT_EQ(*RenderConfigValue(c, "ts-disk-space-mb"), "256");
  EXPECT_EQ(*RenderConfigValue(c, "ts-direct-io"), "no");
  ASSERT_TRUE(ApplyConfigText(&c,
                              "ts-dir /x/ts\nts-page-cache-mb 8\nts-disk-space-mb 1\n"
                              "ts-direct-io yes\n",
                              "f")
                  .ok());
  EXPECT_EQ(c.ts_dir, "/x/ts");
  EXPECT_EQ(c.ts_page_cache_mb, 8u);
  EXPECT_EQ(c.ts_disk_space_mb, 1u);
  EXPECT_TRUE(c.ts_direct_io);
  EXPECT_FALSE(ApplyDirective(&c, "ts-direct-io", {"maybe"}).ok());
  EXPECT_FALSE(ApplyDirective(&c, "ts-disk-space-mb", {"0"}).ok());
  EXPECT_FALSE(SetConfigValue(&c, "ts-dir", "/y").ok());  // not at run time
}

// A ts-dir that cannot be a directory: every TS.* command replies the open error.
TEST(TsServiceTest, BadDirectoryIsReportedByEveryCommand) {
  test::TempDir dir;
  { std::ofstream(dir.File("file")) << "x"; }
  testing::CommandHarness h(testing::Backing::kMap, {RegisterTsCommands});
  ServerConfig config = h.server().exec_config();
  config.ts_dir = dir.File("file");
  ASSERT_TRUE(h.server().SetConfig(config).ok());
  EXPECT_FALSE(h.server().Service<TsService>().Open().ok());
  EXPECT_EQ(h.Run({"TS.GET", "x"}).substr(0, 40), "-ERR TSDB: time series are unavailable: ");
}

}  // namespace
}  // namespace larder::server
