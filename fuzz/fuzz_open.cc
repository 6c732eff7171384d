// Arbitrary bytes as a bolt file: open it (read-only and read-write), read every bucket and key,
// run the check. Anything but a clean status is a finding.
#include <cstddef>
#include <cstdint>
#include <functional>

#include "larder/bolt/db.h"
#include "larder/file_system.h"

using namespace larder;
using namespace larder::bolt;

namespace {
Status ReadAll(DB& db) {
  return db.View([](Tx& tx) -> Status {
    (void)tx.Check();
    std::function<Status(Bucket, int)> walk = [&](Bucket b, int depth) -> Status {
      if (depth > 70) return Status::Corruption("too deep");
      (void)b.Stats();
      return b.ForEach([&](std::string_view k, std::string_view, bool is_bucket) -> Status {
        if (!is_bucket) return b.Get(k).status();
        LARDER_ASSIGN_OR_RETURN(Bucket child, b.GetBucket(k));
        return walk(child, depth + 1);
      });
    };
    return tx.ForEachBucket([&](std::string_view, Bucket b) { return walk(b, 0); });
  });
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto fs = NewMemFileSystem(std::size_t{1} << 26);
  {
    auto f = fs->Open("/f.db", {.create = true});
    if (!f.ok() || !(*f)->WriteAt(0, {data, size}).ok()) return 0;
  }
  for (bool read_only : {true, false}) {
    Options o;
    o.file_system = fs.get();
    o.read_only = read_only;
    o.no_sync = true;
    auto db = DB::Open("/f.db", o);
    if (!db.ok()) continue;
    if (ReadAll(**db).ok() && !read_only) {
      (void)(*db)->Update([](Tx& tx) -> Status {
        LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucketIfNotExists("fuzz"));
        return b.Put("k", "v");
      });
    }
  }
  return 0;
}
