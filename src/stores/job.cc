#include "larder/stores/job.h"

#include <array>

#include <fmt/format.h>

namespace larder::stores {
namespace {

constexpr std::array<std::string_view, kJobStateCount> kJobStateNames = {
    "pending", "queued", "running", "completed", "failed", "stopped"};

}  // namespace

std::string_view JobStateName(JobState state) {
  auto i = static_cast<std::size_t>(state);
  return i < kJobStateNames.size() ? kJobStateNames[i] : "unknown";
}

Result<JobState> ParseJobState(std::string_view name) {
  for (std::size_t i = 0; i < kJobStateNames.size(); ++i) {
    if (kJobStateNames[i] == name) return static_cast<JobState>(i);
  }
  return Status::InvalidArgument(fmt::format("\"{}\" is not a job state", name));
}

bool IsTerminal(JobState state) {
  return state == JobState::kCompleted || state == JobState::kFailed || state == JobState::kStopped;
}

}  // namespace larder::stores
