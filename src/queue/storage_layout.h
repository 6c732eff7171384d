// The queue storage layout: where queue metadata and partitions live (docs/queue.md), read from
// larderd's `queue-config` YAML file:
//
//   queue-storage:                 # queue metadata: <storage-dir>/~queue-storage-partition/
//     driver: lsm
//     config:
//       storage-dir: /data/queues
//   partition-storage:             # partition N of queue Q: <storage-dir>/Q-00000N-partition/
//     - name: ssd
//       driver: lsm
//       affinity: 7                # share of the partitions (placement.h)
//       config:
//         storage-dir: /mnt/ssd/larder
//
// Drivers: `lsm` (the LSM engine: the default and the one meant for queues), `bolt` (one bolt
// file per partition, every change synced), `memory` (nothing kept across a restart; tests).
#ifndef LARDER_QUEUE_STORAGE_LAYOUT_H_
#define LARDER_QUEUE_STORAGE_LAYOUT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "larder/file_system.h"
#include "larder/result.h"

namespace larder::queue {

enum class Driver : std::uint8_t { kLsm, kBolt, kMemory };
std::string_view DriverName(Driver driver);  // "lsm", "bolt", "memory"

struct StorageLocation {
  std::string name;  // "queue-storage" for the metadata location
  Driver driver = Driver::kLsm;
  std::uint64_t affinity = 1;  // partition locations only
  std::string dir;             // storage-dir (may be empty for the memory driver)
};

struct StorageLayout {
  StorageLocation queue_storage;
  std::vector<StorageLocation> partition_storage;  // in the file's order; at least one

  // The partition locations' affinities, in order (placement.h's weights).
  std::vector<std::uint64_t> Weights() const;
  // Index of the location named `name`, or -1.
  int Find(std::string_view name) const;
};

// The directory of partition `number` of queue `queue` at a location whose storage-dir is
// `location_dir`: <location_dir>/<queue>-<number, 6 digits>-partition.
std::string PartitionDir(std::string_view location_dir, std::string_view queue,
                         std::uint32_t number);

// The layout without a file: everything under `dir` with the LSM driver, one partition location
// named "default".
StorageLayout DefaultStorageLayout(const std::string& dir);

// Parses the YAML text of file `source` (named in errors). InvalidArgument naming the file, the
// line and the field for a syntax error, an unknown or missing field, a bad driver, a negative
// or non-integer affinity, duplicate names, a total affinity of 0 or a missing storage-dir.
Result<StorageLayout> ParseStorageLayout(std::string_view yaml, std::string_view source);
// Reads and parses `path` through `fs`.
Result<StorageLayout> LoadStorageLayout(FileSystem* fs, const std::string& path);

}  // namespace larder::queue

#endif  // LARDER_QUEUE_STORAGE_LAYOUT_H_
