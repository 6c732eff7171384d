// The backup file's framing (a damaged or foreign QUEUE is refused, naming the directory), the
// record copy (everything, replacing a half-made copy), and RemoveTree.
#include "queue/queue_backup.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace larder::queue {
namespace {

TEST(QueueBackupTest, BackupFileRoundTripsAndRefusesDamage) {
  const std::string file = EncodeBackupFile("record bytes");
  auto back = DecodeBackupFile("/b", file);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, "record bytes");
  std::string flipped = file;
  flipped.back() ^= 1;
  EXPECT_EQ(DecodeBackupFile("/b", flipped).status().message(), "/b/QUEUE: checksum mismatch");
  EXPECT_EQ(DecodeBackupFile("/b", file.substr(0, 10)).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(DecodeBackupFile("/b", "not a backup at all, longer").status().code(),
            Code::kInvalidArgument);
}

TEST(QueueBackupTest, CopyRecordsCopiesEverythingOverAHalfMadeCopy) {
  auto fs = NewMemFileSystem(std::size_t{64} << 20);
  const StoreOpener opener = [fs = fs.get()](const StorageLocation& l, const std::string& dir) {
    return OpenQueueStore(l, dir, {.fs = fs});
  };
  const StorageLocation lsm{.name = "l", .driver = Driver::kLsm, .dir = "/"};
  auto src = opener(lsm, "/src");
  ASSERT_TRUE(src.ok());
  std::map<std::string, std::string> want;
  kv::WriteBatch b;
  for (int i = 0; i < 3000; ++i) {  // more than one 1 MiB batch of the copy
    const std::string k = "k" + std::to_string(i), v(500, static_cast<char>('a' + i % 26));
    b.Put(k, v);
    want[k] = v;
  }
  ASSERT_TRUE((*src)->Write({}, b).ok());
  {
    auto stale = opener(lsm, "/dst");  // a copy a crash cut short
    ASSERT_TRUE(stale.ok());
    ASSERT_TRUE((*stale)->Put({}, "stale", "x").ok());
    ASSERT_TRUE((*stale)->Close().ok());
  }
  ASSERT_TRUE(CopyRecords(**src, opener, fs.get(), lsm, "/dst").ok());
  auto dst = opener(lsm, "/dst");
  ASSERT_TRUE(dst.ok());
  auto it = *(*dst)->NewIterator();
  std::map<std::string, std::string> got;
  for (it->SeekToFirst(); it->Valid(); it->Next()) got[std::string(it->key())] = it->value();
  EXPECT_EQ(got, want);
  it.reset();
  ASSERT_TRUE((*dst)->Close().ok());
  ASSERT_TRUE((*src)->Close().ok());
  ASSERT_TRUE(RemoveTree(fs.get(), "/dst").ok());
  EXPECT_FALSE(*fs->Exists("/dst"));
  EXPECT_TRUE(RemoveTree(fs.get(), "/never").ok());
}

}  // namespace
}  // namespace larder::queue
