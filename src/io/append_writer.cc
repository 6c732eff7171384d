// AppendWriter: buffered appends to one File (see larder/file_system.h).
#include <algorithm>
#include <cstring>

#include "larder/file_system.h"

namespace larder {

AppendWriter::AppendWriter(std::unique_ptr<File> file, std::uint64_t offset,
                           const AppendWriterOptions& options)
    : file_(std::move(file)),
      path_(file_->path()),
      align_(file_->direct_io() ? file_->alignment() : 1),
      writeback_bytes_(options.writeback_bytes),
      writeback_from_(offset),
      preallocate_bytes_(options.preallocate_bytes),
      file_end_(offset) {
  // The buffer starts small and doubles as appends need it, up to buffer_size: a writer of a few
  // small records (a log reopened at every start, one per queue partition) never holds the
  // whole buffer_size.
  const std::size_t alignment = std::max<std::size_t>(align_, 64);
  max_capacity_ = static_cast<std::size_t>(
      AlignedBuffer::RoundUp(std::max(options.buffer_size, align_), alignment));
  buf_ = AlignedBuffer(alignment, std::min(max_capacity_, std::max(kInitialCapacity, align_)));
  // Under direct I/O the buffer starts at the aligned block holding `offset`: the block's head
  // is already in the file and is written again with the first flush.
  buf_start_ = AlignedBuffer::RoundDown(offset, align_);
  buffered_ = static_cast<std::size_t>(offset - buf_start_);
  size_ = offset;
}

Result<std::unique_ptr<AppendWriter>> AppendWriter::Create(std::unique_ptr<File> file,
                                                           std::uint64_t offset,
                                                           const AppendWriterOptions& options) {
  std::unique_ptr<AppendWriter> w(new AppendWriter(std::move(file), offset, options));
  if (w->buffered_ > 0) {
    // Read the partial block back so that rewriting it keeps its bytes.
    LARDER_ASSIGN_OR_RETURN(std::size_t n,
                            w->file_->ReadAt(w->buf_start_, {w->buf_.data(), w->align_}));
    if (n < w->buffered_) {
      return Status::Corruption(w->path_ + ": shorter than the append offset");
    }
  }
  if (w->preallocate_bytes_ > 0) {
    // A file longer than the offset (a tail left by a crash) is as good as extended.
    LARDER_ASSIGN_OR_RETURN(std::uint64_t size, w->file_->Size());
    w->file_end_ = std::max(offset, size);
  }
  return w;
}

AppendWriter::~AppendWriter() {
  if (file_ != nullptr) (void)Close();
}

Status AppendWriter::Fail(Status s) {
  if (error_.ok()) error_ = s;
  return s;
}

Status AppendWriter::Append(std::span<const std::uint8_t> data) {
  if (!error_.ok()) return error_;
  if (file_ == nullptr) return Status::InvalidArgument(path_ + ": append writer closed");
  while (!data.empty()) {
    if (buf_.capacity() - buffered_ < data.size() && buf_.capacity() < max_capacity_) {
      Grow(buffered_ + data.size());
    }
    const std::size_t n = std::min(data.size(), buf_.capacity() - buffered_);
    std::memcpy(buf_.data() + buffered_, data.data(), n);
    buffered_ += n;
    size_ += n;
    data = data.subspan(n);
    // Written only once full at its largest: growing never adds a write.
    if (buffered_ == max_capacity_) LARDER_RETURN_IF_ERROR(WriteBuffer());
  }
  return Status::Ok();
}

void AppendWriter::Grow(std::size_t needed) {
  std::size_t capacity = buf_.capacity();
  while (capacity < needed && capacity < max_capacity_) capacity *= 2;
  AlignedBuffer bigger(buf_.alignment(), std::min(capacity, max_capacity_));
  std::memcpy(bigger.data(), buf_.data(), buffered_);
  buf_ = std::move(bigger);
}

// Writes the buffer. Without direct I/O it then empties; under direct I/O the whole buffer is
// written padded to a block boundary and the partial last block stays, moved to the front.
Status AppendWriter::WriteBuffer() {
  if (buffered_ == 0) return Status::Ok();
  const auto padded = static_cast<std::size_t>(AlignedBuffer::RoundUp(buffered_, align_));
  if (padded > buffered_) std::memset(buf_.data() + buffered_, 0, padded - buffered_);
  ExtendPast(buf_start_ + padded);
  Status s = file_->WriteAt(buf_start_, {buf_.data(), padded});
  if (!s.ok()) return Fail(s);
  file_end_ = std::max(file_end_, buf_start_ + padded);
  if (writeback_bytes_ > 0 && size_ - writeback_from_ >= writeback_bytes_) {
    (void)file_->WriteBack(writeback_from_, size_ - writeback_from_);  // a hint
    writeback_from_ = size_;
  }
  const auto whole = static_cast<std::size_t>(AlignedBuffer::RoundDown(buffered_, align_));
  if (whole < buffered_) std::memmove(buf_.data(), buf_.data() + whole, buffered_ - whole);
  buf_start_ += whole;
  buffered_ -= whole;
  return Status::Ok();
}

void AppendWriter::ExtendPast(std::uint64_t end) {
  if (preallocate_bytes_ == 0 || end <= file_end_) return;
  constexpr std::uint64_t kMinStep = std::uint64_t{64} << 10;
  const std::uint64_t step = std::min(std::max(size_, kMinStep), preallocate_bytes_);
  const std::uint64_t new_end = AlignedBuffer::RoundUp(end + step, 4096);
  if (!file_->Preallocate(file_end_, new_end - file_end_).ok() || !file_->Truncate(new_end).ok()) {
    preallocate_bytes_ = 0;  // no space to reserve, say: appends grow the file from now on
    return;
  }
  file_end_ = new_end;
  extended_ = true;
}

Status AppendWriter::Flush() {
  if (!error_.ok()) return error_;
  if (file_ == nullptr) return Status::InvalidArgument(path_ + ": append writer closed");
  return WriteBuffer();
}

Status AppendWriter::Sync() {
  LARDER_RETURN_IF_ERROR(Flush());
  Status s = file_->Sync();
  if (!s.ok()) return Fail(s);
  return Status::Ok();
}

Status AppendWriter::Close() {
  if (file_ == nullptr) return error_.ok() ? Status::InvalidArgument(path_ + ": closed") : error_;
  Status s = Flush();
  if (s.ok() && (align_ > 1 || extended_)) {
    // Cut off the zeros padding the last direct-I/O block, or the preallocated tail; the
    // latter durably (a finished file must not reappear with a zero tail after a crash).
    Result<std::uint64_t> on_disk = file_->Size();
    if (!on_disk.ok()) {
      s = on_disk.status();
    } else if (*on_disk > size_) {
      s = file_->Truncate(size_);
      if (s.ok() && extended_) s = file_->SyncAll();
    }
    if (!s.ok()) s = Fail(s);
  }
  file_.reset();
  return s;
}

}  // namespace larder
