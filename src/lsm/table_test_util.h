// Test helpers for sorted tables (tests and the fuzz corpus generator only): build a table from
// a std::map model on an in-memory file system, open it, make random models.
#ifndef LARDER_LSM_TABLE_TEST_UTIL_H_
#define LARDER_LSM_TABLE_TEST_UTIL_H_

#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "larder/file_system.h"
#include "lsm/dbformat.h"
#include "lsm/table.h"
#include "lsm/table_builder.h"

namespace larder::lsm::table_test {

using Model = std::map<std::string, std::string, InternalKeyLess>;
using RangeDels = std::vector<std::pair<std::string, std::string>>;

inline constexpr const char* kPath = "/t.sst";

struct Built {
  std::unique_ptr<FileSystem> fs = NewMemFileSystem(std::size_t{1} << 28);
  std::uint64_t size = 0;
  TableProperties props;
  Status status;  // of the build
};

// Writes `m` (and `range_dels`, in their order, first) as kPath on b->fs.
inline void Build(Built* b, const Model& m, const TableOptions& options,
                  const RangeDels& range_dels = {}) {
  auto w = b->fs->NewAppendWriter(kPath, {.truncate = true});
  if (!w.ok()) {
    b->status = w.status();
    return;
  }
  TableBuilder tb(options, w->get());
  for (const auto& [k, v] : range_dels) tb.Add(k, v);
  for (const auto& [k, v] : m) tb.Add(k, v);
  b->status = tb.Finish();
  if (b->status.ok()) b->status = (*w)->Close();
  b->size = tb.FileSize();
  b->props = tb.properties();
}

// The table's bytes.
inline std::string Contents(const Built& b) {
  std::string out(b.size, '\0');
  auto f = b.fs->Open(kPath, {.read_only = true});
  if (!f.ok()) return {};
  auto got = (*f)->ReadAt(0, {reinterpret_cast<std::uint8_t*>(out.data()), out.size()});
  if (!got.ok()) return {};
  out.resize(*got);
  return out;
}

inline Result<std::unique_ptr<Table>> OpenBuilt(const Built& b, BlockCache* cache = nullptr,
                                                bool verify = true, bool map_file = false) {
  LARDER_ASSIGN_OR_RETURN(auto f, b.fs->Open(kPath, {.read_only = true}));
  return Table::Open(std::move(f), b.size, cache ? cache->NewId() : 0, cache, verify, map_file);
}

inline std::string RandomUserKey(std::mt19937_64& rng, int distinct) {
  return "user" + std::to_string(rng() % static_cast<std::uint64_t>(distinct));
}

// `n` entries over about `distinct` user keys: values, pointers, tombstones, with compressible
// values.
inline Model RandomModel(std::mt19937_64& rng, int n, int distinct) {
  Model m;
  while (static_cast<int>(m.size()) < n) {
    std::string k;
    const auto r = rng() % 10;
    const ValueType type =
        r == 0 ? ValueType::kDeletion : (r == 1 ? ValueType::kValuePointer : ValueType::kValue);
    AppendInternalKey(&k, RandomUserKey(rng, distinct), 1 + rng() % 100000, type);
    std::string v;
    if (type != ValueType::kDeletion) {
      v = std::to_string(rng()) + std::string(rng() % 200, static_cast<char>('a' + rng() % 3));
    }
    m[k] = v;
  }
  return m;
}

}  // namespace larder::lsm::table_test

#endif  // LARDER_LSM_TABLE_TEST_UTIL_H_
