// FindSyncMarkCovering: after recovery stopped at damage in a value log, whether the bytes after
// the damage prove that the damaged record had been synced.
//
// A crash or power loss can only lose or tear what was appended after the last fdatasync, so
// point-in-time recovery (log_reader.h) may stop at the first record that is not intact and
// drop the rest. That is wrong when the damaged record was synced: bit rot, a bad sector or a
// stray write then silently takes acknowledged writes with it. The writer's kSyncMark records
// (log_format.h) say how far the file was durable when each was appended; an intact mark after
// the damage that names an offset past the damage's start proves the damage hit synced bytes.
//
// The scan looks for a mark at every byte offset after the damage (there are no block
// boundaries to resynchronise on); a candidate must have the mark's type and length, a
// checksum that matches and a named offset no later than its own, so random bytes pass with a
// chance of about 2^-32 per candidate. Reads are in 256 KiB chunks; memory is one chunk (less
// when less of the file is left).
//
// Thread-safety: a pure function of the file's bytes. The File is not owned.
#ifndef LARDER_LSM_LOG_SYNC_MARK_H_
#define LARDER_LSM_LOG_SYNC_MARK_H_

#include <cstdint>
#include <optional>

#include "larder/file_system.h"
#include "larder/result.h"

namespace larder::lsm {

struct SyncMarkHit {
  std::uint64_t offset = 0;  // of the mark's header
  std::uint64_t synced = 0;  // the offset it names: bytes [0, synced) were durable
};

// The first intact kSyncMark record in (damaged, file_size) that names an offset greater than
// `damaged` (the start of the first record that is not intact), or nullopt. An I/O error is
// returned as such.
Result<std::optional<SyncMarkHit>> FindSyncMarkCovering(File* file, std::uint64_t damaged,
                                                        std::uint64_t file_size);

}  // namespace larder::lsm

#endif  // LARDER_LSM_LOG_SYNC_MARK_H_
