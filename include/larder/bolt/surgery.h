// Repairs of a damaged bolt file (bbolt's `surgery` commands). Each writes a repaired COPY of
// `src` to `dst`; `src` is only read, under a shared lock while it is copied.
//
// The copy is made as `dst` + ".larder-surgery", synced, repaired, synced again and only then
// renamed into place: after any error `dst` does not exist (the temporary file is removed), and
// after success it is complete. AlreadyExists when `dst` exists; it is never overwritten.
// All I/O goes through `options.fs`.
#ifndef LARDER_BOLT_SURGERY_H_
#define LARDER_BOLT_SURGERY_H_

#include <array>
#include <chrono>
#include <string>

#include "larder/file_system.h"
#include "larder/result.h"
#include "larder/status.h"

namespace larder::bolt {

struct SurgeryOptions {
  // How long to wait for each file lock; zero waits forever. Expiry gives Busy.
  std::chrono::nanoseconds lock_timeout{0};
  FileSystem* fs = nullptr;  // nullptr: the operating system's. Not owned.
};

// Replaces the active (newer) meta page by the older one: the copy opens at the previous
// commit. Corruption when either meta page is not usable.
Status RevertMetaPage(const std::string& src, const std::string& dst,
                      const SurgeryOptions& options = {});

// Marks "no freelist" in both meta pages (RawFile::AbandonFreelist): some free pages may leak
// until RebuildFreelist. Returns each meta page's check; a failed one was left unchanged.
Result<std::array<Status, 2>> AbandonFreelist(const std::string& src, const std::string& dst,
                                              const SurgeryOptions& options = {});

// Rebuilds an abandoned freelist from the trees (a read-write open of a file whose meta says
// "no freelist" does it) and commits it. InvalidArgument when `src` already has a freelist.
Status RebuildFreelist(const std::string& src, const std::string& dst,
                       const SurgeryOptions& options = {});

}  // namespace larder::bolt

#endif  // LARDER_BOLT_SURGERY_H_
