// backup (a consistent copy, also while another process writes: hot_backup.h) and surgery (repairs
// of a copy of the file; the source is never modified).
#include <fmt/format.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "bolt/meta.h"
#include "bolt/page.h"
#include "common.h"
#include "format.h"
#include "hot_backup.h"
#include "progress.h"
#include "raw_file.h"

namespace larder::cli {
namespace {

namespace fs = std::filesystem;

struct SurgeryArgs {
  std::string file;
  std::string output;
  std::string timeout = "5s";
  int attempts = 10;  // backup: lock-free copy attempts
};

int RunBackup(const SurgeryArgs& a) {
  BackupOptions options;
  options.lock_timeout = *ParseGoDuration(a.timeout);
  options.attempts = a.attempts;
  ProgressBar bar("backup", 0, ProgressBar::Unit::kBytes);
  options.progress = [&](std::uint64_t done, std::uint64_t total) {
    bar.set_total(total);
    bar.Update(done);
  };
  Result<BackupInfo> info = BackupFile(a.file, a.output, options);
  bar.Finish();
  if (!info.ok()) return Fail(info.status().WithContext("backup"));
  if (info->lock_free) {
    fmt::print(stderr,
               "note: {} is open read-write by another process; copied without the lock "
               "(attempt {})\n",
               a.file, info->attempts);
  }
  fmt::print("{} bytes (txid {}) written to {}\n", info->bytes, info->txid, a.output);
  return kExitOk;
}

// Copies a.file to a.output (which must not exist) with the source locked (shared) meanwhile.
Status CopyForSurgery(const SurgeryArgs& a) {
  std::error_code ec;
  if (a.output.empty()) return Status::InvalidArgument("output file required");
  if (fs::exists(a.output, ec)) {
    return Status::AlreadyExists(fmt::format("output file {:?} already exists", a.output));
  }
  LARDER_ASSIGN_OR_RETURN(auto src, RawFile::Open(a.file, a.timeout));
  if (!fs::copy_file(a.file, a.output, fs::copy_options::none, ec)) {
    return Status::IOError(fmt::format("copy {} to {}: {}", a.file, a.output, ec.message()));
  }
  return Status::Ok();
}

// Runs `fix` on the copy; removes the copy when anything fails.
int WithCopy(const SurgeryArgs& a, const std::function<Status()>& fix) {
  Status s = CopyForSurgery(a);
  if (!s.ok()) return Fail(s);
  s = fix();
  if (!s.ok()) {
    std::error_code ec;
    fs::remove(a.output, ec);
    return Fail(s);
  }
  return kExitOk;
}

int RunRevertMetaPage(const SurgeryArgs& a) {
  return WithCopy(a, [&]() -> Status {
    LARDER_ASSIGN_OR_RETURN(auto f, RawFile::Open(a.output, a.timeout, /*writable=*/true));
    const int active = f->active_meta();
    if (active < 0) return Status::Corruption("neither meta page is valid");
    const int other = 1 - active;
    if (!f->meta_status(other).ok()) {
      return Status::Corruption(fmt::format("cannot revert: the older meta page {} isn't valid: {}",
                                            other, f->meta_status(other).message()));
    }
    // Copy the older meta page over the newer one, keeping the page id of its place.
    LARDER_ASSIGN_OR_RETURN(std::vector<std::uint8_t> page, f->ReadPage(other, false));
    StoreU64(page.data(), static_cast<bolt::Pgid>(active));
    LARDER_RETURN_IF_ERROR(f->WritePageBytes(active, 0, page));
    LARDER_RETURN_IF_ERROR(f->Sync());
    fmt::print("The meta page is reverted.\n");
    return Status::Ok();
  });
}

int RunFreelistAbandon(const SurgeryArgs& a) {
  return WithCopy(a, [&]() -> Status {
    LARDER_ASSIGN_OR_RETURN(auto f, RawFile::Open(a.output, a.timeout, /*writable=*/true));
    int changed = 0;
    for (int i = 0; i < 2; ++i) {
      bolt::Meta m = f->meta(i);
      Status valid = m.Validate(i);
      if (!valid.ok()) {
        // Re-checksumming a damaged meta would make it look valid: leave it alone.
        fmt::print(stderr, "WARNING: The meta page {} isn't valid: {}! Left unchanged.\n", i,
                   valid.message());
        continue;
      }
      m.freelist = bolt::kNoFreelist;
      std::vector<std::uint8_t> buf(f->page_size(), 0);
      m.EncodePage(buf.data());
      const std::vector<std::uint8_t> body(buf.begin() + bolt::kPageHeaderSize,
                                           buf.begin() + bolt::kPageHeaderSize + bolt::kMetaSize);
      LARDER_RETURN_IF_ERROR(f->WritePageBytes(i, bolt::kPageHeaderSize, body));
      ++changed;
    }
    if (changed == 0) return Status::Corruption("neither meta page is valid");
    LARDER_RETURN_IF_ERROR(f->Sync());
    fmt::print("The freelist was abandoned in both meta pages.\n");
    fmt::print(
        "It may cause some free pages to be leaked. Run 'larder surgery freelist rebuild' to "
        "rebuild the freelist.\n");
    return Status::Ok();
  });
}

int RunFreelistRebuild(const SurgeryArgs& a) {
  {
    auto src = RawFile::Open(a.file, a.timeout);
    if (!src.ok()) return Fail(src.status());
    const int active = (*src)->active_meta();
    if (active < 0) return Fail("neither meta page is valid");
    if ((*src)->meta(active).freelist != bolt::kNoFreelist) {
      return Fail(
          "the file already has a freelist; abandon it first ('larder surgery freelist "
          "abandon') to rebuild it");
    }
  }
  return WithCopy(a, [&]() -> Status {
    // Opening read-write a file whose meta says "no freelist" rebuilds it from the trees and
    // commits it.
    LARDER_ASSIGN_OR_RETURN(auto db, OpenDB(a.output, a.timeout, /*read_only=*/false));
    LARDER_RETURN_IF_ERROR(db->Close());
    fmt::print("The freelist was successfully rebuilt.\n");
    return Status::Ok();
  });
}

int RunMetaValidate(const SurgeryArgs& a) {
  auto f = RawFile::Open(a.file, a.timeout);
  if (!f.ok()) return Fail(f.status());
  bool all_ok = true;
  for (int i = 0; i < 2; ++i) {
    const Status& s = (*f)->meta_status(i);
    if (s.ok()) {
      fmt::print("The meta page {} is valid!\n", i);
    } else {
      all_ok = false;
      fmt::print("WARNING: The meta page {} isn't valid: {}!\n", i, s.message());
    }
  }
  return all_ok ? kExitOk : kExitError;
}

CLI::App* AddSurgeryCommand(CLI::App* parent, const char* name, const char* help, SurgeryArgs* a,
                            bool output) {
  CLI::App* sub = parent->add_subcommand(name, help);
  sub->add_option("file", a->file, "Database file")->required();
  if (output)
    sub->add_option("-o,--output", a->output, "Where to write the fixed copy")->required();
  AddTimeoutOption(sub, &a->timeout);
  return sub;
}

}  // namespace

void RegisterSurgeryCommands(CLI::App& app, Action& action) {
  {
    auto a = std::make_shared<SurgeryArgs>();
    CLI::App* sub = app.add_subcommand("backup", "Write a consistent copy of the database");
    sub->add_option("file", a->file, "Database file")->required();
    sub->add_option("dst", a->output, "Destination file (must not exist)")->required();
    AddTimeoutOption(sub, &a->timeout);
    sub->add_option("--attempts", a->attempts,
                    "Lock-free copy attempts while another process writes the file")
        ->default_val(10)
        ->check(CLI::Range(1, 1000));
    sub->callback([&action, a] { action = [a] { return RunBackup(*a); }; });
  }
  CLI::App* surgery = app.add_subcommand("surgery", "Repair a copy of a damaged file");
  surgery->require_subcommand(1);
  {
    auto a = std::make_shared<SurgeryArgs>();
    CLI::App* sub = AddSurgeryCommand(
        surgery, "revert-meta-page", "Replace the newer meta page by the older one", a.get(), true);
    sub->callback([&action, a] { action = [a] { return RunRevertMetaPage(*a); }; });
  }
  CLI::App* freelist = surgery->add_subcommand("freelist", "Freelist surgery");
  freelist->require_subcommand(1);
  {
    auto a = std::make_shared<SurgeryArgs>();
    CLI::App* sub = AddSurgeryCommand(
        freelist, "abandon", "Mark the freelist as absent in both meta pages", a.get(), true);
    sub->callback([&action, a] { action = [a] { return RunFreelistAbandon(*a); }; });
  }
  {
    auto a = std::make_shared<SurgeryArgs>();
    CLI::App* sub = AddSurgeryCommand(
        freelist, "rebuild", "Rebuild an abandoned freelist from the trees", a.get(), true);
    sub->callback([&action, a] { action = [a] { return RunFreelistRebuild(*a); }; });
  }
  CLI::App* meta = surgery->add_subcommand("meta", "Meta page surgery");
  meta->require_subcommand(1);
  {
    auto a = std::make_shared<SurgeryArgs>();
    CLI::App* sub = AddSurgeryCommand(meta, "validate", "Check both meta pages", a.get(), false);
    sub->callback([&action, a] { action = [a] { return RunMetaValidate(*a); }; });
  }
}

}  // namespace larder::cli
