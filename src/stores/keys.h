// Key layouts of the stores' buckets (docs/stores.md). Ids never contain '/', so "<id>/" is a
// prefix that matches exactly one record's entries.
#ifndef LARDER_SRC_STORES_KEYS_H_
#define LARDER_SRC_STORES_KEYS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace larder::stores::keys {

// Execution store buckets: the names users see with `larder buckets`.
inline constexpr std::string_view kExecutionBucket = "execution";
inline constexpr std::string_view kExecutionHistoryBucket = "execution-history";
inline constexpr std::string_view kExecutionIndexBucket = "execution-index";

// Job store buckets.
inline constexpr std::string_view kJobBucket = "jobs";
inline constexpr std::string_view kJobHistoryBucket = "job-history";
inline constexpr std::string_view kJobExecutionsBucket = "job-executions";
inline constexpr std::string_view kJobIndexBucket = "job-index";

// A sequence number as 20 decimal digits, so that byte order is numeric order.
inline std::string Seq(std::uint64_t seq) { return fmt::format("{:020}", seq); }

// "<owner>/<seq>": one history entry.
inline std::string HistoryKey(std::string_view owner, std::uint64_t seq) {
  return fmt::format("{}/{}", owner, Seq(seq));
}
// "<owner>/": the prefix of all of one owner's entries.
inline std::string OwnerPrefix(std::string_view owner) { return fmt::format("{}/", owner); }

inline std::string ByJobKey(std::string_view job_id, std::string_view execution_id) {
  return fmt::format("job/{}/{}", job_id, execution_id);
}
inline std::string ByJobPrefix(std::string_view job_id) { return fmt::format("job/{}/", job_id); }
inline std::string ByStateKey(std::string_view state, std::string_view execution_id) {
  return fmt::format("state/{}/{}", state, execution_id);
}
inline std::string ByStatePrefix(std::string_view state) { return fmt::format("state/{}/", state); }

// The part after the last '/' ("" when there is none).
inline std::string_view LastPart(std::string_view key) {
  std::size_t slash = key.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : key.substr(slash + 1);
}
// The part before the last '/' (the whole key when there is none).
inline std::string_view BeforeLast(std::string_view key) {
  std::size_t slash = key.rfind('/');
  return slash == std::string_view::npos ? key : key.substr(0, slash);
}

}  // namespace larder::stores::keys

#endif  // LARDER_SRC_STORES_KEYS_H_
