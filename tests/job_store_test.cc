// The job store's shared suite: every TEST_P runs on a bolt file and in memory.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>
#include <vector>

#include "larder/stores/job_store.h"
#include "tests/util/store_modes.h"

namespace larder::stores {
namespace {

using std::chrono::milliseconds;

class JobStoreSuite : public test::StoreModeTest {
 protected:
  void SetUp() override {
    auto s = JobStore::Open(JobOptions());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }

  Job Make(std::string id, std::string ns, std::map<std::string, std::string> labels = {}) {
    Job j;
    j.id = std::move(id);
    j.name = "job " + j.id;
    j.namespace_name = std::move(ns);
    j.type = "batch";
    j.labels = std::move(labels);
    j.spec = R"({"image": "ubuntu", "args": ["echo", 1]})";
    auto r = store_->Create(j);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    Advance(milliseconds(1));
    return r.ok() ? *r : Job{};
  }

  std::unique_ptr<JobStore> store_;
};

std::vector<std::string> Ids(const JobPage& page) {
  std::vector<std::string> out;
  for (const Job& j : page.jobs) out.push_back(j.id);
  return out;
}

TEST_P(JobStoreSuite, CreateAndGetByIdOrUniquePrefix) {
  Job generated = Make("", "");
  ASSERT_TRUE(generated.id.starts_with("j-")) << generated.id;
  EXPECT_EQ(generated.namespace_name, "default");
  EXPECT_EQ(generated.version, 1u);
  Make("abc-1", "ns");
  Make("abc-2", "ns");
  Make("xyz", "ns");

  auto full = store_->Get(generated.id);
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->spec, R"({"args":["echo",1],"image":"ubuntu"})");
  EXPECT_EQ(full->name, "job ");  // named before its id was generated
  auto by_prefix = store_->Get(generated.id.substr(0, 8));
  ASSERT_TRUE(by_prefix.ok()) << by_prefix.status().ToString();
  EXPECT_EQ(by_prefix->id, generated.id);
  EXPECT_EQ(store_->Get("xy")->id, "xyz");
  EXPECT_EQ(store_->Get("abc-2")->id, "abc-2");  // an exact id that is also a prefix
  Status ambiguous = store_->Get("abc").status();
  EXPECT_TRUE(ambiguous.IsInvalidArgument());
  EXPECT_NE(ambiguous.message().find("2 jobs match"), std::string::npos) << ambiguous.ToString();
  EXPECT_TRUE(store_->Get("nope").status().IsNotFound());
  EXPECT_TRUE(store_->Get("").status().IsInvalidArgument());
}

TEST_P(JobStoreSuite, CreateRejectsBadInput) {
  Job j;
  j.type = "";
  EXPECT_TRUE(store_->Create(j).status().IsInvalidArgument());
  j.type = "batch";
  j.spec = "{not json";
  EXPECT_TRUE(store_->Create(j).status().IsInvalidArgument());
  j.spec = "{}";
  j.id = "a/b";
  EXPECT_TRUE(store_->Create(j).status().IsInvalidArgument());
  j.id = "dup";
  ASSERT_TRUE(store_->Create(j).ok());
  EXPECT_EQ(store_->Create(j).status().code(), Code::kAlreadyExists);
}

TEST_P(JobStoreSuite, ListFiltersAndPagesInCreationOrder) {
  std::vector<std::string> all, team_a;
  for (int i = 0; i < 23; ++i) {
    // Ids in reverse of creation order, so that id order is not creation order.
    std::string id = "job-" + std::to_string(100 - i);
    std::string ns = i % 3 == 0 ? "team-a" : "team-b";
    Make(id, ns, {{"tier", i % 2 == 0 ? "gold" : "silver"}, {"idx", std::to_string(i)}});
    all.push_back(id);
    if (ns == "team-a") team_a.push_back(id);
  }
  JobQuery q;
  q.limit = 10;
  std::vector<std::string> seen;
  int pages = 0;
  for (;;) {
    auto page = store_->List(q);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    ++pages;
    for (const auto& id : Ids(*page)) seen.push_back(id);
    if (page->next_page_token.empty()) break;
    q.page_token = page->next_page_token;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, all);

  JobQuery by_ns;
  by_ns.namespace_name = "team-a";
  EXPECT_EQ(Ids(*store_->List(by_ns)), team_a);
  JobQuery by_labels;
  by_labels.labels = {{"tier", "gold"}, {"idx", "4"}};
  EXPECT_EQ(Ids(*store_->List(by_labels)), std::vector<std::string>{"job-96"});

  JobStateUpdate u;
  u.id = "job-95";
  u.new_state = JobState::kRunning;
  ASSERT_TRUE(store_->UpdateState(u).ok());
  u.id = "job-90";
  ASSERT_TRUE(store_->UpdateState(u).ok());
  JobQuery by_state;
  by_state.states = {JobState::kRunning, JobState::kFailed};
  EXPECT_EQ(Ids(*store_->List(by_state)), (std::vector<std::string>{"job-95", "job-90"}));
  // A full last page has no next token; a filtered page stops exactly at the last match.
  by_state.limit = 2;
  EXPECT_EQ(store_->List(by_state)->next_page_token, "");
  by_state.limit = 1;
  auto first = store_->List(by_state);
  ASSERT_FALSE(first->next_page_token.empty());
  by_state.page_token = first->next_page_token;
  auto second = store_->List(by_state);
  EXPECT_EQ(Ids(*second), std::vector<std::string>{"job-90"});
  EXPECT_EQ(second->next_page_token, "");

  JobQuery bad;
  bad.limit = 0;
  EXPECT_TRUE(store_->List(bad).status().IsInvalidArgument());
  bad.limit = 5;
  bad.page_token = "garbage";
  EXPECT_TRUE(store_->List(bad).status().IsInvalidArgument());
}

TEST_P(JobStoreSuite, ConditionalStateUpdateAndHistory) {
  Job j = Make("j1", "ns");
  JobStateUpdate u;
  u.id = "j1";
  u.new_state = JobState::kQueued;
  u.expected_state = JobState::kRunning;
  EXPECT_TRUE(store_->UpdateState(u).status().IsConflict());
  u.expected_state = JobState::kPending;
  u.expected_version = 2;
  EXPECT_TRUE(store_->UpdateState(u).status().IsConflict());
  u.expected_version = 1;
  u.comment = "queued for scheduling";
  auto r = store_->UpdateState(u);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->version, 2u);
  EXPECT_EQ(store_->Get("j1")->state, JobState::kQueued);
  EXPECT_TRUE(store_->UpdateState(u).status().IsConflict());
  u.id = "missing";
  EXPECT_TRUE(store_->UpdateState(u).status().IsNotFound());

