// VlogPointer: where a large value lives in the value log, and reading it back.
//
// A value of at least Options::value_threshold bytes is written to the value log as its own
// kValue record (log_format.h), before the kBatch record of its batch; the batch, the memtable
// and the tables then hold a VlogPointer to it (entry types kValuePointer / kExpiringPointer,
// dbformat.h) instead of the bytes.
//
// Encoding (docs/formats/lsm.md, "Value log and write batches"): three varints, file_number
// (varint64), offset (varint64: of the record's header in the file), length (varint32: of the
// value, without the record header). At most 25 bytes.
//
// Thread-safety: values and pure functions; ReadValue is as thread-safe as File::ReadAt.
#ifndef LARDER_LSM_VLOG_POINTER_H_
#define LARDER_LSM_VLOG_POINTER_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "larder/file_system.h"
#include "larder/result.h"
#include "larder/status.h"

namespace larder::lsm {

struct VlogPointer {
  std::uint64_t file_number = 0;  // the value-log file (its number in the directory)
  std::uint64_t offset = 0;       // of the kValue record's header
  std::uint32_t length = 0;       // of the value (the record's payload)

  static constexpr std::size_t kMaxEncodedLength = 10 + 10 + 5;

  // Appends the encoding to *dst.
  void EncodeTo(std::string* dst) const;
  // Writes the encoding at `dst` (room for kMaxEncodedLength bytes); returns its length.
  std::size_t EncodeTo(char* dst) const;
  // Decodes a pointer from the front of *in and consumes it. False (and *in untouched) on
  // truncated or malformed varints.
  bool DecodeFrom(std::string_view* in);
  // Decodes `in`, which must hold exactly one pointer (no trailing bytes).
  bool Decode(std::string_view in) { return DecodeFrom(&in) && in.empty(); }

  friend bool operator==(const VlogPointer&, const VlogPointer&) = default;
};

// Reads the kValue record `ptr` points to in `file` and stores its payload in *out. Checks the
// record's type, that its length equals ptr.length and lies within the file, and its CRC;
// anything else is Corruption naming file.path() and ptr.offset. I/O errors pass through.
// One ReadAt; *out is reused (its capacity kept).
[[nodiscard]] Status ReadValue(File& file, const VlogPointer& ptr, std::string* out);

// The checks of ReadValue on bytes already in memory: `record` holds the file `path`'s bytes
// from ptr.offset on, all of the record's or fewer when the file ends sooner. Returns the
// payload, a view into `record`.
[[nodiscard]] Result<std::string_view> CheckValueRecord(std::span<const std::uint8_t> record,
                                                        const VlogPointer& ptr,
                                                        std::string_view path);

// As CheckValueRecord, but copies the payload into *out first and computes the CRC over the
// copy: when `record` is in memory not yet cached (a mapping's pages), the copy streams it in
// faster than the CRC loop reads it, and the CRC then runs over cached bytes (16 KiB values
// read from a mapping: 5-15% more reads per second than checking first, then copying). *out is
// cleared on Corruption.
[[nodiscard]] Status CopyValueRecord(std::span<const std::uint8_t> record, const VlogPointer& ptr,
                                     std::string_view path, std::string* out);

}  // namespace larder::lsm

#endif  // LARDER_LSM_VLOG_POINTER_H_
