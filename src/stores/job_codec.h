// JSON form of jobs, job history entries and execution summaries (docs/stores.md).
#ifndef LARDER_SRC_STORES_JOB_CODEC_H_
#define LARDER_SRC_STORES_JOB_CODEC_H_

#include <string>
#include <string_view>

#include "larder/result.h"
#include "larder/stores/job.h"

namespace larder::stores {

// REQUIRES: job.spec is valid JSON (CheckSpec); it is embedded as a JSON value.
std::string EncodeJob(const Job& job);
Result<Job> DecodeJob(std::string_view json);
// InvalidArgument when `spec` is not one JSON value.
Status CheckSpec(std::string_view spec);

std::string EncodeJobHistoryEntry(const JobHistoryEntry& entry);
Result<JobHistoryEntry> DecodeJobHistoryEntry(std::string_view json);

std::string EncodeExecutionSummary(const ExecutionSummary& summary);
Result<ExecutionSummary> DecodeExecutionSummary(std::string_view json);

}  // namespace larder::stores

#endif  // LARDER_SRC_STORES_JOB_CODEC_H_
