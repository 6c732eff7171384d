#include "queue/storage_layout.h"

#include <gtest/gtest.h>

#include <string>

namespace larder::queue {
namespace {

constexpr std::string_view kGood = R"(queue-storage:
  driver: lsm
  config:
    storage-dir: /data/queues
partition-storage:
  - name: ssd
    driver: lsm
    affinity: 7
    config:
      storage-dir: /mnt/ssd/larder
  - name: hdd
    driver: bolt
    affinity: 3
    config:
      storage-dir: /mnt/hdd/larder
  - name: scratch
    driver: memory
    affinity: 0
)";

TEST(QueueStorageLayoutTest, ParsesTheDocumentedShape) {
  auto layout = ParseStorageLayout(kGood, "q.yaml");
  ASSERT_TRUE(layout.ok()) << layout.status().ToString();
  EXPECT_EQ(layout->queue_storage.driver, Driver::kLsm);
  EXPECT_EQ(layout->queue_storage.dir, "/data/queues");
  ASSERT_EQ(layout->partition_storage.size(), 3u);
  EXPECT_EQ(layout->partition_storage[1].name, "hdd");
  EXPECT_EQ(layout->partition_storage[1].driver, Driver::kBolt);
  EXPECT_EQ(layout->partition_storage[1].dir, "/mnt/hdd/larder");
  EXPECT_EQ(layout->Weights(), (std::vector<std::uint64_t>{7, 3, 0}));
  EXPECT_EQ(layout->Find("scratch"), 2);
  EXPECT_EQ(layout->Find("nope"), -1);
}

// Each bad file names the file, the line and the field.
TEST(QueueStorageLayoutTest, ErrorsNameTheLineAndTheField) {
  struct Case {
    std::string find, replace, want;
  };
  const std::vector<Case> cases = {
      {"affinity: 7", "affinity: -1", "q.yaml:8: field 'partition-storage[0].affinity': '-1'"},
      {"affinity: 7", "affinity: 0.5", "q.yaml:8: field 'partition-storage[0].affinity': '0.5'"},
      {"driver: bolt", "driver: badger", "q.yaml:12: field 'partition-storage[1].driver'"},
      {"name: hdd", "name: ssd", "q.yaml:11: field 'partition-storage[1].name': duplicate"},
      {"    affinity: 3", "    afinity: 3",
       "q.yaml:13: field 'partition-storage[1].afinity': "
       "unknown field"},
      {"    storage-dir: /mnt/hdd/larder", "    dir: x",
       "field 'partition-storage[1].config.dir': unknown"},
      {"  - name: hdd\n    driver: bolt\n    affinity: 3\n    config:\n"
       "      storage-dir: /mnt/hdd/larder\n",
       "  - name: hdd\n    driver: bolt\n    affinity: 3\n",
       "q.yaml:11: field 'partition-storage[1].config.storage-dir': missing"},
      {"  driver: lsm\n  config:\n    storage-dir: /data/queues\n", "  config: {}\n",
       "field 'queue-storage.driver': missing"},
      {"affinity: 7", "affinity: [7", "q.yaml:"},
  };
  for (const Case& c : cases) {
    std::string text(kGood);
    const auto at = text.find(c.find);
    ASSERT_NE(at, std::string::npos) << c.find;
    text.replace(at, c.find.size(), c.replace);
    auto layout = ParseStorageLayout(text, "q.yaml");
    ASSERT_FALSE(layout.ok()) << c.replace;
    EXPECT_EQ(layout.status().code(), Code::kInvalidArgument);
    EXPECT_NE(layout.status().ToString().find(c.want), std::string::npos)
        << layout.status().ToString() << "\n  wanted: " << c.want;
  }
}

TEST(QueueStorageLayoutTest, ZeroTotalAffinityAndEmptyListsAreRefused) {
  std::string zero(kGood);
  zero.replace(zero.find("affinity: 7"), 11, "affinity: 0");
  zero.replace(zero.find("affinity: 3"), 11, "affinity: 0");
  auto layout = ParseStorageLayout(zero, "z.yaml");
  ASSERT_FALSE(layout.ok());
  EXPECT_NE(layout.status().ToString().find("add up to 0"), std::string::npos);
  EXPECT_FALSE(
      ParseStorageLayout("queue-storage: {driver: memory}\npartition-storage: []\n", "e").ok());
  EXPECT_FALSE(ParseStorageLayout("- just\n- a list\n", "l").ok());
  EXPECT_FALSE(ParseStorageLayout("", "empty").ok());
}

TEST(QueueStorageLayoutTest, DefaultLayoutPutsEverythingUnderOneDirectory) {
  StorageLayout d = DefaultStorageLayout("/var/lib/larder/queues");
  EXPECT_EQ(d.queue_storage.dir, "/var/lib/larder/queues");
  ASSERT_EQ(d.partition_storage.size(), 1u);
  EXPECT_EQ(d.partition_storage[0].affinity, 1u);
}

}  // namespace
}  // namespace larder::queue
