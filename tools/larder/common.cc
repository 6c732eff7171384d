#include "common.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "format.h"
#include "larder/file_system.h"

namespace larder::cli {

int Fail(std::string_view message) {
  fmt::print(stderr, "Error: {}\n", message);
  return kExitError;
}

int Fail(const Status& status) {
  return Fail(status.message().empty() ? status.ToString() : std::string(status.message()));
}

int UsageError(const CLI::App& sub, std::string_view message) {
  fmt::print(stderr, "Error: {}\nRun '{} --help' for usage.\n", message,
             sub.get_parent() != nullptr ? "larder " + sub.get_name() : sub.get_name());
  return kExitUsage;
}

void AddTimeoutOption(CLI::App* sub, std::string* timeout) {
  sub->add_option("--timeout", *timeout, "How long to wait for the file lock (0 waits forever)")
      ->default_val("5s")
      ->check([](const std::string& text) -> std::string {
        return ParseGoDuration(text) ? std::string() : "not a duration (e.g. 5s, 500ms)";
      });
}

Result<std::unique_ptr<bolt::DB>> OpenDB(const std::string& path, const std::string& timeout,
                                         bool read_only, bool create) {
  const auto wait = ParseGoDuration(timeout);
  if (!wait) return Status::InvalidArgument(fmt::format("invalid timeout {:?}", timeout));
  if (!read_only && !create) {
    LARDER_ASSIGN_OR_RETURN(bool exists, DefaultFileSystem()->Exists(path));
    if (!exists) return Status::NotFound(path + ": no such file");
  }
  bolt::Options options;
  options.read_only = read_only;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(*wait);
  options.lock_timeout = ms;
  return bolt::DB::Open(path, options);
}

Result<bolt::Bucket> FindBucket(const bolt::Tx& tx, const std::vector<std::string>& path) {
  Result<bolt::Bucket> b = tx.GetBucketPath(path);
  if (!b.ok() && (b.status().IsNotFound() || b.status().code() == Code::kIncompatible)) {
    return Status::NotFound("bucket not found");
  }
  return b;
}

Result<bolt::Bucket> FindOrCreateBucket(bolt::Tx& tx, const std::vector<std::string>& path) {
  if (path.empty()) return Status::InvalidArgument("bucket required");
  LARDER_ASSIGN_OR_RETURN(bolt::Bucket b, tx.CreateBucketIfNotExists(path[0]));
  for (std::size_t i = 1; i < path.size(); ++i) {
    LARDER_ASSIGN_OR_RETURN(b, b.CreateBucketIfNotExists(path[i]));
  }
  return b;
}

int KeyNotFound(std::string_view key) {
  fmt::print(stderr, "Error key not found for key: {} hex: \"{}\"\n", GoQuote(key), HexEncode(key));
  return kExitError;
}

void WriteOut(std::string_view bytes) { std::fwrite(bytes.data(), 1, bytes.size(), stdout); }

void PrintJson(const nlohmann::json& j) {
  WriteOut(j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  WriteOut("\n");
}

}  // namespace larder::cli