  auto h = store_->History("j1");
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[0].new_state, "pending");
  EXPECT_EQ((*h)[1].previous_state, "pending");
  EXPECT_EQ((*h)[1].new_state, "queued");
  EXPECT_EQ((*h)[1].comment, "queued for scheduling");
  EXPECT_EQ((*h)[1].seq, 2u);
}

TEST_P(JobStoreSuite, ConcurrentConditionalUpdatesExactlyOneWins) {
  Make("race", "ns");
  constexpr int kThreads = 6;
  for (std::uint64_t version = 1; version <= 10; ++version) {
    std::atomic<int> wins{0}, conflicts{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        JobStateUpdate u;
        u.id = "race";
        u.new_state = t % 2 ? JobState::kRunning : JobState::kQueued;
        u.expected_version = version;
        Status s = store_->UpdateState(u).status();
        if (s.ok()) ++wins;
        if (s.IsConflict()) ++conflicts;
      });
    }
    for (auto& th : threads) th.join();
    ASSERT_EQ(wins.load(), 1) << "version " << version;
    ASSERT_EQ(conflicts.load(), kThreads - 1);
  }
  EXPECT_EQ(store_->Get("race")->version, 11u);
  EXPECT_EQ(store_->History("race")->size(), 11u);
}

TEST_P(JobStoreSuite, ExecutionSummariesAndExecutionHistory) {
  Make("j1", "ns");
  ExecutionSummary s;
  s.execution_id = "e-1";
  s.node_id = "node-a";
  ASSERT_TRUE(store_->UpsertExecution("j1", s, "asked node-a").ok());
  s.state = ExecutionState::kRunning;
  ASSERT_TRUE(store_->UpsertExecution("j1", s, "started").ok());
  s.desired_state = DesiredState::kRunning;
  ASSERT_TRUE(store_->UpsertExecution("j1", s, "no state change").ok());
  ExecutionSummary other;
  other.execution_id = "e-2";
  other.node_id = "node-b";
  ASSERT_TRUE(store_->UpsertExecution("j1", other, "asked node-b").ok());
  EXPECT_TRUE(store_->UpsertExecution("nope", other, "").IsNotFound());

  auto execs = store_->Executions("j1");
  ASSERT_TRUE(execs.ok());
  ASSERT_EQ(execs->size(), 2u);
  EXPECT_EQ((*execs)[0].execution_id, "e-1");
  EXPECT_EQ((*execs)[0].state, ExecutionState::kRunning);
  EXPECT_EQ((*execs)[0].desired_state, DesiredState::kRunning);
  EXPECT_EQ((*execs)[1].node_id, "node-b");

  auto h = store_->History("j1");
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 4u);  // created, e-1 created, e-1 running, e-2 created
  EXPECT_EQ((*h)[1].kind, JobHistoryEntry::Kind::kExecution);
  EXPECT_EQ((*h)[1].execution_id, "e-1");
  EXPECT_EQ((*h)[1].previous_state, "");
  EXPECT_EQ((*h)[2].previous_state, "created");
  EXPECT_EQ((*h)[2].new_state, "running");
  EXPECT_EQ((*h)[3].comment, "asked node-b");
}

