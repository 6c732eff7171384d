// backup (a consistent copy, also while another process writes: larder/bolt/backup.h) and
// surgery (repairs of a copy of the file; the source is never modified: larder/bolt/surgery.h).
// Both are engine calls; this file parses, calls and prints.
#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common.h"
#include "format.h"
#include "larder/bolt/backup.h"
#include "larder/bolt/raw_file.h"
#include "larder/bolt/surgery.h"
#include "progress.h"

namespace larder::cli {
namespace {

struct SurgeryArgs {
  std::string file;
  std::string output;
  std::string timeout = "5s";
  int attempts = 10;  // backup: lock-free copy attempts
};

std::chrono::nanoseconds Timeout(const SurgeryArgs& a) { return *ParseGoDuration(a.timeout); }

bolt::SurgeryOptions Options(const SurgeryArgs& a) { return {.lock_timeout = Timeout(a)}; }

int RunBackup(const SurgeryArgs& a) {
  bolt::BackupOptions options;
  options.lock_timeout = Timeout(a);
  options.attempts = a.attempts;
  ProgressBar bar("backup", 0, ProgressBar::Unit::kBytes);
  options.progress = [&](std::uint64_t done, std::uint64_t total) {
    bar.set_total(total);
    bar.Update(done);
  };
  Result<bolt::BackupInfo> info = bolt::BackupFile(a.file, a.output, options);
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

int RunRevertMetaPage(const SurgeryArgs& a) {
  Status s = bolt::RevertMetaPage(a.file, a.output, Options(a));
  if (!s.ok()) return Fail(s);
  fmt::print("The meta page is reverted.\n");
  return kExitOk;
}

int RunFreelistAbandon(const SurgeryArgs& a) {
  auto checks = bolt::AbandonFreelist(a.file, a.output, Options(a));
  if (!checks.ok()) return Fail(checks.status());
  for (int i = 0; i < 2; ++i) {
    const Status& valid = (*checks)[i];
    if (!valid.ok()) {
      fmt::print(stderr, "WARNING: The meta page {} isn't valid: {}! Left unchanged.\n", i,
                 valid.message());
    }
  }
  fmt::print("The freelist was abandoned in both meta pages.\n");
  fmt::print(
      "It may cause some free pages to be leaked. Run 'larder surgery freelist rebuild' to "
      "rebuild the freelist.\n");
  return kExitOk;
}

int RunFreelistRebuild(const SurgeryArgs& a) {
  Status s = bolt::RebuildFreelist(a.file, a.output, Options(a));
  if (!s.ok()) return Fail(s);
  fmt::print("The freelist was successfully rebuilt.\n");
  return kExitOk;
}

int RunMetaValidate(const SurgeryArgs& a) {
  auto f = bolt::RawFile::Open(a.file, {.lock_timeout = Timeout(a)});
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
