// Test helpers for whole-database LSM tests (tests only).
#ifndef LARDER_LSM_DB_TEST_UTIL_H_
#define LARDER_LSM_DB_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "larder/lsm/db.h"
#include "tests/util/kv_model.h"

namespace larder::lsm::db_test {

// Opens the database at `dir` with `options` (its level-0 triggers raised so that nothing
// compacts), writes keys <prefix>0..<prefix>(keys-1) twice with a flush after each pass, and
// closes it: level 0 then holds two overlapping tables, which a test reopens to compact.
inline void WriteTwoOverlappingLevel0Tables(Options options, const std::string& dir,
                                            std::string_view prefix, int keys) {
  options.level0_compaction_trigger = 20;
  options.level0_slowdown_trigger = 20;
  options.level0_stop_trigger = 30;
  auto db = DB::Open(dir, options);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < keys; ++i) {
      ASSERT_TRUE((*db)->Put({}, test::NumberedKey(prefix, i), "x").ok());
    }
    ASSERT_TRUE((*db)->Flush().ok());
  }
  ASSERT_EQ((*db)->GetStats().levels[0].tables, 2);
  ASSERT_TRUE((*db)->Close().ok());
}

}  // namespace larder::lsm::db_test

#endif  // LARDER_LSM_DB_TEST_UTIL_H_
