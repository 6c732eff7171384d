// Meta discovery (ReadMetaPages) on files whose meta pages are damaged in each way it must
// tell apart, and the meta pages of a copy (EncodeCopyMetaPages).
#include "bolt/meta.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "testing/fault_injection_file_system.h"

namespace larder::bolt {
namespace {

constexpr std::uint32_t kPage = 4096;

// A file of `pages` zeroed pages whose meta pages hold txids 6 (page 0) and 7 (page 1).
class MetaPagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bytes_.assign(8 * kPage, 0);
    for (Txid t : {6, 7}) {
      Meta m;
      m.page_size = kPage;
      m.root = {3, 0};
      m.freelist = 2;
      m.pgid = 8;
      m.txid = t;
      m.EncodePage(bytes_.data() + (t % 2) * kPage);
    }
  }

  Result<MetaPages> Read() {
    auto f = fs_.Open("/f.db", {.create = true});
    EXPECT_TRUE(f.ok());
    EXPECT_TRUE((*f)->Truncate(0).ok());
    EXPECT_TRUE((*f)->WriteAt(0, bytes_).ok());
    return ReadMetaPages(**f, bytes_.size(), "/f.db");
  }

  // Flips a byte of the meta struct of page `i` (the checksum then fails).
  void Damage(int i) { bytes_[i * kPage + kPageHeaderSize + 50] ^= 0xFF; }

  FaultInjectionFileSystem fs_;
  std::vector<std::uint8_t> bytes_;
};

TEST_F(MetaPagesTest, PicksTheValidMetaWithTheHigherTxid) {
  auto m = Read();
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->page_size, kPage);
  EXPECT_EQ(m->active(), 1);
  EXPECT_EQ(m->Active("x")->txid, 7u);
}

TEST_F(MetaPagesTest, DamagedMetaZeroFindsThePageSizeFromMetaOne) {
  Damage(0);
  auto m = Read();
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->page_size, kPage);
  EXPECT_TRUE(m->status[0].IsCorruption()) << m->status[0].ToString();
  EXPECT_EQ(m->active(), 1);
}

TEST_F(MetaPagesTest, DamagedNewerMetaFallsBackToTheOlder) {
  Damage(1);
  auto m = Read();
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->active(), 0);
  EXPECT_EQ(m->meta[0].txid, 6u);
}

TEST_F(MetaPagesTest, BothDamagedIsAnErrorNamingMetaZero) {
  Damage(0);
  Damage(1);
  auto m = Read();
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(m.status().IsCorruption()) << m.status().ToString();
  EXPECT_NE(m.status().message().find("meta page 0: checksum error"), std::string::npos);
}

TEST_F(MetaPagesTest, BadPageSizeInAValidMetaZeroIsNotTrusted) {
  Meta m0 = Meta::Decode(bytes_.data());
  for (std::uint32_t bad : {0u, 512u, 3000u, 131072u}) {
    SCOPED_TRACE(bad);
    m0.page_size = bad;
    std::fill(bytes_.begin(), bytes_.begin() + kPage, 0);
    m0.EncodePage(bytes_.data(), 0);  // checksums fine, size wrong
    auto m = Read();
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    EXPECT_EQ(m->page_size, kPage) << "taken from meta 1";
    EXPECT_FALSE(m->status[0].ok());
    Damage(1);
    m = Read();
    Damage(1);  // undo
    ASSERT_FALSE(m.ok());
    EXPECT_NE(m.status().message().find("invalid page size"), std::string::npos)
        << m.status().ToString();
  }
}

TEST_F(MetaPagesTest, NotABoltFileAndTooSmallFiles) {
  std::fill(bytes_.begin(), bytes_.end(), 'G');
  auto m = Read();
  EXPECT_EQ(m.status().code(), Code::kInvalidArgument);
  EXPECT_NE(m.status().message().find("not a bolt database"), std::string::npos);
  bytes_.assign(40, 0);
  EXPECT_EQ(Read().status().code(), Code::kInvalidArgument);
  SetUp();
  bytes_.resize(kPage + 100);  // meta 0 fine, but not two pages
  m = Read();
  EXPECT_TRUE(m.status().IsCorruption()) << m.status().ToString();
}

TEST_F(MetaPagesTest, MetaPastTheEndOfTheFileIsNotUsable) {
  bytes_.resize(6 * kPage);  // both metas say 8 pages
  auto m = Read();
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->active(), -1);
  EXPECT_NE(m->Active("/f.db").status().message().find("past the end of the file"),
            std::string::npos)
      << m->Active("/f.db").status().ToString();
}

TEST_F(MetaPagesTest, AReadErrorIsReturnedNotTakenForDamage) {
  auto f = fs_.Open("/f.db", {.create = true});
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->WriteAt(0, bytes_).ok());
  for (std::uint64_t n = 1; n <= 3; ++n) {
    fs_.FailNth(FaultInjectionFileSystem::Op::kRead, n, /*persistent=*/false);
    auto m = ReadMetaPages(**f, bytes_.size(), "/f.db");
    EXPECT_EQ(m.status().code(), Code::kIOError) << n << ": " << m.status().ToString();
  }
  EXPECT_EQ(fs_.injected_faults(), 3u);
}

TEST(EncodeCopyMetaPagesTest, BothPagesValidateAndTheCopyOpensAtTheSnapshot) {
  Meta m;
  m.page_size = 1024;
  m.root = {5, 9};
  m.freelist = 4;
  m.pgid = 10;
  m.txid = 41;  // odd: a commit would have written page 1
  const std::vector<std::uint8_t> pages = EncodeCopyMetaPages(m);
  ASSERT_EQ(pages.size(), 2048u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(LoadU64(pages.data() + i * 1024), static_cast<Pgid>(i)) << "the id is the slot";
    const Meta back = Meta::Decode(pages.data() + i * 1024);
    EXPECT_TRUE(back.ValidateForOpen(i, 1024, 10 * 1024).ok());
    EXPECT_EQ(back.root.sequence, 9u);
  }
  EXPECT_EQ(Meta::Decode(pages.data()).txid, 41u);
  EXPECT_EQ(Meta::Decode(pages.data() + 1024).txid, 40u);
}

}  // namespace
}  // namespace larder::bolt
