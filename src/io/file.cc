// The default implementations of File's and FileSystem's optional calls, and AlignedBuffer.
#include <cstdlib>

#include "base/coding.h"
#include "larder/file_system.h"

namespace larder {

AlignedBuffer::AlignedBuffer(std::size_t alignment, std::size_t capacity)
    : capacity_(static_cast<std::size_t>(RoundUp(capacity, alignment))), alignment_(alignment) {
  if (capacity_ == 0) return;
  void* p = std::aligned_alloc(alignment_, capacity_);
  if (p == nullptr) std::abort();  // as operator new would terminate
  data_.reset(static_cast<std::uint8_t*>(p));
}

Status File::WriteAtV(std::uint64_t offset, std::span<const std::span<const std::uint8_t>> pieces) {
  for (std::span<const std::uint8_t> piece : pieces) {
    if (piece.empty()) continue;
    LARDER_RETURN_IF_ERROR(WriteAt(offset, piece));
    offset += piece.size();
  }
  return Status::Ok();
}

bool MappedRegion::Populate(std::size_t, std::size_t) const { return false; }

Status File::Preallocate(std::uint64_t, std::uint64_t) { return Status::Ok(); }

Status File::Advise(AccessPattern) { return Status::Ok(); }

Status File::WriteBack(std::uint64_t, std::uint64_t) { return Status::Ok(); }

Status FileSystem::RemoveDir(const std::string& dir) {
  return Status::NotSupported("remove directory " + dir + ": not supported by this file system");
}

Status FileSystem::Link(const std::string& existing, const std::string& new_path) {
  return Status::NotSupported("link " + existing + " to " + new_path +
                              ": not supported by this file system");
}

Result<std::uint64_t> FileSystem::FileSize(const std::string& path) {
  LARDER_ASSIGN_OR_RETURN(auto f, Open(path, {.read_only = true}));
  return f->Size();
}

Result<std::unique_ptr<AppendWriter>> FileSystem::NewAppendWriter(
    const std::string& path, const AppendWriterOptions& options) {
  LARDER_ASSIGN_OR_RETURN(auto f, Open(path, {.create = true,
                                              .exclusive = options.exclusive,
                                              .direct_io = options.direct_io,
                                              .access = AccessPattern::kSequential}));
  if (options.truncate) LARDER_RETURN_IF_ERROR(f->Truncate(0));
  LARDER_ASSIGN_OR_RETURN(std::uint64_t size, f->Size());
  return AppendWriter::Create(std::move(f), size, options);
}

Status ReadWholeFile(FileSystem* fs, const std::string& path, std::string* contents) {
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<File> f, fs->Open(path, {.read_only = true}));
  LARDER_ASSIGN_OR_RETURN(std::uint64_t size, f->Size());
  contents->resize(static_cast<std::size_t>(size));
  std::size_t done = 0;
  while (done < contents->size()) {
    LARDER_ASSIGN_OR_RETURN(
        std::size_t n, f->ReadAt(done, {reinterpret_cast<std::uint8_t*>(contents->data()) + done,
                                        contents->size() - done}));
    if (n == 0) break;
    done += n;
  }
  contents->resize(done);
  return Status::Ok();
}

Status WriteWholeFile(FileSystem* fs, const std::string& path, std::string_view contents) {
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<File> f, fs->Open(path, {.create = true}));
  LARDER_RETURN_IF_ERROR(f->Truncate(0));
  return f->WriteAt(0, AsBytes(contents));
}

Status InstallFile(FileSystem* fs, const std::string& from, const std::string& to) {
  const std::string dir = DirName(to);
  LARDER_RETURN_IF_ERROR(fs->SyncDir(dir));
  LARDER_RETURN_IF_ERROR(fs->Rename(from, to));
  return fs->SyncDir(dir);
}

}  // namespace larder
