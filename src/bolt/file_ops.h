// File-level steps that the engine's open path, the raw page reader, surgery and the hot backup
// share: waiting for the bolt file lock, and copying a byte range between files.
//
// Thread-safety: free functions; each uses only the Files it is given, which the caller must not
// use concurrently for the same purpose (see File in larder/file_system.h).
#ifndef LARDER_BOLT_FILE_OPS_H_
#define LARDER_BOLT_FILE_OPS_H_

#include <chrono>
#include <cstdint>
#include <functional>

#include "larder/clock.h"
#include "larder/file_system.h"
#include "larder/status.h"

namespace larder::bolt {

// How often a waiter tries the lock again (bbolt polls every 50 ms too).
inline constexpr std::chrono::milliseconds kLockRetryInterval{50};

// Takes `mode` on `file`, retrying every kLockRetryInterval while another holder conflicts,
// for at most `timeout` (zero: forever) of `clock`'s time (nullptr: SystemClock()). Busy
// ("timeout: <path> is locked by another process") when the time runs out; any other TryLock
// error at once.
Status WaitForLock(File& file, LockMode mode, std::chrono::nanoseconds timeout,
                   Clock* clock = nullptr);

// Called with (bytes copied up to, end) as a copy proceeds.
using CopyProgress = std::function<void(std::uint64_t, std::uint64_t)>;

// Copies bytes [begin, end) of `src` to the same offsets of `dst`, 1 MiB at a time, calling
// `progress` (may be empty) after each chunk and once at the end. Corruption when `src` ends
// before `end`. No sync.
Status CopyRange(File& src, File& dst, std::uint64_t begin, std::uint64_t end,
                 const CopyProgress& progress);

}  // namespace larder::bolt

#endif  // LARDER_BOLT_FILE_OPS_H_
