// compact: copies a database into a new, packed file (bbolt compact).
#include <fmt/format.h>

#include <cstdint>
#include <memory>
#include <string>

#include "common.h"
#include "larder/bolt/stats.h"
#include "larder/file_system.h"
#include "progress.h"

namespace larder::cli {
namespace {

struct CompactArgs {
  std::string src;
  std::string dst;
  std::uint64_t tx_max_size = 65536;
  bool no_sync = false;
  std::string timeout = "5s";
};

int RunCompact(const CompactArgs& a) {
  FileSystem* fs = DefaultFileSystem();
  auto src_exists = fs->Exists(a.src), dst_exists = fs->Exists(a.dst);
  if (!src_exists.ok() || !*src_exists)
    return Fail(fmt::format("source database file {:?} doesn't exist", a.src));
  if (!dst_exists.ok()) return Fail(dst_exists.status());
  if (*dst_exists) return Fail(fmt::format("output file {:?} already exists", a.dst));
  auto initial_size = fs->FileSize(a.src);
  if (!initial_size.ok()) return Fail(initial_size.status());

  auto src = OpenDB(a.src, a.timeout, /*read_only=*/true);
  if (!src.ok()) return Fail(src.status());
  bolt::Options dst_options;
  dst_options.no_sync = a.no_sync;
  auto dst = bolt::DB::Open(a.dst, dst_options);
  if (!dst.ok()) return Fail(dst.status());

  ProgressBar bar("compact", 0, ProgressBar::Unit::kCount);
  Status s;
  if (bar.enabled()) {  // the total costs a pass over the pages: only for a visible bar
    std::uint64_t total = 0;
    s = (*src)->View([&](bolt::Tx& tx) {
      return tx.ForEachBucket([&](std::string_view, bolt::Bucket b) -> Status {
        LARDER_ASSIGN_OR_RETURN(bolt::BucketStats bs, b.Stats());
        total += static_cast<std::uint64_t>(bs.key_n);  // the entries Compact copies
        return Status::Ok();
      });
    });
    bar.set_total(total);
  }
  if (s.ok()) {
    s = bolt::Compact(**dst, **src, a.tx_max_size,
                      [&](std::uint64_t entries) { bar.Update(entries); });
  }
  bar.Finish();
  if (s.ok()) s = (*dst)->Close();
  if (!s.ok()) {
    dst->reset();
    (void)fs->Remove(a.dst);  // ours: it did not exist before
    return Fail(s.WithContext("compact"));
  }

  auto final_size = fs->FileSize(a.dst);
  if (!final_size.ok()) return Fail(final_size.status());
  if (*final_size == 0) return Fail("zero db size");
  fmt::print("{} -> {} bytes (gain={:.2f}x)\n", *initial_size, *final_size,
             static_cast<double>(*initial_size) / static_cast<double>(*final_size));
  return kExitOk;
}

}  // namespace

void RegisterCompactCommand(CLI::App& app, Action& action) {
  auto a = std::make_shared<CompactArgs>();
  CLI::App* sub = app.add_subcommand("compact", "Copy a database into a new, compacted file");
  sub->add_option("src", a->src, "Source database file")->required();
  sub->add_option("-o,--output", a->dst, "Destination file (must not exist)")->required();
  sub->add_option("--tx-max-size", a->tx_max_size, "Bytes of keys and values per transaction")
      ->default_val(65536);
  sub->add_flag("--no-sync", a->no_sync, "Skip fsync on the destination");
  AddTimeoutOption(sub, &a->timeout);
  sub->callback([&action, a] { action = [a] { return RunCompact(*a); }; });
}

}  // namespace larder::cli
