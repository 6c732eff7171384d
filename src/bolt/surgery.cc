#include "larder/bolt/surgery.h"

#include <fmt/format.h>

#include <functional>

#include "bolt/file_ops.h"
#include "larder/bolt/db.h"
#include "larder/bolt/raw_file.h"

namespace larder::bolt {
namespace {

// Copies `src` to a temporary file beside `dst`, runs `fix` on the temporary (by path), and
// renames it to `dst`; removes it on any error.
Status RepairCopy(const std::string& src, const std::string& dst, const SurgeryOptions& options,
                  const std::function<Status(const std::string& copy)>& fix) {
  FileSystem* fs = options.fs != nullptr ? options.fs : DefaultFileSystem();
  if (dst.empty()) return Status::InvalidArgument("output file required");
  LARDER_ASSIGN_OR_RETURN(bool dst_exists, fs->Exists(dst));
  if (dst_exists) return Status::AlreadyExists(fmt::format("output file {:?} already exists", dst));
  const std::string tmp = dst + ".larder-surgery";
  auto run = [&]() -> Status {
    {
      // The shared lock keeps writers out while the bytes are copied.
      LARDER_ASSIGN_OR_RETURN(auto locked,
                              RawFile::Open(src, {.lock_timeout = options.lock_timeout, .fs = fs}));
      LARDER_ASSIGN_OR_RETURN(
          auto in, fs->Open(src, {.read_only = true, .access = AccessPattern::kSequential}));
      LARDER_ASSIGN_OR_RETURN(auto out, fs->Open(tmp, {.create = true}));
      LARDER_RETURN_IF_ERROR(out->Truncate(0));
      LARDER_RETURN_IF_ERROR(CopyRange(*in, *out, 0, locked->file_size(), nullptr));
      LARDER_RETURN_IF_ERROR(out->SyncAll());
    }
    LARDER_RETURN_IF_ERROR(fix(tmp));
    return InstallFile(fs, tmp, dst);
  };
  Status s = run();
  // An error leaves no output: neither the copy nor one renamed to `dst` (which did not exist
  // before) whose rename may not be durable.
  if (!s.ok()) {
    (void)fs->Remove(tmp);
    (void)fs->Remove(dst);
  }
  return s;
}

RawFileOptions WritableOptions(const SurgeryOptions& options) {
  return {.writable = true, .lock_timeout = options.lock_timeout, .fs = options.fs};
}

}  // namespace

Status RevertMetaPage(const std::string& src, const std::string& dst,
                      const SurgeryOptions& options) {
  return RepairCopy(src, dst, options, [&](const std::string& copy) -> Status {
    LARDER_ASSIGN_OR_RETURN(auto f, RawFile::Open(copy, WritableOptions(options)));
    LARDER_RETURN_IF_ERROR(f->RevertMetaPage());
    return f->Sync();
  });
}

Result<std::array<Status, 2>> AbandonFreelist(const std::string& src, const std::string& dst,
                                              const SurgeryOptions& options) {
  std::array<Status, 2> checks;
  LARDER_RETURN_IF_ERROR(RepairCopy(src, dst, options, [&](const std::string& copy) -> Status {
    LARDER_ASSIGN_OR_RETURN(auto f, RawFile::Open(copy, WritableOptions(options)));
    LARDER_ASSIGN_OR_RETURN(checks, f->AbandonFreelist());
    return f->Sync();
  }));
  return checks;
}

Status RebuildFreelist(const std::string& src, const std::string& dst,
                       const SurgeryOptions& options) {
  {
    LARDER_ASSIGN_OR_RETURN(
        auto f, RawFile::Open(src, {.lock_timeout = options.lock_timeout, .fs = options.fs}));
    const int active = f->active_meta();
    if (active < 0) return Status::Corruption("neither meta page is valid");
    if (f->meta(active).has_freelist()) {
      return Status::InvalidArgument(
          "the file already has a freelist; abandon it first (surgery freelist abandon) to rebuild "
          "it");
    }
  }
  return RepairCopy(src, dst, options, [&](const std::string& copy) -> Status {
    // Opening read-write a file whose meta says "no freelist" rebuilds it and commits it.
    Options o;
    o.file_system = options.fs;
    o.lock_timeout = std::chrono::ceil<std::chrono::milliseconds>(options.lock_timeout);
    LARDER_ASSIGN_OR_RETURN(auto db, DB::Open(copy, o));
    return db->Close();
  });
}

}  // namespace larder::bolt
