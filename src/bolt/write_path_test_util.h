// The fixture and helpers of the bolt write path's tests (write_path_test.cc, leaf_hint_test.cc):
// a DB with 4 KiB pages on an in-memory file system, and its bucket "b" read back whole.
#ifndef LARDER_BOLT_WRITE_PATH_TEST_UTIL_H_
#define LARDER_BOLT_WRITE_PATH_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "larder/bolt/db.h"
#include "larder/file_system.h"

namespace larder::bolt::write_path_test {

// "k" and i in 9 digits: keys that sort as their numbers do.
inline std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "k%09d", i);
  return buf;
}

// b.Get(k) agrees with `expect`: found with k's value there, or not found.
inline void ExpectGetAgrees(const Bucket& b, const std::map<std::string, std::string>& expect,
                            const std::string& k) {
  auto got = b.Get(k);
  auto it = expect.find(k);
  EXPECT_EQ(got.ok(), it != expect.end()) << k;
  if (got.ok() && it != expect.end()) {
    EXPECT_EQ(*got, it->second) << k;
  }
}

class WritePathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options o;
    o.file_system = fs_.get();
    o.page_size = 4096;
    auto db = DB::Open("/w.db", o);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
  }
  // Every key/value of bucket "b" in cursor order, and the consistency check's verdict.
  std::map<std::string, std::string> Contents() {
    std::map<std::string, std::string> out;
    EXPECT_TRUE(db_->View([&](Tx& tx) -> Status {
                     for (const auto& problem : tx.Check()) ADD_FAILURE() << problem;
                     LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("b"));
                     std::string prev;
                     Cursor c = b.NewCursor();
                     for (c.First(); c.Valid(); c.Next()) {
                       EXPECT_LT(prev, std::string(c.key()));
                       prev = std::string(c.key());
                       out[prev] = std::string(c.value());
                     }
                     return c.status();
                   })
                    .ok());
    return out;
  }
  BucketStats Stats() {
    BucketStats s;
    EXPECT_TRUE(db_->View([&](Tx& tx) -> Status {
                     LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("b"));
                     LARDER_ASSIGN_OR_RETURN(s, b.Stats());
                     return Status::Ok();
                   })
                    .ok());
    return s;
  }

  std::unique_ptr<FileSystem> fs_ = NewMemFileSystem(std::size_t{1} << 30);
  std::unique_ptr<DB> db_;
};

}  // namespace larder::bolt::write_path_test

#endif  // LARDER_BOLT_WRITE_PATH_TEST_UTIL_H_
