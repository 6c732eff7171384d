// RawFile and RawPage on an engine-written file, then on copies damaged byte by byte: every
// damage gives an error Status, never a read outside the page.
#include "larder/bolt/raw_file.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "base/coding.h"
#include "larder/bolt/db.h"

namespace larder::bolt {
namespace {

constexpr std::uint32_t kPage = 4096;

class RawFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = DB::Open("/f.db", {.page_size = kPage, .no_sync = true, .file_system = fs_.get()});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    Status s = (*db)->Update([](Tx& tx) -> Status {
      LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucket("b"));
      for (int i = 0; i < 200; ++i) {
        LARDER_RETURN_IF_ERROR(b.Put("key" + std::to_string(1000 + i), std::string(40, 'v')));
      }
      return b.Put("zbig", std::string(3 * kPage, 'z'));  // a value with overflow pages
    });
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_TRUE((*db)->Update([](Tx& tx) { return tx.CreateBucket("c").status(); }).ok());
    ASSERT_TRUE((*db)->Close().ok());
  }

  Result<std::unique_ptr<RawFile>> Open(bool writable = false) {
    return RawFile::Open("/f.db", {.writable = writable, .fs = fs_.get()});
  }
  std::unique_ptr<RawFile> MustOpen(bool writable = false) {
    auto f = Open(writable);
    EXPECT_TRUE(f.ok()) << f.status().ToString();
    return f.ok() ? std::move(*f) : nullptr;
  }
  // The first leaf of bucket "b" (under its branch root).
  Pgid FirstLeafOfB() {
    auto f = MustOpen();
    auto root = f->ReadPage(f->meta(f->active_meta()).root, true);
    auto branch = f->ReadPage(root->LeafBucket(0)->root, true);
    return branch->Branch(0)->child;
  }
  static bool IsFree(const RawFile& f, Pgid id) { return f.FreePages()->count(id) != 0; }
  void Poke(std::uint64_t offset, std::vector<std::uint8_t> bytes) {
    auto f = fs_->Open("/f.db", {});
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->WriteAt(offset, bytes).ok());
  }
  void PokeU32(std::uint64_t offset, std::uint32_t v) {
    std::vector<std::uint8_t> b(4);
    StoreU32(b.data(), v);
    Poke(offset, b);
  }

  std::unique_ptr<FileSystem> fs_ = NewMemFileSystem(1 << 24);
};

TEST_F(RawFileTest, ReadsTheMetasAndDecodesTheTree) {
  auto f = MustOpen();
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->page_size(), kPage);
  ASSERT_GE(f->active_meta(), 0);
  const MetaFields& m = f->meta(f->active_meta());
  EXPECT_TRUE(f->meta_status(0).ok());
  EXPECT_TRUE(f->meta_status(1).ok());
  EXPECT_EQ(f->meta(1 - f->active_meta()).txid + 1, m.txid);
  EXPECT_TRUE(m.has_freelist());
  // The root bucket's page lists "b" and "c" as buckets.
  auto root = f->ReadPage(m.root, true);
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  ASSERT_EQ(root->header().kind(), PageKind::kLeaf);
  ASSERT_EQ(*root->ItemCount(), 2u);
  auto b = root->Leaf(0);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->key, "b");
  EXPECT_TRUE(b->is_bucket);
  auto ref = root->LeafBucket(0);
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  EXPECT_GE(ref->root, 2u);
  EXPECT_EQ(root->LeafBucket(1)->root, 0u) << "an empty bucket is inline";
  EXPECT_EQ(root->Leaf(2).status().code(), Code::kInvalidArgument) << "out of range";
  EXPECT_EQ(root->Branch(0).status().code(), Code::kInvalidArgument) << "not a branch";
  // "b" holds 201 keys: a branch page over leaves.
  auto branch = f->ReadPage(ref->root, true);
  ASSERT_TRUE(branch.ok());
  ASSERT_EQ(branch->header().kind(), PageKind::kBranch);
  auto first = branch->Branch(0);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->key, "key1000");
  auto meta = f->ReadPage(1, false);
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->header().type_name(), "meta");
  EXPECT_EQ(meta->Meta().txid, f->meta(1).txid);
}

