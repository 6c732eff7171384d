// File's default vectored write: one WriteAt per piece.
#include "larder/file_system.h"

namespace larder {

Status File::WriteAtV(std::uint64_t offset, std::span<const std::span<const std::uint8_t>> pieces) {
  for (std::span<const std::uint8_t> piece : pieces) {
    if (piece.empty()) continue;
    LARDER_RETURN_IF_ERROR(WriteAt(offset, piece));
    offset += piece.size();
  }
  return Status::Ok();
}

}  // namespace larder
