#include "stores/job_codec.h"

#include <gtest/gtest.h>

namespace larder::stores {
namespace {

TEST(JobCodec, RoundTripsAJob) {
  Job j;
  j.id = "j-1";
  j.name = "n";
  j.namespace_name = "ns";
  j.type = "service";
  j.labels = {{"a", "1"}, {"b", "2"}};
  j.spec = R"({"k":[1,2,{"x":null}]})";
  j.state = JobState::kStopped;
  j.version = 9;
  j.create_time_ns = 5;
  j.modify_time_ns = -1;
  auto back = DecodeJob(EncodeJob(j));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->labels, j.labels);
  EXPECT_EQ(back->spec, j.spec);
  EXPECT_EQ(back->state, JobState::kStopped);
  EXPECT_EQ(back->version, 9u);
  EXPECT_EQ(back->modify_time_ns, -1);
}

TEST(JobCodec, DamagedRecordsAreCorruptionNamingTheField) {
  const std::string good = EncodeJob(Job{"j", "n", "ns", "batch", {}, "{}"});
  ASSERT_TRUE(DecodeJob(good).ok());
  struct Case {
    std::string json;
    std::string field;
  } cases[] = {
      {"", "job record"},
      {"[]", "job record"},
      {R"({"id":1})", "\"id\""},
      {R"({"id":"j","name":"n","namespace":"ns","type":"b","state":"asleep","version":1,)"
       R"("create_time":1,"modify_time":1,"labels":{},"spec":{}})",
       "asleep"},
      {R"({"id":"j","name":"n","namespace":"ns","type":"b","state":"pending","version":-1,)"
       R"("create_time":1,"modify_time":1,"labels":{},"spec":{}})",
       "\"version\""},
      {R"({"id":"j","name":"n","namespace":"ns","type":"b","state":"pending","version":1,)"
       R"("create_time":1,"modify_time":1,"labels":{"a":2},"spec":{}})",
       "labels"},
  };
  for (const Case& c : cases) {
    auto r = DecodeJob(c.json);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
    EXPECT_NE(r.status().message().find(c.field), std::string_view::npos) << r.status().ToString();
  }
  EXPECT_FALSE(DecodeJobHistoryEntry(R"({"seq":1,"time":1,"kind":"other","previous_state":"",)"
                                     R"("new_state":"x","comment":""})")
                   .ok());
  EXPECT_FALSE(DecodeExecutionSummary("{}").ok());
}

}  // namespace
}  // namespace larder::stores
