// The list encoding against std::deque: random pushes, pops, LSET, LINSERT, LREM-style removals
// and LTRIM-style trims on a few lists of a real keyspace, reopened now and then; after each
// step the records of each list are exactly its elements at [aux, aux + size).
#include "server/list_encoding.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tests/util/temp_dir.h"

namespace larder::server {
namespace {

class ListEncodingModelTest : public ::testing::Test {
 protected:
  void Open() {
    KeyspaceOptions options;
    options.dir = dir_.File("data");
    options.appendfsync = AppendFsync::kNo;
    auto opened = Keyspace::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    keyspace_ = std::move(*opened);
  }
  void Reopen() {
    ASSERT_TRUE(keyspace_->Close().ok());
    keyspace_.reset();
    Open();
  }
  void TearDown() override {
    if (keyspace_) {
      EXPECT_TRUE(keyspace_->Close().ok());
    }
  }

  // The list at `key` (created when absent and `create`).
  std::optional<ListKey> Load(Database& db, const std::string& key, bool create) {
    auto info = db.Lookup(key);
    EXPECT_TRUE(info.ok());
    if (info.ok() && *info) return ListKey(db, key, **info);
    if (!create) return std::nullopt;
    auto created = ListKey::Create(db, key);
    EXPECT_TRUE(created.ok());
    return std::move(*created);
  }

  // The list's records equal the model, at consecutive positions from aux.
  void Check(Database& db, const std::string& key, const std::deque<std::string>& model) {
    std::optional<ListKey> list = Load(db, key, false);
    if (model.empty()) {
      EXPECT_FALSE(list.has_value()) << key;
      return;
    }
    ASSERT_TRUE(list.has_value()) << key;
    ASSERT_EQ(list->size(), model.size()) << key;
    auto it = db.Records(list->info().version, "");
    ASSERT_TRUE(it.ok());
    std::uint64_t i = 0;
    for (; (*it)->Valid(); (*it)->Next(), ++i) {
      ASSERT_LT(i, model.size()) << key << ": more records than elements";
      EXPECT_EQ((*it)->key(), ListPositionRecord(list->info().aux + i)) << key << " @" << i;
      EXPECT_EQ((*it)->value(), model[i]) << key << " @" << i;
    }
    EXPECT_EQ(i, model.size()) << key << ": records";
  }

