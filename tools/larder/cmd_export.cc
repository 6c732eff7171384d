// export / import: a database as JSON Lines, byte-exact.
//
// One record per line, in depth-first key order; every byte string is lowercase hex:
//   {"bucket_hex":["<name>",...],"sequence":N}                 a bucket (path from the root)
//   {"bucket_hex":["<name>",...],"key_hex":"..","value_hex":".."}  a key in that bucket
// A bucket's record comes before its keys and nested buckets, so import can create each bucket
// before it is used. Empty buckets and sequences survive a round trip.
#include <fmt/format.h>

#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common.h"
#include "export_format.h"
#include "larder/bolt/stats.h"
#include "larder/file_system.h"
#include "progress.h"

namespace larder::cli {
namespace {

constexpr std::size_t kRecordsPerTx = 10000;

struct ExportArgs {
  std::string file;
  std::string path;  // --output / --input; empty means stdout / stdin
  std::string timeout = "5s";
};

// Where export writes its lines: a file through the FileSystem, or stdout.
class LineSink {
 public:
  // `path` empty: stdout.
  static Result<LineSink> Open(const std::string& path) {
    LineSink sink;
    if (path.empty()) return sink;
    LARDER_ASSIGN_OR_RETURN(sink.file_,
                            DefaultFileSystem()->NewAppendWriter(path, {.truncate = true}));
    return sink;
  }
  Status Write(std::string line) {
    line += '\n';
    if (file_ != nullptr) return file_->Append(line);
    if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size()) {
      return Status::FromErrno("write stdout", errno);
    }
    return Status::Ok();
  }
  Status Close() {
    if (file_ != nullptr) return file_->Close();
    return std::fflush(stdout) == 0 ? Status::Ok() : Status::FromErrno("write stdout", errno);
  }

 private:
  std::unique_ptr<AppendWriter> file_;
};

// Where import reads its lines: a file through the FileSystem, or stdin.
class LineSource {
 public:
  // `path` empty: stdin.
  static Result<LineSource> Open(const std::string& path) {
    LineSource source;
    if (path.empty()) return source;
    LARDER_ASSIGN_OR_RETURN(
        source.file_,
        DefaultFileSystem()->Open(path, {.read_only = true, .access = AccessPattern::kSequential}));
    return source;
  }
  // The next line without its newline; false at the end of the input.
  Result<bool> Next(std::string* line) {
    line->clear();
    for (;;) {
      const std::size_t nl = buf_.find('\n', pos_);
      if (nl != std::string::npos || eof_) {
        const std::size_t end = nl != std::string::npos ? nl : buf_.size();
        if (end == pos_ && nl == std::string::npos) return false;
        line->assign(buf_, pos_, end - pos_);
        pos_ = nl != std::string::npos ? nl + 1 : end;
        return true;
      }
      buf_.erase(0, pos_);
      pos_ = 0;
      const std::size_t have = buf_.size();
      buf_.resize(have + kChunk);
      LARDER_ASSIGN_OR_RETURN(std::size_t n, Read({buf_.data() + have, kChunk}));
      buf_.resize(have + n);
      eof_ = n == 0;
    }
  }

 private:
  static constexpr std::size_t kChunk = 1 << 16;
  Result<std::size_t> Read(std::span<char> into) {
    auto* bytes = reinterpret_cast<std::uint8_t*>(into.data());
    if (file_ != nullptr) {
      LARDER_ASSIGN_OR_RETURN(std::size_t n, file_->ReadAt(offset_, {bytes, into.size()}));
      offset_ += n;
      return n;
    }
    const std::size_t n = std::fread(bytes, 1, into.size(), stdin);
    if (n == 0 && std::ferror(stdin)) return Status::IOError("read error on the input");
    return n;
  }

