#include "stores/job_codec.h"

#include "stores/json_fields.h"

namespace larder::stores {

using json_fields::Json;
namespace f = json_fields;

Status CheckSpec(std::string_view spec) {
  Json j = Json::parse(spec.begin(), spec.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("job spec is not valid JSON");
  return Status::Ok();
}

std::string EncodeJob(const Job& job) {
  Json spec = Json::parse(job.spec.begin(), job.spec.end(), nullptr, false);
  if (spec.is_discarded()) spec = Json::object();
  Json j = {{"id", job.id},
            {"name", job.name},
            {"namespace", job.namespace_name},
            {"type", job.type},
            {"labels", job.labels},
            {"spec", std::move(spec)},
            {"state", JobStateName(job.state)},
            {"version", job.version},
            {"create_time", job.create_time_ns},
            {"modify_time", job.modify_time_ns}};
  return f::Dump(j);
}

Result<Job> DecodeJob(std::string_view json) {
  LARDER_ASSIGN_OR_RETURN(Json j, f::ParseObject("job record", json));
  Job job;
  std::string state;
  LARDER_RETURN_IF_ERROR(f::String(j, "id", &job.id));
  LARDER_RETURN_IF_ERROR(f::String(j, "name", &job.name));
  LARDER_RETURN_IF_ERROR(f::String(j, "namespace", &job.namespace_name));
  LARDER_RETURN_IF_ERROR(f::String(j, "type", &job.type));
  LARDER_RETURN_IF_ERROR(f::String(j, "state", &state));
  LARDER_RETURN_IF_ERROR(f::Uint(j, "version", &job.version));
  LARDER_RETURN_IF_ERROR(f::Int(j, "create_time", &job.create_time_ns));
  LARDER_RETURN_IF_ERROR(f::Int(j, "modify_time", &job.modify_time_ns));
  Result<JobState> s = ParseJobState(state);
  if (!s.ok()) return Status::Corruption(s.status().message());
  job.state = *s;
  auto labels = j.find("labels");
  if (labels == j.end() || !labels->is_object()) {
    return Status::Corruption("field \"labels\": missing or not an object");
  }
  for (auto it = labels->begin(); it != labels->end(); ++it) {
    if (!it.value().is_string()) return Status::Corruption("field \"labels\": a non-string value");
    job.labels.emplace(it.key(), it.value().get<std::string>());
  }
  auto spec = j.find("spec");
  if (spec == j.end()) return Status::Corruption("field \"spec\": missing");
  job.spec = f::Dump(*spec);
  return job;
}

std::string EncodeJobHistoryEntry(const JobHistoryEntry& e) {
  Json j = {{"seq", e.seq},
            {"time", e.time_ns},
            {"kind", e.kind == JobHistoryEntry::Kind::kExecution ? "execution" : "job"},
            {"previous_state", e.previous_state},
            {"new_state", e.new_state},
            {"comment", e.comment}};
  if (!e.execution_id.empty()) j["execution_id"] = e.execution_id;
  return f::Dump(j);
}

Result<JobHistoryEntry> DecodeJobHistoryEntry(std::string_view json) {
  LARDER_ASSIGN_OR_RETURN(Json j, f::ParseObject("job history entry", json));
  JobHistoryEntry e;
  std::string kind;
  LARDER_RETURN_IF_ERROR(f::Uint(j, "seq", &e.seq));
  LARDER_RETURN_IF_ERROR(f::Int(j, "time", &e.time_ns));
  LARDER_RETURN_IF_ERROR(f::String(j, "kind", &kind));
  LARDER_RETURN_IF_ERROR(f::String(j, "previous_state", &e.previous_state));
  LARDER_RETURN_IF_ERROR(f::String(j, "new_state", &e.new_state));
  LARDER_RETURN_IF_ERROR(f::String(j, "comment", &e.comment));
  LARDER_RETURN_IF_ERROR(f::OptString(j, "execution_id", &e.execution_id));
  if (kind == "job") {
    e.kind = JobHistoryEntry::Kind::kJob;
  } else if (kind == "execution") {
    e.kind = JobHistoryEntry::Kind::kExecution;
  } else {
    return Status::Corruption("field \"kind\": neither job nor execution");
  }
  return e;
}

std::string EncodeExecutionSummary(const ExecutionSummary& s) {
  Json j = {{"execution_id", s.execution_id},
            {"node_id", s.node_id},
            {"state", ExecutionStateName(s.state)},
            {"desired_state", DesiredStateName(s.desired_state)},
            {"modify_time", s.modify_time_ns}};
  return f::Dump(j);
}

Result<ExecutionSummary> DecodeExecutionSummary(std::string_view json) {
  LARDER_ASSIGN_OR_RETURN(Json j, f::ParseObject("execution summary", json));
  ExecutionSummary s;
  std::string state, desired;
  LARDER_RETURN_IF_ERROR(f::String(j, "execution_id", &s.execution_id));
  LARDER_RETURN_IF_ERROR(f::String(j, "node_id", &s.node_id));
  LARDER_RETURN_IF_ERROR(f::String(j, "state", &state));
  LARDER_RETURN_IF_ERROR(f::String(j, "desired_state", &desired));
  LARDER_RETURN_IF_ERROR(f::Int(j, "modify_time", &s.modify_time_ns));
  Result<ExecutionState> st = ParseExecutionState(state);
  if (!st.ok()) return Status::Corruption(st.status().message());
  s.state = *st;
  Result<DesiredState> d = ParseDesiredState(desired);
  if (!d.ok()) return Status::Corruption(d.status().message());
  s.desired_state = *d;
  return s;
}

}  // namespace larder::stores