TEST_F(RawFileTest, FreelistPageAndFreePages) {
  auto f = MustOpen();
  const MetaFields m = f->meta(f->active_meta());
  auto page = f->ReadPage(m.freelist, true);
  ASSERT_TRUE(page.ok());
  auto ids = page->FreelistIds();
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  EXPECT_EQ(*page->ItemCount(), ids->size());
  auto free = f->FreePages();
  ASSERT_TRUE(free.ok());
  EXPECT_EQ(free->size(), ids->size());
  EXPECT_FALSE(ids->empty()) << "the second commit freed the first one's pages";
  // A count that cannot fit is Corruption for both readers.
  Poke(m.freelist * kPage + 10, {0xF0, 0x0F});
  f = MustOpen();
  page = f->ReadPage(m.freelist, true);
  EXPECT_TRUE(page->FreelistIds().status().IsCorruption());
  EXPECT_TRUE(page->ItemCount().status().IsCorruption());
  EXPECT_TRUE(f->FreePages().status().IsCorruption());
}

TEST_F(RawFileTest, ListPagesCoversTheFileUpToTheHighWaterMark) {
  auto f = MustOpen();
  auto list = f->ListPages();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_TRUE(list->stopped.ok());
  Pgid next = 0, free = 0, overflowing = 0;
  for (const PageListEntry& e : list->pages) {
    EXPECT_EQ(e.id, next) << "each page once, overflow pages skipped";
    next = e.id + 1 + (e.free ? 0 : e.header.overflow);
    free += e.free ? 1 : 0;
    overflowing += !e.free && e.header.overflow > 0 ? 1 : 0;
    if (!e.free) {
      EXPECT_EQ(e.header.id, e.id);
    }
  }
  EXPECT_EQ(next, f->meta(f->active_meta()).pgid);
  EXPECT_EQ(next, f->end_of_pages());
  EXPECT_EQ(free, f->FreePages()->size());
  EXPECT_EQ(overflowing, 1u) << "the big value's page";
  EXPECT_EQ(list->pages[0].header.kind(), PageKind::kMeta);
}

TEST_F(RawFileTest, PagesPastTheEndOfTheFile) {
  auto f = MustOpen();
  const Pgid last = f->page_count() - 1;
  EXPECT_TRUE(f->ReadPage(last, false).ok());
  auto past = f->ReadPage(last + 1, false);
  EXPECT_EQ(past.status().code(), Code::kInvalidArgument);
  EXPECT_NE(past.status().message().find("past the end of the file"), std::string::npos);
  EXPECT_EQ(f->ReadPage(~Pgid{0}, true).status().code(), Code::kInvalidArgument);
}

TEST_F(RawFileTest, OverflowPastTheEndOfTheFile) {
  auto f = MustOpen();
  // The big value's leaf page has overflow pages.
  Pgid big = 0;
  for (Pgid id = 2; id < f->page_count() && big == 0; ++id) {
    auto p = f->ReadPage(id, false);
    if (p->header().overflow > 0 && !IsFree(*f, id)) big = id;
  }
  ASSERT_NE(big, 0u);
  auto whole = f->ReadPage(big, true);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->bytes().size(), (whole->header().overflow + 1) * std::size_t{kPage});
  for (std::uint32_t overflow : {0xFFFFFFFFu, static_cast<std::uint32_t>(f->page_count() - big)}) {
    SCOPED_TRACE(overflow);
    PokeU32(big * kPage + 12, overflow);
    f = MustOpen();
    auto p = f->ReadPage(big, true);
    EXPECT_TRUE(p.status().IsCorruption()) << p.status().ToString();
    EXPECT_NE(p.status().message().find("run past the end"), std::string::npos);
    EXPECT_TRUE(f->ReadPage(big, false).ok()) << "the page alone still reads";
  }
}

