// Page-size validation and the freelist page's extent: format rules every reader shares.
#include "bolt/page.h"

#include <gtest/gtest.h>

#include <vector>

namespace larder::bolt {
namespace {

TEST(PageSizeTest, PowersOfTwoFrom1KTo64K) {
  for (std::uint32_t p = kMinPageSize; p <= kMaxPageSize; p <<= 1) {
    EXPECT_TRUE(ValidPageSize(p)) << p;
    EXPECT_TRUE(CheckPageSize(p).ok()) << p;
  }
  for (std::uint32_t p : {0u, 1u, 512u, 1000u, 1536u, 4095u, 4097u, 131072u, 0x80000000u}) {
    EXPECT_FALSE(ValidPageSize(p)) << p;
    EXPECT_EQ(CheckPageSize(p).code(), Code::kInvalidArgument) << p;
  }
}

TEST(FreelistExtentTest, CountInTheHeaderOrInTheFirstWord) {
  std::vector<std::uint8_t> page(1024, 0);
  WritePageHeader(page.data(), 7, kFreelistPageFlag, 3, 0);
  std::uint64_t count = 0;
  std::size_t offset = 0;
  ASSERT_TRUE(FreelistExtent(PageView(page.data(), page.size()), "p", &count, &offset).ok());
  EXPECT_EQ(count, 3u);
  EXPECT_EQ(offset, kPageHeaderSize);
  // 0xFFFF: the real count is the first u64.
  WritePageHeader(page.data(), 7, kFreelistPageFlag, kFreelistCountOverflow, 0);
  StoreU64(page.data() + kPageHeaderSize, 125);  // (1024 - 24) / 8 = 125 ids fit
  ASSERT_TRUE(FreelistExtent(PageView(page.data(), page.size()), "p", &count, &offset).ok());
  EXPECT_EQ(count, 125u);
  EXPECT_EQ(offset, kPageHeaderSize + 8);
  StoreU64(page.data() + kPageHeaderSize, 126);
  Status s = FreelistExtent(PageView(page.data(), page.size()), "page 7", &count, &offset);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_EQ(s.message(), "page 7: freelist count 126 does not fit in 1024 bytes");
  EXPECT_TRUE(FreelistExtent(PageView(page.data(), 20), "p", &count, &offset).IsCorruption())
      << "no room for the count word";
}

}  // namespace
}  // namespace larder::bolt
