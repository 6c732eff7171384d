// Hot backup: a consistent copy of one snapshot, written while writers go on (bbolt's
// Tx.WriteTo). The snapshot's pages cannot be reused while the transaction is open.
#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "bolt/tx_impl.h"
#include "larder/bolt/tx.h"
#include "larder/file_system.h"

namespace larder::bolt {

Status Tx::WriteTo(const std::function<Status(std::span<const std::uint8_t>)>& sink) const {
  const internal::TxImpl& tx = *impl_;
  if (!tx.open) return Status::TxClosed();
  const std::size_t p = tx.page_size;
  const std::uint64_t size = tx.meta.pgid * std::uint64_t{p};
  if (size > tx.map->size()) return Status::Corruption("snapshot larger than the mapped file");

  // Two meta pages: this snapshot's meta, and the same with txid - 1.
  LARDER_RETURN_IF_ERROR(sink(EncodeCopyMetaPages(tx.meta)));

  constexpr std::uint64_t kChunk = 1 << 20;
  for (std::uint64_t off = 2 * std::uint64_t{p}; off < size; off += kChunk) {
    std::uint64_t n = std::min(kChunk, size - off);
    LARDER_RETURN_IF_ERROR(sink({tx.map->data() + off, static_cast<std::size_t>(n)}));
  }
  return Status::Ok();
}

Status Tx::CopyFile(const std::string& path, FileSystem* fs) const {
  if (fs == nullptr) fs = DefaultFileSystem();
  LARDER_ASSIGN_OR_RETURN(auto file, fs->Open(path, {.create = true}));
  LARDER_RETURN_IF_ERROR(file->Truncate(0));
  std::uint64_t offset = 0;
  LARDER_RETURN_IF_ERROR(WriteTo([&](std::span<const std::uint8_t> chunk) -> Status {
    LARDER_RETURN_IF_ERROR(file->WriteAt(offset, chunk));
    offset += chunk.size();
    return Status::Ok();
  }));
  LARDER_RETURN_IF_ERROR(file->SyncAll());
  return fs->SyncDir(DirName(path));
}

}  // namespace larder::bolt