TEST_F(RawFileTest, DamagedElementsAreErrorsNotReads) {
  const Pgid leaf = FirstLeafOfB();
  auto f = MustOpen();
  const std::uint64_t count = *f->ReadPage(leaf, true)->ItemCount();
  ASSERT_GT(count, 2u);
  // Element 1's key position far past the page.
  PokeU32(leaf * kPage + 16 + 16 + 4, 0x7FFFFFF0);
  f = MustOpen();
  auto p = f->ReadPage(leaf, true);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->Leaf(0).ok());
  EXPECT_TRUE(p->Leaf(1).status().IsCorruption()) << p->Leaf(1).status().ToString();
  EXPECT_NE(p->Leaf(1).status().message().find("lies outside the page"), std::string::npos);
  // A count whose element array does not fit the page.
  Poke(leaf * kPage + 10, {0xFF, 0xFF});
  f = MustOpen();
  p = f->ReadPage(leaf, true);
  EXPECT_TRUE(p->ItemCount().status().IsCorruption());
  EXPECT_TRUE(p->Leaf(0).status().IsCorruption());
}

TEST_F(RawFileTest, ABucketValueTooShortForItsHeader) {
  auto f = MustOpen();
  const Pgid root = f->meta(f->active_meta()).root;
  // Element 0 ("b"): value size 3 instead of 16.
  PokeU32(root * kPage + 16 + 12, 3);
  f = MustOpen();
  auto p = f->ReadPage(root, true);
  EXPECT_TRUE(p->Leaf(0).ok()) << "the element itself lies inside the page";
  EXPECT_TRUE(p->LeafBucket(0).status().IsCorruption());
}

TEST_F(RawFileTest, DamagedMetaZeroStillOpensWithTheOtherMeta) {
  Poke(16 + 40, {0xAB});  // inside meta 0's struct: its checksum fails
  auto f = MustOpen();
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->page_size(), kPage);
  EXPECT_TRUE(f->meta_status(0).IsCorruption());
  EXPECT_EQ(f->active_meta(), 1);
  Poke(kPage + 16 + 40, {0xAB});  // and meta 1: no page size left to trust
  EXPECT_TRUE(Open().status().IsCorruption()) << Open().status().ToString();
}

TEST_F(RawFileTest, MissingFileAndWriterLock) {
  EXPECT_TRUE(RawFile::Open("/none.db", {.fs = fs_.get()}).status().IsNotFound());
  auto reader = MustOpen();
  auto writer = RawFile::Open(
      "/f.db", {.writable = true, .lock_timeout = std::chrono::milliseconds(1), .fs = fs_.get()});
  EXPECT_EQ(writer.status().code(), Code::kBusy) << "a shared holder keeps the writer out";
}

TEST_F(RawFileTest, RevertMetaPageMakesTheOlderCommitActive) {
  auto f = MustOpen(/*writable=*/true);
  const int active = f->active_meta();
  const Txid older = f->meta(1 - active).txid;
  ASSERT_TRUE(f->RevertMetaPage().ok());
  ASSERT_TRUE(f->Sync().ok());
  f.reset();
  f = MustOpen();
  EXPECT_EQ(f->meta(f->active_meta()).txid, older);
  EXPECT_EQ(f->meta(0).txid, f->meta(1).txid);
  auto db = DB::Open("/f.db", {.read_only = true, .file_system = fs_.get()});
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_TRUE((*db)->View([](Tx& tx) { return tx.GetBucket("c").status(); }).IsNotFound())
      << "the second commit is undone";
}

TEST_F(RawFileTest, AbandonFreelistLeavesADamagedMetaAlone) {
  Poke(kPage + 16 + 40, {0xAB});  // meta 1 fails its checksum
  auto f = MustOpen(/*writable=*/true);
  auto checks = f->AbandonFreelist();
  ASSERT_TRUE(checks.ok()) << checks.status().ToString();
  EXPECT_TRUE((*checks)[0].ok());
  EXPECT_TRUE((*checks)[1].IsCorruption());
  f.reset();
  f = MustOpen();
  EXPECT_TRUE(f->meta_status(0).ok()) << "re-checksummed";
  EXPECT_FALSE(f->meta(0).has_freelist());
  EXPECT_TRUE(f->meta_status(1).IsCorruption()) << "not made to look valid";
  EXPECT_TRUE(f->FreePages()->empty());
}

}  // namespace
}  // namespace larder::bolt
