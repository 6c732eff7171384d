// export / import: a database as JSON Lines, byte-exact.
//
// One record per line, in depth-first key order; every byte string is lowercase hex:
//   {"bucket_hex":["<name>",...],"sequence":N}                 a bucket (path from the root)
//   {"bucket_hex":["<name>",...],"key_hex":"..","value_hex":".."}  a key in that bucket
// A bucket's record comes before its keys and nested buckets, so import can create each bucket
// before it is used. Empty buckets and sequences survive a round trip.
#include <fmt/format.h>

#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common.h"
#include "format.h"

namespace larder::cli {
namespace {

using nlohmann::json;

constexpr std::size_t kRecordsPerTx = 10000;

struct ExportArgs {
  std::string file;
  std::string path;  // --output / --input; empty means stdout / stdin
  std::string timeout = "5s";
};

std::string PathJson(const std::vector<std::string>& path) {
  std::string out = "[";
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (i > 0) out += ",";
    out += "\"" + HexEncode(path[i]) + "\"";
  }
  return out + "]";
}

Status ExportBucket(const bolt::Bucket& b, std::vector<std::string>& path, std::FILE* out) {
  const std::string where = PathJson(path);
  fmt::print(out, "{{\"bucket_hex\":{},\"sequence\":{}}}\n", where, b.Sequence());
  return b.ForEach([&](std::string_view key, std::string_view value, bool is_bucket) -> Status {
    if (!is_bucket) {
      fmt::print(out, "{{\"bucket_hex\":{},\"key_hex\":\"{}\",\"value_hex\":\"{}\"}}\n", where,
                 HexEncode(key), HexEncode(value));
      return Status::Ok();
    }
    LARDER_ASSIGN_OR_RETURN(bolt::Bucket child, b.GetBucket(key));
    path.emplace_back(key);
    Status s = ExportBucket(child, path, out);
    path.pop_back();
    return s;
  });
}

int RunExport(const ExportArgs& a) {
  auto db = OpenDB(a.file, a.timeout, /*read_only=*/true);
  if (!db.ok()) return Fail(db.status());
  std::FILE* out = stdout;
  if (!a.path.empty()) {
    out = std::fopen(a.path.c_str(), "wb");
    if (out == nullptr) return Fail(Status::FromErrno("open " + a.path, errno));
  }
  Status s = (*db)->View([&](bolt::Tx& tx) {
    return tx.ForEachBucket([&](std::string_view name, bolt::Bucket b) {
      std::vector<std::string> path{std::string(name)};
      return ExportBucket(b, path, out);
    });
  });
  if (out != stdout) {
    if (std::fclose(out) != 0 && s.ok()) s = Status::FromErrno("close " + a.path, errno);
  } else if (std::fflush(stdout) != 0 && s.ok()) {
    s = Status::FromErrno("write stdout", errno);
  }
  return s.ok() ? kExitOk : Fail(s);
}

// One parsed record.
struct Record {
  std::vector<std::string> path;
  bool is_bucket = false;
  std::uint64_t sequence = 0;
  std::string key, value;
};

Result<std::string> HexField(const json& j, const char* name) {
  if (!j.contains(name) || !j[name].is_string()) {
    return Status::InvalidArgument(fmt::format("{:?} must be a hex string", name));
  }
  auto bytes = ParseBytes(j[name].get<std::string>(), "hex");
  if (!bytes) return Status::InvalidArgument(fmt::format("{:?} is not valid hex", name));
  return *bytes;
}

Result<Record> ParseRecord(const std::string& line) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument("not a JSON object");
  Record r;
  if (!j.contains("bucket_hex") || !j["bucket_hex"].is_array() || j["bucket_hex"].empty()) {
    return Status::InvalidArgument("\"bucket_hex\" must be a non-empty array of hex strings");
  }
  for (const json& c : j["bucket_hex"]) {
    auto bytes = c.is_string() ? ParseBytes(c.get<std::string>(), "hex") : std::nullopt;
    if (!bytes) return Status::InvalidArgument("\"bucket_hex\" holds a value that is not hex");
    r.path.push_back(*bytes);
  }
  if (j.contains("key_hex")) {
    LARDER_ASSIGN_OR_RETURN(r.key, HexField(j, "key_hex"));
    LARDER_ASSIGN_OR_RETURN(r.value, HexField(j, "value_hex"));
    return r;
  }
  if (!j.contains("sequence") || !j["sequence"].is_number_unsigned()) {
    return Status::InvalidArgument("a record needs \"key_hex\" or an unsigned \"sequence\"");
  }
  r.is_bucket = true;
  r.sequence = j["sequence"].get<std::uint64_t>();
  return r;
}

