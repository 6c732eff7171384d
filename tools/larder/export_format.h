// The JSON Lines records of `larder export` / `larder import`: one record per line, every byte
// string lowercase hex, so any key, value or bucket name survives byte for byte.
//   {"bucket_hex":["<name>",...],"sequence":N}                     a bucket, path from the root
//   {"bucket_hex":["<name>",...],"key_hex":"..","value_hex":".."}  a key in that bucket
// Parsing never trusts its input: any line gives a record or an InvalidArgument status.
#ifndef LARDER_TOOLS_LARDER_EXPORT_FORMAT_H_
#define LARDER_TOOLS_LARDER_EXPORT_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "larder/result.h"

namespace larder::cli {

struct ExportRecord {
  std::vector<std::string> path;  // bucket names from the root; never empty
  bool is_bucket = false;         // a bucket record (sequence) rather than a key record
  std::uint64_t sequence = 0;
  std::string key, value;

  bool operator==(const ExportRecord&) const = default;
};

// The record's line, without the trailing newline.
std::string FormatBucketRecord(const std::vector<std::string>& path, std::uint64_t sequence);
std::string FormatKeyRecord(const std::vector<std::string>& path, std::string_view key,
                            std::string_view value);
std::string FormatRecord(const ExportRecord& record);

// Parses one line (without its newline). Unknown fields are ignored.
Result<ExportRecord> ParseExportRecord(std::string_view line);

}  // namespace larder::cli

#endif  // LARDER_TOOLS_LARDER_EXPORT_FORMAT_H_
