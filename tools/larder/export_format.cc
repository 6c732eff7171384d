#include "export_format.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "format.h"

namespace larder::cli {
namespace {

using nlohmann::json;

std::string PathJson(const std::vector<std::string>& path) {
  std::string out = "[";
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (i > 0) out += ",";
    out += '"';  // appended piecewise: "\"" + s + "\"" trips GCC 12's -Wrestrict at -O3
    out += HexEncode(path[i]);
    out += '"';
  }
  return out + "]";
}

Result<std::string> HexField(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) {
    return Status::InvalidArgument(fmt::format("\"{}\" must be a hex string", name));
  }
  std::optional<std::string> bytes = ParseBytes(it->get_ref<const std::string&>(), "hex");
  if (!bytes) return Status::InvalidArgument(fmt::format("\"{}\" is not valid hex", name));
  return *bytes;
}

}  // namespace

std::string FormatBucketRecord(const std::vector<std::string>& path, std::uint64_t sequence) {
  return fmt::format("{{\"bucket_hex\":{},\"sequence\":{}}}", PathJson(path), sequence);
}

std::string FormatKeyRecord(const std::vector<std::string>& path, std::string_view key,
                            std::string_view value) {
  return fmt::format("{{\"bucket_hex\":{},\"key_hex\":\"{}\",\"value_hex\":\"{}\"}}",
                     PathJson(path), HexEncode(key), HexEncode(value));
}

std::string FormatRecord(const ExportRecord& r) {
  return r.is_bucket ? FormatBucketRecord(r.path, r.sequence)
                     : FormatKeyRecord(r.path, r.key, r.value);
}

Result<ExportRecord> ParseExportRecord(std::string_view line) {
  json j = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument("not a JSON object");
  ExportRecord r;
  auto path = j.find("bucket_hex");
  if (path == j.end() || !path->is_array() || path->empty()) {
    return Status::InvalidArgument("\"bucket_hex\" must be a non-empty array of hex strings");
  }
  for (const json& c : *path) {
    std::optional<std::string> bytes =
        c.is_string() ? ParseBytes(c.get_ref<const std::string&>(), "hex") : std::nullopt;
    if (!bytes) return Status::InvalidArgument("\"bucket_hex\" holds a value that is not hex");
    r.path.push_back(std::move(*bytes));
  }
  if (j.contains("key_hex")) {
    LARDER_ASSIGN_OR_RETURN(r.key, HexField(j, "key_hex"));
    LARDER_ASSIGN_OR_RETURN(r.value, HexField(j, "value_hex"));
    return r;
  }
  auto seq = j.find("sequence");
  if (seq == j.end() || !seq->is_number_unsigned()) {
    return Status::InvalidArgument("a record needs \"key_hex\" or an unsigned \"sequence\"");
  }
  r.is_bucket = true;
  r.sequence = seq->get<std::uint64_t>();
  return r;
}

}  // namespace larder::cli
