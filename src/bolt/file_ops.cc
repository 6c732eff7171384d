#include "bolt/file_ops.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace larder::bolt {

Status WaitForLock(File& file, LockMode mode, std::chrono::nanoseconds timeout, Clock* clock) {
  if (clock == nullptr) clock = SystemClock();
  const std::uint64_t deadline = clock->NowNanos() + static_cast<std::uint64_t>(timeout.count());
  for (;;) {
    Status s = file.TryLock(mode);
    if (s.ok() || s.code() != Code::kBusy) return s;
    if (timeout.count() > 0 && clock->NowNanos() >= deadline) {
      return Status::Busy(fmt::format("timeout: {} is locked by another process", file.path()));
    }
    clock->SleepFor(kLockRetryInterval);
  }
}

Status CopyRange(File& src, File& dst, std::uint64_t begin, std::uint64_t end,
                 const CopyProgress& progress) {
  constexpr std::uint64_t kChunk = 1 << 20;
  std::vector<std::uint8_t> buf(
      end > begin ? static_cast<std::size_t>(std::min(kChunk, end - begin)) : 0);
  for (std::uint64_t off = begin; off < end; off += kChunk) {
    const auto n = static_cast<std::size_t>(std::min(kChunk, end - off));
    LARDER_ASSIGN_OR_RETURN(std::size_t got, src.ReadAt(off, {buf.data(), n}));
    if (got != n) {
      return Status::Corruption(
          fmt::format("{}: ends before byte {} (read {} bytes at {})", src.path(), end, got, off));
    }
    LARDER_RETURN_IF_ERROR(dst.WriteAt(off, {buf.data(), n}));
    if (progress) progress(off + n, end);
  }
  if (progress) progress(end, end);
  return Status::Ok();
}

}  // namespace larder::bolt
