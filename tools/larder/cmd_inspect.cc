// Read-only commands: info, check, buckets, keys, get, stats. They open the file read-only, so
// a missing file is never created and nothing is ever written.
#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common.h"
#include "format.h"
#include "larder/bolt/stats.h"
#include "progress.h"

namespace larder::cli {
namespace {

using nlohmann::json;

// Flags shared by the inspection commands.
struct Common {
  std::string file;
  std::string timeout = "5s";
  bool json = false;
  std::string format = "auto";
  std::string parse_format = "ascii-encoded";
};

CLI::App* AddCommand(CLI::App& app, const char* name, const char* help, Common* c) {
  CLI::App* sub = app.add_subcommand(name, help);
  sub->add_option("file", c->file, "Database file")->required();
  AddTimeoutOption(sub, &c->timeout);
  return sub;
}

void AddFormatOption(CLI::App* sub, Common* c, const char* default_format) {
  c->format = default_format;
  sub->add_option("--format,-f", c->format, "Output format: auto|ascii-encoded|hex|bytes|redacted")
      ->check(CLI::IsMember(ByteFormatNames()))
      ->default_val(default_format);
}

Result<std::unique_ptr<bolt::DB>> OpenRead(const Common& c) {
  return OpenDB(c.file, c.timeout, /*read_only=*/true);
}

int RunInfo(const Common& c) {
  auto db = OpenRead(c);
  if (!db.ok()) return Fail(db.status());
  if (c.json) {
    PrintJson({{"page_size", (*db)->page_size()}});
  } else {
    fmt::print("Page Size: {}\n", (*db)->page_size());
  }
  return kExitOk;
}

int RunCheck(const Common& c) {
  auto db = OpenRead(c);
  if (!db.ok()) return Fail(db.status());
  std::vector<std::string> problems;
  ProgressBar bar("check", 0, ProgressBar::Unit::kCount);
  Status s = (*db)->View([&](bolt::Tx& tx) {
    problems = tx.Check([&](std::uint64_t done, std::uint64_t total) {
      bar.set_total(total);
      bar.Update(done);
    });
    return Status::Ok();
  });
  bar.Finish();
  if (!s.ok()) return Fail(s);
  if (c.json) {
    PrintJson({{"ok", problems.empty()}, {"errors", problems}});
  } else if (problems.empty()) {
    fmt::print("OK\n");
  } else {
    for (const std::string& p : problems) fmt::print("{}\n", p);
    fmt::print("{} errors found\n", problems.size());
  }
  return problems.empty() ? kExitOk : kExitError;
}

int RunBuckets(const Common& c) {
  auto db = OpenRead(c);
  if (!db.ok()) return Fail(db.status());
  const ByteFormat format = *ByteFormatFromName(c.format);
  json names = json::array();
  Status s = (*db)->View([&](bolt::Tx& tx) {
    return tx.ForEachBucket([&](std::string_view name, bolt::Bucket) {
      if (c.json) {
        names.push_back(FormatBytes(name, format));
      } else {
        WriteOut(FormatBytes(name, format));
        WriteOut("\n");
      }
      return Status::Ok();
    });
  });
  if (!s.ok()) return Fail(s);
  if (c.json) PrintJson({{"buckets", names}});
  return kExitOk;
}

int RunKeys(const Common& c, const std::vector<std::string>& path) {
  auto db = OpenRead(c);
  if (!db.ok()) return Fail(db.status());
  const ByteFormat format = *ByteFormatFromName(c.format);
  Status s = (*db)->View([&](bolt::Tx& tx) {
    LARDER_ASSIGN_OR_RETURN(bolt::Bucket b, FindBucket(tx, path));
    return b.ForEach([&](std::string_view key, std::string_view, bool) {
      WriteOut(FormatBytes(key, format));
      WriteOut("\n");
      return Status::Ok();
    });
  });
  return s.ok() ? kExitOk : Fail(s);
}

int RunGet(const Common& c, const CLI::App& sub, std::vector<std::string> args) {
  if (args.size() < 2) return UsageError(sub, "a bucket and a key are required");
  const auto key = ParseBytes(args.back(), c.parse_format);
  if (!key)
    return UsageError(sub, fmt::format("key {:?} is not valid {}", args.back(), c.parse_format));
  args.pop_back();
  auto db = OpenRead(c);
  if (!db.ok()) return Fail(db.status());
  const ByteFormat format = *ByteFormatFromName(c.format);
  bool missing_key = false;
  Status s = (*db)->View([&](bolt::Tx& tx) -> Status {
    LARDER_ASSIGN_OR_RETURN(bolt::Bucket b, FindBucket(tx, args));
    Result<std::string_view> v = b.Get(*key);
    if (!v.ok()) {
      if (!v.status().IsNotFound() && v.status().code() != Code::kIncompatible) return v.status();
      missing_key = true;
      return Status::Ok();
    }
    WriteOut(FormatBytes(*v, format));
    WriteOut("\n");
    return Status::Ok();
  });
  if (!s.ok()) return Fail(s);
  if (missing_key) {
    return KeyNotFound(*key);
  }
  return kExitOk;
}

// int(float32(a)*100/float32(b)), 0 when b is 0: bbolt's percentages.
int Percent(std::int64_t a, std::int64_t b) {
  if (b == 0) return 0;
  const float pct = static_cast<float>(a) * 100.0f / static_cast<float>(b);
  return static_cast<int>(pct);
}

void PrintStats(const bolt::BucketStats& s, int count) {
  std::string out = fmt::format("Aggregate statistics for {} buckets\n\n", count);
  out += "Page count statistics\n";
  out += fmt::format("\tNumber of logical branch pages: {}\n", s.branch_page_n);
  out += fmt::format("\tNumber of physical branch overflow pages: {}\n", s.branch_overflow_n);
  out += fmt::format("\tNumber of logical leaf pages: {}\n", s.leaf_page_n);
  out += fmt::format("\tNumber of physical leaf overflow pages: {}\n", s.leaf_overflow_n);
  out += "Tree statistics\n";
  out += fmt::format("\tNumber of keys/value pairs: {}\n", s.key_n);
  out += fmt::format("\tNumber of levels in B+tree: {}\n", s.depth);
  out += "Page size utilization\n";
  out += fmt::format("\tBytes allocated for physical branch pages: {}\n", s.branch_alloc);
  out += fmt::format("\tBytes actually used for branch data: {} ({}%)\n", s.branch_inuse,
                     Percent(s.branch_inuse, s.branch_alloc));
  out += fmt::format("\tBytes allocated for physical leaf pages: {}\n", s.leaf_alloc);
  out += fmt::format("\tBytes actually used for leaf data: {} ({}%)\n", s.leaf_inuse,
                     Percent(s.leaf_inuse, s.leaf_alloc));
  out += "Bucket statistics\n";
  out += fmt::format("\tTotal number of buckets: {}\n", s.bucket_n);
  out += fmt::format("\tTotal number on inlined buckets: {} ({}%)\n", s.inline_bucket_n,
                     Percent(s.inline_bucket_n, s.bucket_n));
  out += fmt::format("\tBytes used for inlined buckets: {} ({}%)\n", s.inline_bucket_inuse,
                     Percent(s.inline_bucket_inuse, s.leaf_inuse));
  WriteOut(out);
}

json StatsJson(const bolt::BucketStats& s, int count) {
  return {{"bucket_count", count},
          {"branch_page_n", s.branch_page_n},
          {"branch_overflow_n", s.branch_overflow_n},
          {"leaf_page_n", s.leaf_page_n},
          {"leaf_overflow_n", s.leaf_overflow_n},
          {"key_n", s.key_n},
          {"depth", s.depth},
          {"branch_alloc", s.branch_alloc},
          {"branch_inuse", s.branch_inuse},
          {"leaf_alloc", s.leaf_alloc},
          {"leaf_inuse", s.leaf_inuse},
          {"bucket_n", s.bucket_n},
          {"inline_bucket_n", s.inline_bucket_n},
          {"inline_bucket_inuse", s.inline_bucket_inuse}};
}

int RunStats(const Common& c, const std::string& prefix) {
  auto db = OpenRead(c);
  if (!db.ok()) return Fail(db.status());
  bolt::BucketStats total;
  int count = 0;
  Status s = (*db)->View([&](bolt::Tx& tx) {
    return tx.ForEachBucket([&](std::string_view name, bolt::Bucket b) -> Status {
      if (!name.starts_with(prefix)) return Status::Ok();
      LARDER_ASSIGN_OR_RETURN(bolt::BucketStats bs, b.Stats());
      total.Add(bs);
      ++count;
      return Status::Ok();
    });
  });
  if (!s.ok()) return Fail(s);
  if (c.json) {
    PrintJson(StatsJson(total, count));
  } else {
    PrintStats(total, count);
  }
  return kExitOk;
}

}  // namespace

void RegisterInspectCommands(CLI::App& app, Action& action) {
  {
    auto c = std::make_shared<Common>();
    CLI::App* sub = AddCommand(app, "info", "Print the page size", c.get());
    sub->add_flag("--json", c->json, "JSON output");
    sub->callback([&action, c] { action = [c] { return RunInfo(*c); }; });
  }
  {
    auto c = std::make_shared<Common>();
    CLI::App* sub = AddCommand(app, "check", "Check the file's consistency", c.get());
    sub->add_flag("--json", c->json, "JSON output");
    sub->callback([&action, c] { action = [c] { return RunCheck(*c); }; });
  }
  {
    auto c = std::make_shared<Common>();
    CLI::App* sub = AddCommand(app, "buckets", "List the top-level buckets", c.get());
    sub->add_flag("--json", c->json, "JSON output");
    AddFormatOption(sub, c.get(), "bytes");
    sub->callback([&action, c] { action = [c] { return RunBuckets(*c); }; });
  }
  {
    auto c = std::make_shared<Common>();
    auto path = std::make_shared<std::vector<std::string>>();
    CLI::App* sub = AddCommand(app, "keys", "List the keys of a bucket", c.get());
    sub->add_option("bucket", *path, "Bucket, then nested bucket names")->required();
    AddFormatOption(sub, c.get(), "auto");
    sub->callback([&action, c, path] { action = [c, path] { return RunKeys(*c, *path); }; });
  }
  {
    auto c = std::make_shared<Common>();
    auto args = std::make_shared<std::vector<std::string>>();
    CLI::App* sub = AddCommand(app, "get", "Print the value of a key", c.get());
    sub->add_option("bucket-and-key", *args, "Bucket, nested bucket names, then the key")
        ->required();
    AddFormatOption(sub, c.get(), "auto");
    sub->add_option("--parse-format", c->parse_format, "Key format: ascii-encoded|hex")
        ->check(CLI::IsMember(ParseFormatNames()))
        ->default_val("ascii-encoded");
    sub->callback(
        [&action, c, args, sub] { action = [c, args, sub] { return RunGet(*c, *sub, *args); }; });
  }
  {
    auto c = std::make_shared<Common>();
    auto prefix = std::make_shared<std::string>();
    CLI::App* sub = AddCommand(app, "stats", "Aggregate page statistics of buckets", c.get());
    sub->add_option("prefix", *prefix, "Only top-level buckets whose name starts with this");
    sub->add_flag("--json", c->json, "JSON output");
    sub->callback([&action, c, prefix] { action = [c, prefix] { return RunStats(*c, *prefix); }; });
  }
}

}  // namespace larder::cli
