// Tests of DB::Checkpoint on the real file system (db_backup.cc): finished files are hard
// links, the log still taking writes is a copy, and the checkpoint is one point in time.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "larder/file_system.h"
#include "larder/lsm/db.h"
#include "tests/util/kv_model.h"
#include "tests/util/temp_dir.h"

namespace larder::lsm {
namespace {

nlink_t Links(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_nlink;
}

TEST(LsmCheckpointTest, LinksFinishedFilesAndCopiesTheOpenLog) {
  test::TempDir tmp;
  const std::string dir = tmp.path() + "/db", dest = tmp.path() + "/checkpoint";
  auto db = DB::Open(dir, Options{});
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE((*db)->Put({}, test::NumberedKey("k", i), std::string(50, 'a')).ok());
  }
  ASSERT_TRUE((*db)->Checkpoint(dest).ok());
  EXPECT_EQ((*db)->Checkpoint(dest).code(), Code::kAlreadyExists);
  int tables = 0, logs = 0;
  auto names = DefaultFileSystem()->ListDir(dest);
  ASSERT_TRUE(names.ok());
  for (const std::string& name : *names) {
    if (name.ends_with(".sst")) {
      ++tables;
      EXPECT_EQ(Links(dest + "/" + name), 2u) << name;  // shared with the database
    } else if (name.ends_with(".vlog")) {
      ++logs;
      EXPECT_EQ(Links(dest + "/" + name), 1u) << name;  // still appended to: a copy
    }
  }
  EXPECT_GT(tables, 0);
  EXPECT_EQ(logs, 1);
  // Later writes to the database do not reach the checkpoint.
  ASSERT_TRUE((*db)->Put({}, "after", "x").ok());
  ASSERT_TRUE((*db)->Delete({}, test::NumberedKey("k", 5)).ok());
  ASSERT_TRUE((*db)->CompactRange(std::nullopt, std::nullopt).ok());
  auto copy = DB::Open(dest, Options{});
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  std::string v;
  EXPECT_TRUE((*copy)->Get("after", &v).IsNotFound());
  ASSERT_TRUE((*copy)->Get(test::NumberedKey("k", 5), &v).ok());
  EXPECT_EQ(v, std::string(50, 'a'));
  ASSERT_TRUE((*copy)->Get(test::NumberedKey("k", 299), &v).ok());
}

}  // namespace
}  // namespace larder::lsm