TEST_P(JobStoreSuite, DeleteRemovesHistoryExecutionsAndIndex) {
  Make("j1", "ns");
  Make("j2", "ns");
  ExecutionSummary s;
  s.execution_id = "e-1";
  ASSERT_TRUE(store_->UpsertExecution("j1", s, "").ok());
  ASSERT_TRUE(store_->Delete("j1").ok());
  EXPECT_TRUE(store_->Delete("j1").IsNotFound());
  EXPECT_TRUE(store_->Get("j1").status().IsNotFound());
  EXPECT_TRUE(store_->History("j1").status().IsNotFound());
  EXPECT_EQ(Ids(*store_->List({})), std::vector<std::string>{"j2"});
  // A new job under the same id starts clean: no old history or executions come back.
  Make("j1", "ns");
  EXPECT_EQ(store_->History("j1")->size(), 1u);
  EXPECT_TRUE(store_->Executions("j1")->empty());
  EXPECT_EQ(Ids(*store_->List({})), (std::vector<std::string>{"j2", "j1"}));
}

TEST_P(JobStoreSuite, WatchersSeeEveryCommitInOrder) {
  auto watcher = store_->Watch();
  Make("w1", "ns");
  Make("w2", "ns");
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10;
  std::atomic<int> committed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        JobStateUpdate u;
        u.id = t % 2 ? "w1" : "w2";
        u.new_state = i % 2 ? JobState::kRunning : JobState::kQueued;
        if (store_->UpdateState(u).ok()) ++committed;
      }
    });
  }
  // The consumer calls the store while events arrive: no lock is held while it handles them.
  std::vector<JobEvent> events;
  while (events.size() < 2u + kThreads * kPerThread) {
    auto e = watcher->Next(milliseconds(5000));
    ASSERT_TRUE(e.has_value()) << "after " << events.size() << " events";
    ASSERT_TRUE(store_->Get(e->job_id).ok());
    events.push_back(std::move(*e));
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(committed.load(), kThreads * kPerThread);
  ASSERT_TRUE(store_->Delete("w1").ok());
  auto deleted = watcher->Next(milliseconds(5000));
  ASSERT_TRUE(deleted.has_value());
  EXPECT_EQ(deleted->kind, JobEvent::Kind::kDeleted);
  EXPECT_FALSE(deleted->job.has_value());
  EXPECT_FALSE(watcher->Next(milliseconds(1)).has_value());

  EXPECT_EQ(events[0].kind, JobEvent::Kind::kCreated);
  std::map<std::string, std::uint64_t> last_version;
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].seq, i + 1);  // commit order, nothing missing
    ASSERT_TRUE(events[i].job.has_value());
    std::uint64_t& v = last_version[events[i].job_id];
    EXPECT_EQ(events[i].job->version, v + 1) << "event " << i;  // per job, versions in order
    v = events[i].job->version;
  }
  EXPECT_EQ(deleted->seq, events.size() + 1);
  EXPECT_FALSE(watcher->overflowed());
}

TEST_P(JobStoreSuite, SlowWatcherOverflowsAndClosedStoreWakesWatchers) {
  auto slow = store_->Watch(2);
  auto other = store_->Watch();
  for (int i = 0; i < 4; ++i) Make("o" + std::to_string(i), "ns");
  EXPECT_TRUE(slow->overflowed());
  EXPECT_FALSE(slow->Next(milliseconds(1)).has_value());
  EXPECT_FALSE(other->overflowed());
  std::thread closer([&] {
    std::this_thread::sleep_for(milliseconds(20));
    ASSERT_TRUE(store_->Close().ok());
  });
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(other->Next(milliseconds(1000)).has_value());
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(other->Next(milliseconds(10000)).has_value());  // woken by Close
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  closer.join();
  EXPECT_EQ(store_->Get("o1").status().code(), Code::kTxClosed);
  store_.reset();
  EXPECT_FALSE(other->Next(milliseconds(1)).has_value());  // outlives the store safely
}

TEST_P(JobStoreSuite, JobsSurviveARestartOfAFileStore) {
  Make("keep", "ns");
  ASSERT_TRUE(store_->Close().ok());
  store_.reset();
  auto s = JobStore::Open(JobOptions());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  store_ = std::move(*s);
  if (in_memory()) {
    EXPECT_TRUE(store_->Get("keep").status().IsNotFound());  // memory does not survive
  } else {
    auto j = store_->Get("keep");
    ASSERT_TRUE(j.ok()) << j.status().ToString();
    EXPECT_EQ(j->namespace_name, "ns");
    EXPECT_EQ(store_->History("keep")->size(), 1u);
  }
}

LARDER_INSTANTIATE_STORE_MODES(JobStoreSuite);

}  // namespace
}  // namespace larder::stores