Status ApplyRecord(bolt::Tx& tx, const Record& r,
                   std::map<std::vector<std::string>, bolt::Bucket>& cache) {
  if (r.is_bucket) {
    auto create = [&]() -> Result<bolt::Bucket> {
      if (r.path.size() == 1) return tx.CreateBucketIfNotExists(r.path[0]);
      const std::vector<std::string> parent(r.path.begin(), r.path.end() - 1);
      auto it = cache.find(parent);
      if (it != cache.end()) return it->second.CreateBucketIfNotExists(r.path.back());
      LARDER_ASSIGN_OR_RETURN(bolt::Bucket p, FindBucket(tx, parent));
      return p.CreateBucketIfNotExists(r.path.back());
    };
    Result<bolt::Bucket> b = create();
    if (!b.ok()) return b.status();
    LARDER_RETURN_IF_ERROR(b->SetSequence(r.sequence));
    cache.insert_or_assign(r.path, *b);
    return Status::Ok();
  }
  auto it = cache.find(r.path);
  if (it == cache.end()) {
    LARDER_ASSIGN_OR_RETURN(bolt::Bucket b, FindBucket(tx, r.path));
    it = cache.emplace(r.path, b).first;
  }
  return it->second.Put(r.key, r.value);
}

int RunImport(const ExportArgs& a) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (!a.path.empty()) {
    file.open(a.path, std::ios::binary);
    if (!file) return Fail(fmt::format("cannot open {}", a.path));
    in = &file;
  }
  auto db = OpenDB(a.file, a.timeout, /*read_only=*/false, /*create=*/true);
  if (!db.ok()) return Fail(db.status());
  std::uint64_t line_no = 0, records = 0;
  bool eof = false;
  std::string line;
  while (!eof) {
    Status s = (*db)->Update([&](bolt::Tx& tx) -> Status {
      std::map<std::vector<std::string>, bolt::Bucket> cache;
      std::size_t n = 0;
      while (n < kRecordsPerTx) {
        if (!std::getline(*in, line)) {
          eof = true;
          break;
        }
        ++line_no;
        if (line.empty()) continue;
        Result<Record> r = ParseRecord(line);
        Status st = r.ok() ? ApplyRecord(tx, *r, cache) : r.status();
        if (!st.ok()) return st.WithContext(fmt::format("line {}", line_no));
        ++n;
      }
      records += n;
      return Status::Ok();
    });
    if (!s.ok()) return Fail(s);
  }
  if (in->bad()) return Fail("read error on the input");
  Status s = (*db)->Close();
  if (!s.ok()) return Fail(s);
  fmt::print(stderr, "imported {} records\n", records);
  return kExitOk;
}

}  // namespace

void RegisterExportCommands(CLI::App& app, Action& action) {
  {
    auto a = std::make_shared<ExportArgs>();
    CLI::App* sub = app.add_subcommand("export", "Write every bucket and key as JSON Lines");
    sub->add_option("file", a->file, "Database file")->required();
    sub->add_option("-o,--output", a->path, "Output file (default: stdout)");
    AddTimeoutOption(sub, &a->timeout);
    sub->callback([&action, a] { action = [a] { return RunExport(*a); }; });
  }
  {
    auto a = std::make_shared<ExportArgs>();
    CLI::App* sub =
        app.add_subcommand("import", "Load JSON Lines written by export (creates the file)");
    sub->add_option("file", a->file, "Database file")->required();
    sub->add_option("-i,--input", a->path, "Input file (default: stdin)");
    AddTimeoutOption(sub, &a->timeout);
    sub->callback([&action, a] { action = [a] { return RunImport(*a); }; });
  }
}

}  // namespace larder::cli