  test::TempDir dir_;
  std::unique_ptr<Keyspace> keyspace_;
};

TEST_F(ListEncodingModelTest, RandomEditsMatchADequeAcrossRestarts) {
  Open();
  std::mt19937_64 rng(20261202);
  std::map<std::string, std::deque<std::string>> model;
  const std::vector<std::string> keys = {"a", "b", "c"};
  auto pick = [&](std::uint64_t n) {
    return std::uniform_int_distribution<std::uint64_t>(0, n)(rng);
  };
  for (int step = 0; step < 3000; ++step) {
    ASSERT_TRUE(keyspace_->BeginBatch().ok());
    Database& db = keyspace_->db(0);
    const std::string& key = keys[pick(keys.size() - 1)];
    std::deque<std::string>& m = model[key];
    const std::string value = std::to_string(pick(20));  // few values: LREM finds matches
    std::optional<ListKey> list = Load(db, key, true);
    ASSERT_TRUE(list.has_value());
    const std::uint64_t size = m.size();
    const int op = static_cast<int>(pick(size > 60 ? 9 : 11));  // 9, 10: pushes of runs
    if (op <= 1 || size == 0 || op >= 9) {
      const ListEnd end = pick(1) ? ListEnd::kHead : ListEnd::kTail;
      const std::uint64_t n = op >= 9 ? 1 + pick(30) : 1;
      for (std::uint64_t i = 0; i < n; ++i) {
        ASSERT_TRUE(list->Push(end, value + "." + std::to_string(i)).ok());
        end == ListEnd::kHead ? m.push_front(value + "." + std::to_string(i))
                              : m.push_back(value + "." + std::to_string(i));
      }
    } else if (op <= 3) {
      const ListEnd end = op == 2 ? ListEnd::kHead : ListEnd::kTail;
      const std::uint64_t n = 1 + pick(3);
      auto popped = list->Pop(end, n);
      ASSERT_TRUE(popped.ok());
      for (const std::string& v : *popped) {
        EXPECT_EQ(v, end == ListEnd::kHead ? m.front() : m.back());
        end == ListEnd::kHead ? m.pop_front() : m.pop_back();
      }
      EXPECT_EQ(popped->size(), std::min<std::uint64_t>(n, size));
    } else if (op == 4) {
      const std::uint64_t i = pick(size - 1);
      auto got = list->Get(i);
      ASSERT_TRUE(got.ok());
      EXPECT_EQ(*got, m[i]);
      ASSERT_TRUE(list->Set(i, value).ok());
      m[i] = value;
    } else if (op <= 6) {
      const std::uint64_t i = pick(size);
      ASSERT_TRUE(list->Insert(i, value).ok());
      m.insert(m.begin() + static_cast<std::ptrdiff_t>(i), value);
    } else if (op == 7) {
      // Remove a random subset (as LREM's matches).
      std::vector<std::uint64_t> indices;
      std::deque<std::string> kept;
      for (std::uint64_t i = 0; i < size; ++i) {
        if (pick(3) == 0) {
          indices.push_back(i);
        } else {
          kept.push_back(m[i]);
        }
      }
      ASSERT_TRUE(list->RemoveAt(indices).ok());
      m = kept;
    } else {
      const std::uint64_t start = pick(size - 1);
      const std::uint64_t count = pick(size - start);
      ASSERT_TRUE(list->Trim(start, count).ok());
      m = std::deque<std::string>(m.begin() + static_cast<std::ptrdiff_t>(start),
                                  m.begin() + static_cast<std::ptrdiff_t>(start + count));
    }
    ASSERT_TRUE(list->Commit().ok());
    for (const std::string& k : keys) Check(db, k, model[k]);
    ASSERT_TRUE(keyspace_->EndBatch().ok());
    if (pick(200) == 0) Reopen();
    if (HasFatalFailure()) return;
  }
  Reopen();
  ASSERT_TRUE(keyspace_->BeginBatch().ok());
  for (const std::string& k : keys) Check(keyspace_->db(0), k, model[k]);
  ASSERT_TRUE(keyspace_->EndBatch().ok());
}

TEST_F(ListEncodingModelTest, LongShiftsMoveInChunks) {
  Open();
  ASSERT_TRUE(keyspace_->BeginBatch().ok());
  Database& db = keyspace_->db(0);
  std::deque<std::string> m;
  auto list = ListKey::Create(db, "big");
  ASSERT_TRUE(list.ok());
  for (int i = 0; i < 2000; ++i) {
    ASSERT_TRUE(list->Push(ListEnd::kTail, std::to_string(i)).ok());
    m.push_back(std::to_string(i));
  }
  // Both sides of the middle are longer than a chunk.
  ASSERT_TRUE(list->Insert(700, "x").ok());
  m.insert(m.begin() + 700, "x");
  ASSERT_TRUE(list->Insert(1300, "y").ok());
  m.insert(m.begin() + 1300, "y");
  ASSERT_TRUE(list->RemoveAt({600, 601, 1500}).ok());
  m.erase(m.begin() + 1500);
  m.erase(m.begin() + 600, m.begin() + 602);
  ASSERT_TRUE(list->RemoveAt({100, 1800}).ok());
  m.erase(m.begin() + 1800);
  m.erase(m.begin() + 100);
  ASSERT_TRUE(list->Commit().ok());
  Check(db, "big", m);
  ASSERT_TRUE(keyspace_->EndBatch().ok());
}

}  // namespace
}  // namespace larder::server
