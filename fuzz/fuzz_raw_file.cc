// Arbitrary bytes as a bolt file, read page by page through the engine's raw reader (what the
// CLI's pages/page/page-item/dump and surgery use): every page, every item, the free set, then
// both repairs on a writable open. Anything but a clean status is a finding.
#include <cstddef>
#include <cstdint>

#include "larder/bolt/raw_file.h"
#include "larder/file_system.h"

using namespace larder;
using namespace larder::bolt;

namespace {
void ReadEveryPage(const RawFile& f) {
  (void)f.FreePages();
  (void)f.ListPages();
  for (Pgid id = 0; id < f.page_count() && id < 4096; ++id) {
    for (bool with_overflow : {false, true}) {
      Result<RawPage> page = f.ReadPage(id, with_overflow);
      if (!page.ok()) continue;
      (void)page->Meta();
      (void)page->FreelistIds();
      Result<std::uint64_t> count = page->ItemCount();
      if (!count.ok()) continue;
      for (std::uint64_t i = 0; i < *count; ++i) {
        if (Result<LeafItem> e = page->Leaf(i); e.ok() && e->is_bucket) (void)page->LeafBucket(i);
        (void)page->Branch(i);
      }
    }
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto fs = NewMemFileSystem(std::size_t{1} << 26);
  {
    auto f = fs->Open("/f.db", {.create = true});
    if (!f.ok() || !(*f)->WriteAt(0, {data, size}).ok()) return 0;
  }
  if (auto f = RawFile::Open("/f.db", {.fs = fs.get()}); f.ok()) ReadEveryPage(**f);
  if (auto f = RawFile::Open("/f.db", {.writable = true, .fs = fs.get()}); f.ok()) {
    (void)(*f)->AbandonFreelist();
    (void)(*f)->RevertMetaPage();
    ReadEveryPage(**f);
  }
  return 0;
}
