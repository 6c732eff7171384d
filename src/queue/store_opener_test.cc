// The driver opener: each driver's files, and the read-only open that creates nothing.
#include "queue/store_opener.h"

#include <gtest/gtest.h>

#include <string>

namespace larder::queue {
namespace {

TEST(QueueStoreOpenerTest, EachDriverOpensWhereItsRuleSays) {
  auto fs = NewMemFileSystem(std::size_t{64} << 20);
  const StoreOpenOptions rw{.fs = fs.get()};
  for (Driver d : {Driver::kLsm, Driver::kBolt}) {
    SCOPED_TRACE(std::string(DriverName(d)));
    const std::string dir = "/" + std::string(DriverName(d)) + "/q-000000-partition";
    const StorageLocation loc{.name = "l", .driver = d, .dir = DirName(dir)};
    auto store = OpenQueueStore(loc, dir, rw);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->Put({}, "k", "v").ok());
    ASSERT_TRUE((*store)->Close().ok());
    if (d == Driver::kBolt) {
      EXPECT_TRUE(*fs->Exists(dir + "/partition.db"));
    }
    {
      // Held by another opener (larderd): an offline open fails at once instead of waiting.
      auto held = OpenQueueStore(loc, dir, rw);
      ASSERT_TRUE(held.ok());
      EXPECT_EQ(
          OpenQueueStore(loc, dir, {.fs = fs.get(), .read_only = true, .fail_if_locked = true})
              .status()
              .code(),
          Code::kBusy);
      ASSERT_TRUE((*held)->Close().ok());
    }
    auto ro = OpenQueueStore(loc, dir, {.fs = fs.get(), .read_only = true});
    ASSERT_TRUE(ro.ok()) << ro.status().ToString();
    std::string v;
    ASSERT_TRUE((*ro)->Get("k", &v).ok());
    EXPECT_EQ(v, "v");
    EXPECT_FALSE((*ro)->Put({}, "k", "w").ok());
    ASSERT_TRUE((*ro)->Close().ok());
  }
  // Read-only: a missing store is NotFound and stays missing; memory has nothing to read.
  const StoreOpenOptions ro{.fs = fs.get(), .read_only = true};
  const StorageLocation lsm{.name = "l", .driver = Driver::kLsm, .dir = "/"};
  const StorageLocation memory{.name = "m", .driver = Driver::kMemory, .dir = ""};
  EXPECT_EQ(OpenQueueStore(lsm, "/none", ro).status().code(), Code::kNotFound);
  EXPECT_FALSE(*fs->Exists("/none"));
  EXPECT_EQ(OpenQueueStore(memory, "/m", ro).status().code(), Code::kInvalidArgument);
  auto mem = OpenQueueStore(memory, "/m", rw);
  ASSERT_TRUE(mem.ok()) << mem.status().ToString();
  ASSERT_TRUE((*mem)->Close().ok());
  EXPECT_FALSE(*fs->Exists("/m"));
}

}  // namespace
}  // namespace larder::queue
