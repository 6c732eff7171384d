// The consistency check on arbitrary bytes. The bytes are opened as a bolt file on the in-memory
// file system and Tx::Check runs on them. Besides "no crash, no hang, no sanitizer report", the
// check is held to its contract: when it reports no problem, the file is usable, so
//   - reading everything back (every bucket, key and value, cursors both ways, statistics)
//     gives no error, and a second check agrees with the first;
//   - opened read-write, a transaction that writes, deletes and creates a bucket commits, and
//     the check after it is still clean.
// A clean check followed by a failing read or a damaged commit means the check missed damage:
// the target aborts so that libFuzzer keeps the input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include "larder/bolt/db.h"
#include "larder/file_system.h"

namespace {

using larder::Status;
using larder::bolt::Bucket;
using larder::bolt::DB;
using larder::bolt::Tx;

[[noreturn]] void Violation(const char* what, const Status& s) {
  std::fprintf(stderr, "fuzz_check: %s: %s\n", what, s.ToString().c_str());
  std::abort();
}

// Reads every bucket, key and value, walks each bucket with a cursor in both directions and
// computes its statistics.
Status ReadThrough(Tx& tx) {
  std::function<Status(Bucket, int)> walk = [&](Bucket b, int depth) -> Status {
    if (depth > 80) return Status::Corruption("buckets nested deeper than the tree limit");
    LARDER_RETURN_IF_ERROR(b.Stats().status());
    larder::bolt::Cursor back = b.NewCursor();
    for (back.Last(); back.Valid(); back.Prev()) {
    }
    LARDER_RETURN_IF_ERROR(back.status());
    return b.ForEach([&](std::string_view k, std::string_view, bool is_bucket) -> Status {
      if (!is_bucket) return b.Get(k).status();
      LARDER_ASSIGN_OR_RETURN(Bucket child, b.GetBucket(k));
      return walk(child, depth + 1);
    });
  };
  return tx.ForEachBucket([&](std::string_view, Bucket b) { return walk(b, 0); });
}

std::unique_ptr<larder::FileSystem> FileOf(const std::uint8_t* data, std::size_t size) {
  auto fs = larder::NewMemFileSystem(std::size_t{1} << 26);
  auto f = fs->Open("/c.db", {.create = true});
  if (!f.ok() || !(*f)->WriteAt(0, {data, size}).ok()) return nullptr;
  return fs;
}

larder::bolt::Options OptionsFor(larder::FileSystem* fs, bool read_only) {
  larder::bolt::Options o;
  o.file_system = fs;
  o.read_only = read_only;
  o.no_sync = true;
  o.lock_timeout = std::chrono::milliseconds(1);
  return o;
}

// Returns whether the check found the file clean.
bool CheckReadOnly(const std::uint8_t* data, std::size_t size) {
  auto fs = FileOf(data, size);
  if (!fs) return false;
  auto db = DB::Open("/c.db", OptionsFor(fs.get(), true));
  if (!db.ok()) return false;
  bool clean = false;
  Status s = (*db)->View([&](Tx& tx) -> Status {
    auto problems = tx.Check();
    clean = problems.empty();
    if (!clean) return Status::Ok();
    if (Status r = ReadThrough(tx); !r.ok()) Violation("clean check, failing read", r);
    if (!tx.Check().empty()) Violation("second check disagrees", Status::Ok());
    return Status::Ok();
  });
  if (!s.ok()) Violation("read transaction failed", s);
  return clean;
}

void CheckWritable(const std::uint8_t* data, std::size_t size) {
  auto fs = FileOf(data, size);
  if (!fs) return;
  auto db = DB::Open("/c.db", OptionsFor(fs.get(), false));
  if (!db.ok()) return;  // e.g. a file without a freelist whose rebuild found damage
  bool clean = true;
  (void)(*db)->View([&](Tx& tx) -> Status {
    clean = tx.Check().empty();
    return Status::Ok();
  });
  if (!clean) return;
  Status s = (*db)->Update([](Tx& tx) -> Status {
    LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucketIfNotExists("fuzz-check"));
    for (int i = 0; i < 40; ++i) {
      LARDER_RETURN_IF_ERROR(b.Put("k" + std::to_string(i), std::string(i * 61, 'v')));
    }
    LARDER_RETURN_IF_ERROR(b.Delete("k3"));
    return tx.ForEachBucket([](std::string_view, Bucket) { return Status::Ok(); });
  });
  if (!s.ok()) Violation("clean check, failing commit", s);
  Status after = (*db)->View([](Tx& tx) -> Status {
    auto problems = tx.Check();
    if (!problems.empty()) return Status::Corruption(problems[0]);
    return ReadThrough(tx);
  });
  if (!after.ok()) Violation("clean check, damaged after a commit", after);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (CheckReadOnly(data, size)) CheckWritable(data, size);
  return 0;
}
