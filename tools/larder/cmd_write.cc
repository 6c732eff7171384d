// Commands that change a database: put, delete, create-bucket, delete-bucket. Each runs one
// read-write transaction; nothing is written when the command fails.
#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "common.h"
#include "format.h"

namespace larder::cli {
namespace {

struct WriteArgs {
  std::string file;
  std::vector<std::string> args;  // bucket path, then the key (and value) if any
  std::string timeout = "5s";
  std::string parse_format = "ascii-encoded";
  bool create = false;
};

CLI::App* AddCommand(CLI::App& app, const char* name, const char* help, const char* args_help,
                     WriteArgs* w) {
  CLI::App* sub = app.add_subcommand(name, help);
  sub->add_option("file", w->file, "Database file")->required();
  sub->add_option("args", w->args, args_help)->required();
  AddTimeoutOption(sub, &w->timeout);
  return sub;
}

void AddParseFormat(CLI::App* sub, WriteArgs* w) {
  sub->add_option("--parse-format", w->parse_format, "Key and value format: ascii-encoded|hex")
      ->check(CLI::IsMember(ParseFormatNames()))
      ->default_val("ascii-encoded");
}

// Runs `fn` in one write transaction on w.file.
Status Update(const WriteArgs& w, bool create_file, const std::function<Status(bolt::Tx&)>& fn) {
  auto db = OpenDB(w.file, w.timeout, /*read_only=*/false, create_file);
  if (!db.ok()) return db.status();
  LARDER_RETURN_IF_ERROR((*db)->Update(fn));
  return (*db)->Close();
}

int ExitCode(const Status& s) { return s.ok() ? kExitOk : Fail(s); }

int RunPut(const WriteArgs& w, const CLI::App& sub) {
  if (w.args.size() < 3) return UsageError(sub, "a bucket, a key and a value are required");
  const std::vector<std::string> path(w.args.begin(), w.args.end() - 2);
  const auto key = ParseBytes(w.args[w.args.size() - 2], w.parse_format);
  const auto value = ParseBytes(w.args.back(), w.parse_format);
  if (!key || !value) return UsageError(sub, fmt::format("key or value is not {}", w.parse_format));
  return ExitCode(Update(w, w.create, [&](bolt::Tx& tx) -> Status {
    LARDER_ASSIGN_OR_RETURN(bolt::Bucket b,
                            w.create ? FindOrCreateBucket(tx, path) : FindBucket(tx, path));
    return b.Put(*key, *value);
  }));
}

int RunDelete(const WriteArgs& w, const CLI::App& sub) {
  if (w.args.size() < 2) return UsageError(sub, "a bucket and a key are required");
  const std::vector<std::string> path(w.args.begin(), w.args.end() - 1);
  const auto key = ParseBytes(w.args.back(), w.parse_format);
  if (!key) return UsageError(sub, fmt::format("key is not {}", w.parse_format));
  bool missing_key = false;
  Status s = Update(w, w.create, [&](bolt::Tx& tx) -> Status {
    LARDER_ASSIGN_OR_RETURN(bolt::Bucket b,
                            w.create ? FindOrCreateBucket(tx, path) : FindBucket(tx, path));
    Result<std::string_view> v = b.Get(*key);
    if (!v.ok() && v.status().IsNotFound()) {
      missing_key = true;
      return Status::NotFound("key not found");  // rolls back
    }
    if (!v.ok() && v.status().code() == Code::kIncompatible) {
      return Status::Incompatible("key is a bucket; use delete-bucket");
    }
    if (!v.ok()) return v.status();
    return b.Delete(*key);
  });
  if (missing_key) return KeyNotFound(*key);
  return ExitCode(s);
}

int RunCreateBucket(const WriteArgs& w) {
  const std::vector<std::string> parent(w.args.begin(), w.args.end() - 1);
  return ExitCode(Update(w, /*create_file=*/true, [&](bolt::Tx& tx) -> Status {
    if (parent.empty()) return tx.CreateBucket(w.args.back()).status();
    LARDER_ASSIGN_OR_RETURN(bolt::Bucket b, FindOrCreateBucket(tx, parent));
    return b.CreateBucket(w.args.back()).status();
  }));
}

int RunDeleteBucket(const WriteArgs& w) {
  const std::vector<std::string> parent(w.args.begin(), w.args.end() - 1);
  return ExitCode(Update(w, /*create_file=*/false, [&](bolt::Tx& tx) -> Status {
    Status s;
    if (parent.empty()) {
      s = tx.DeleteBucket(w.args.back());
    } else {
      LARDER_ASSIGN_OR_RETURN(bolt::Bucket b, FindBucket(tx, parent));
      s = b.DeleteBucket(w.args.back());
    }
    if (s.IsNotFound()) return Status::NotFound("bucket not found");
    return s;
  }));
}

}  // namespace

void RegisterWriteCommands(CLI::App& app, Action& action) {
  {
    auto w = std::make_shared<WriteArgs>();
    CLI::App* sub =
        AddCommand(app, "put", "Set a key to a value", "BUCKET [SUB...] KEY VALUE", w.get());
    sub->add_flag("--create", w->create, "Create the file and missing buckets");
    AddParseFormat(sub, w.get());
    sub->callback([&action, w, sub] { action = [w, sub] { return RunPut(*w, *sub); }; });
  }
  {
    auto w = std::make_shared<WriteArgs>();
    CLI::App* sub = AddCommand(app, "delete", "Delete a key", "BUCKET [SUB...] KEY", w.get());
    sub->add_flag("--create", w->create, "Create missing buckets");
    AddParseFormat(sub, w.get());
    sub->callback([&action, w, sub] { action = [w, sub] { return RunDelete(*w, *sub); }; });
  }
  {
    auto w = std::make_shared<WriteArgs>();
    CLI::App* sub = AddCommand(app, "create-bucket",
                               "Create a bucket (and missing parents; creates the file if needed)",
                               "BUCKET [SUB...]", w.get());
    sub->callback([&action, w] { action = [w] { return RunCreateBucket(*w); }; });
  }
  {
    auto w = std::make_shared<WriteArgs>();
    CLI::App* sub = AddCommand(app, "delete-bucket", "Delete a bucket and everything in it",
                               "BUCKET [SUB...]", w.get());
    sub->callback([&action, w] { action = [w] { return RunDeleteBucket(*w); }; });
  }
}

}  // namespace larder::cli