  std::unique_ptr<File> file_;
  std::uint64_t offset_ = 0;
  std::string buf_;
  std::size_t pos_ = 0;
  bool eof_ = false;
};

// Writes bucket `b` (at `path`) and everything in it, calling on_entry() once per entry.
Status ExportBucket(const bolt::Bucket& b, std::vector<std::string>& path, LineSink& out,
                    const std::function<void()>& on_entry) {
  LARDER_RETURN_IF_ERROR(out.Write(FormatBucketRecord(path, b.Sequence())));
  return b.ForEach([&](std::string_view key, std::string_view value, bool is_bucket) -> Status {
    on_entry();
    if (!is_bucket) return out.Write(FormatKeyRecord(path, key, value));
    LARDER_ASSIGN_OR_RETURN(bolt::Bucket child, b.GetBucket(key));
    path.emplace_back(key);
    Status s = ExportBucket(child, path, out, on_entry);
    path.pop_back();
    return s;
  });
}

// Entries (keys and sub-buckets, at every level, plus the top-level buckets) in the snapshot:
// the progress bar's total. bbolt's key_n counts exactly the entries ForEach visits.
Result<std::uint64_t> CountEntries(const bolt::Tx& tx) {
  std::uint64_t n = 0;
  LARDER_RETURN_IF_ERROR(tx.ForEachBucket([&](std::string_view, bolt::Bucket b) -> Status {
    LARDER_ASSIGN_OR_RETURN(bolt::BucketStats s, b.Stats());
    n += 1 + static_cast<std::uint64_t>(s.key_n);
    return Status::Ok();
  }));
  return n;
}

// The size of the import input when it is a regular file (stdin included), else 0.
std::uint64_t InputSize(const std::string& path) {
  if (!path.empty()) return DefaultFileSystem()->FileSize(path).value_or(0);
  struct stat st {};
  return ::fstat(0, &st) == 0 && S_ISREG(st.st_mode) ? static_cast<std::uint64_t>(st.st_size) : 0;
}

int RunExport(const ExportArgs& a) {
  auto db = OpenDB(a.file, a.timeout, /*read_only=*/true);
  if (!db.ok()) return Fail(db.status());
  auto out = LineSink::Open(a.path);
  if (!out.ok()) return Fail(out.status());
  ProgressBar bar("export", 0, ProgressBar::Unit::kCount);
  std::uint64_t entries = 0;
  auto on_entry = [&] { bar.Update(++entries); };
  Status s = (*db)->View([&](bolt::Tx& tx) {
    if (bar.enabled()) {
      LARDER_ASSIGN_OR_RETURN(std::uint64_t total, CountEntries(tx));
      bar.set_total(total);
    }
    return tx.ForEachBucket([&](std::string_view name, bolt::Bucket b) {
      on_entry();
      std::vector<std::string> path{std::string(name)};
      return ExportBucket(b, path, *out, on_entry);
    });
  });
  bar.Finish();
  Status closed = out->Close();
  if (s.ok()) s = closed;
  return s.ok() ? kExitOk : Fail(s);
}

Status ApplyRecord(bolt::Tx& tx, const ExportRecord& r,
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
  auto in = LineSource::Open(a.path);
  if (!in.ok()) return Fail(in.status());
  auto db = OpenDB(a.file, a.timeout, /*read_only=*/false, /*create=*/true);
  if (!db.ok()) return Fail(db.status());
  ProgressBar bar("import", InputSize(a.path), ProgressBar::Unit::kBytes);
  std::uint64_t consumed = 0;
  std::uint64_t line_no = 0, records = 0;
  bool eof = false;
  std::string line;
  while (!eof) {
    Status s = (*db)->Update([&](bolt::Tx& tx) -> Status {
      std::map<std::vector<std::string>, bolt::Bucket> cache;
      std::size_t n = 0;
      while (n < kRecordsPerTx) {
        LARDER_ASSIGN_OR_RETURN(const bool more, in->Next(&line));
        if (!more) {
          eof = true;
          break;
        }
        ++line_no;
        consumed += line.size() + 1;
        bar.Update(consumed);
        if (line.empty()) continue;
        Result<ExportRecord> r = ParseExportRecord(line);
        Status st = r.ok() ? ApplyRecord(tx, *r, cache) : r.status();
        if (!st.ok()) return st.WithContext(fmt::format("line {}", line_no));
        ++n;
      }
      records += n;
      return Status::Ok();
    });
    if (!s.ok()) return Fail(s);
  }
  bar.Finish();
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
