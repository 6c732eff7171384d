// A program built outside the source tree against an installed LarderDB (tests/install/run.sh):
// writes a key with the bolt engine, reads it back in a new transaction and prints it with the
// library version; then asks the offline queue facade for queues where none were made (NotFound:
// it links, with the engines it opens). Exit code 0 only if both go as expected.
#include <cstdio>
#include <string>

#include "larder/bolt/db.h"
#include "larder/queue/queue_store.h"
#include "larder/version.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DBFILE\n", argv[0]);
    return 2;
  }
  using namespace larder;        // NOLINT: a small program
  using namespace larder::bolt;  // NOLINT
  auto db = DB::Open(argv[1]);
  if (!db.ok()) {
    std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
    return 1;
  }
  Status s = (*db)->Update([](Tx& tx) -> Status {
    LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucketIfNotExists("installed"));
    return b.Put("version", LARDER_VERSION_STRING);
  });
  std::string value;
  if (s.ok()) {
    s = (*db)->View([&value](Tx& tx) -> Status {
      LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket("installed"));
      LARDER_ASSIGN_OR_RETURN(std::string_view v, b.Get("version"));
      value = std::string(v);
      return Status::Ok();
    });
  }
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  if (value != LARDER_VERSION_STRING) {
    std::fprintf(stderr, "read back '%s'\n", value.c_str());
    return 1;
  }
  auto queues = queue::QueueStore::OpenDefault(std::string(argv[1]) + ".no-queues");
  if (queues.ok() || queues.status().code() != Code::kNotFound) {
    std::fprintf(stderr, "queues: %s\n", queues.status().ToString().c_str());
    return 1;
  }
  std::printf("larder %s\n", value.c_str());
  return 0;
}
