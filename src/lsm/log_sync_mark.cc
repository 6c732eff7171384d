#include "lsm/log_sync_mark.h"

#include <algorithm>
#include <vector>

#include "base/coding.h"
#include "lsm/log_format.h"

namespace larder::lsm {

Result<std::optional<SyncMarkHit>> FindSyncMarkCovering(File* file, std::uint64_t damaged,
                                                        std::uint64_t file_size) {
  constexpr std::size_t kRecord = kLogHeaderSize + kSyncMarkPayloadSize;
  constexpr std::size_t kChunk = std::size_t{256} << 10;
  // Candidates start after the damage's first byte; chunks overlap by a record so that a mark
  // across a chunk boundary is seen whole in the next chunk.
  std::uint64_t start = damaged + 1;
  if (start + kRecord > file_size) return std::optional<SyncMarkHit>();
  std::vector<std::uint8_t> buf(
      static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, file_size - start)));
  while (start + kRecord <= file_size) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), file_size - start));
    LARDER_ASSIGN_OR_RETURN(std::size_t got, file->ReadAt(start, {buf.data(), n}));
    if (got < kRecord) break;
    for (std::size_t i = 0; i + kRecord <= got; ++i) {
      const std::uint8_t* h = buf.data() + i;
      if (h[8] != static_cast<std::uint8_t>(LogRecordType::kSyncMark) ||
          LoadU32(h + 4) != kSyncMarkPayloadSize) {
        continue;
      }
      const std::string_view payload(reinterpret_cast<const char*>(h) + kLogHeaderSize,
                                     kSyncMarkPayloadSize);
      if (LoadU32(h) != LogRecordCrc(h, payload)) continue;
      const std::uint64_t offset = start + i;
      const std::uint64_t synced = LoadU64(h + kLogHeaderSize);
      if (synced > damaged && synced <= offset) {
        return std::optional<SyncMarkHit>(SyncMarkHit{offset, synced});
      }
    }
    if (got < n || start + got >= file_size) break;
    start += got - (kRecord - 1);
  }
  return std::optional<SyncMarkHit>();
}

}  // namespace larder::lsm
