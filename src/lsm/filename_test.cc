#include "lsm/filename.h"

#include <gtest/gtest.h>

namespace larder::lsm {
namespace {

TEST(LsmFileNameTest, NamesAndParse) {
  EXPECT_EQ(VlogFileName("/db", 7), "/db/000007.vlog");
  EXPECT_EQ(TableFileName("/db/", 12), "/db/000012.sst");
  EXPECT_EQ(TempFileName("db", 1234567), "db/1234567.tmp");
  EXPECT_EQ(ManifestFileName("/db"), "/db/MANIFEST");
  EXPECT_EQ(ManifestTmpFileName("/db"), "/db/MANIFEST.tmp");
  EXPECT_EQ(LockFileName("/db"), "/db/LOCK");

  struct Case {
    std::uint64_t number;
    FileType type;
  };
  for (const Case& c :
       {Case{0, FileType::kVlog}, Case{7, FileType::kTable}, Case{999999, FileType::kTemp},
        Case{1000000, FileType::kTable}, Case{~std::uint64_t{0}, FileType::kVlog}}) {
    const std::string name = NumberedFileName(c.number, c.type);
    std::uint64_t n = 1;
    FileType t = FileType::kLock;
    ASSERT_TRUE(ParseFileName(name, &n, &t)) << name;
    EXPECT_EQ(n, c.number);
    EXPECT_EQ(t, c.type);
  }
  std::uint64_t n = 9;
  FileType t;
  ASSERT_TRUE(ParseFileName("MANIFEST", &n, &t));
  EXPECT_EQ(t, FileType::kManifest);
  EXPECT_EQ(n, 0u);
  ASSERT_TRUE(ParseFileName("MANIFEST.tmp", &n, &t));
  EXPECT_EQ(t, FileType::kManifestTmp);
  ASSERT_TRUE(ParseFileName("LOCK", &n, &t));
  EXPECT_EQ(t, FileType::kLock);
}

TEST(LsmFileNameTest, RejectsOtherNames) {
  std::uint64_t n;
  FileType t;
  for (const char* name :
       {"", "7.sst", "00007.sst", "0000007.sst", "000007.log", "000007.sst.bak", "000007",
        "00000a.sst", "-00007.sst", "MANIFEST-000001", "LOCK2", "CURRENT",
        "99999999999999999999.sst", "000007.", ".sst", "000007.SST"}) {
    EXPECT_FALSE(ParseFileName(name, &n, &t)) << name;
  }
}

}  // namespace
}  // namespace larder::lsm
