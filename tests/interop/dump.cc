#include "tests/interop/dump.h"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "larder/bolt/bucket.h"
#include "larder/bolt/cursor.h"
#include "larder/bolt/db.h"
#include "larder/bolt/tx.h"

namespace larder::test {
namespace {

using bolt::Bucket;
using bolt::Cursor;
using bolt::DB;
using bolt::Tx;
using Path = std::vector<std::string>;

void AppendHex(std::string& out, std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
}

std::string HexPath(const Path& path) {
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (i > 0) out.push_back('/');
    AppendHex(out, path[i]);
  }
  return out;
}

std::string ShowPath(const Path& path) { return "bucket " + HexPath(path); }

Status DumpBucket(const Bucket& bucket, const Path& path, std::string& out) {
  const std::string hex_path = HexPath(path);
  out += "B ";
  out += hex_path;
  out += " seq=";
  out += std::to_string(bucket.Sequence());
  out += '\n';
  Cursor c = bucket.NewCursor();
  for (c.First(); c.Valid(); c.Next()) {
    if (c.IsBucket()) {
      Result<Bucket> sub = bucket.GetBucket(c.key());
      if (!sub.ok()) return sub.status().WithContext(ShowPath(path));
      Path child = path;
      child.emplace_back(c.key());
      LARDER_RETURN_IF_ERROR(DumpBucket(*sub, child, out));
      continue;
    }
    out += "K ";
    out += hex_path;
    out += ' ';
    AppendHex(out, c.key());
    out += ' ';
    AppendHex(out, c.value());
    out += '\n';
  }
  if (!c.status().ok()) return c.status().WithContext(ShowPath(path));
  return Status::Ok();
}

// Every bucket path, depth-first in cursor order, a bucket before its children.
Status CollectPaths(const Bucket& bucket, const Path& path, std::vector<Path>& out) {
  out.push_back(path);
  Cursor c = bucket.NewCursor();
  for (c.First(); c.Valid(); c.Next()) {
    if (!c.IsBucket()) continue;
    Result<Bucket> sub = bucket.GetBucket(c.key());
    if (!sub.ok()) return sub.status().WithContext(ShowPath(path));
    Path child = path;
    child.emplace_back(c.key());
    LARDER_RETURN_IF_ERROR(CollectPaths(*sub, child, out));
  }
  return c.status();
}

Result<std::vector<std::string>> TopLevelNames(const Tx& tx) {
  std::vector<std::string> names;
  Cursor c = tx.NewCursor();
  for (c.First(); c.Valid(); c.Next()) names.emplace_back(c.key());
  if (!c.status().ok()) return c.status();
  return names;
}

std::string BigValue() {
  std::string v(20000, '\0');
  for (std::size_t j = 0; j < v.size(); ++j) v[j] = static_cast<char>((j * 7 + 3) % 251);
  return v;
}

// Transaction 1 of `modify`: see main.go.
Status ModifyKeys(Tx& tx) {
  std::vector<Path> paths;
  LARDER_ASSIGN_OR_RETURN(std::vector<std::string> top, TopLevelNames(tx));
  for (const std::string& name : top) {
    LARDER_ASSIGN_OR_RETURN(Bucket b, tx.GetBucket(name));
    LARDER_RETURN_IF_ERROR(CollectPaths(b, Path{name}, paths));
  }
  for (std::size_t bi = 0; bi < paths.size(); ++bi) {
    Result<Bucket> found = tx.GetBucketPath(paths[bi]);
    if (!found.ok()) return found.status().WithContext(ShowPath(paths[bi]));
    Bucket b = *found;
    std::vector<std::string> keys;
    {
      Cursor c = b.NewCursor();
      for (c.First(); c.Valid(); c.Next()) {
        if (!c.IsBucket()) keys.emplace_back(c.key());
      }
      LARDER_RETURN_IF_ERROR(c.status());
    }
    for (std::size_t i = 0; i < keys.size(); i += 3) LARDER_RETURN_IF_ERROR(b.Delete(keys[i]));
    for (int i = 0; i < 10; ++i) {
      char key[16];
      std::snprintf(key, sizeof key, "mod-%03d", i);
      std::string value = "modified " + std::to_string(i) + " in bucket " + std::to_string(bi);
      LARDER_RETURN_IF_ERROR(b.Put(key, value));
    }
    LARDER_RETURN_IF_ERROR(b.NextSequence().status());
  }
  if (!paths.empty()) {
    LARDER_ASSIGN_OR_RETURN(Bucket first, tx.GetBucket(paths[0][0]));
    LARDER_RETURN_IF_ERROR(first.Put("mod-big", BigValue()));
  }
  return Status::Ok();
}

// Transaction 2 of `modify`: see main.go.
Status ModifyBuckets(Tx& tx) {
  LARDER_ASSIGN_OR_RETURN(std::vector<std::string> top, TopLevelNames(tx));
  if (top.empty()) {
    LARDER_ASSIGN_OR_RETURN(Bucket b, tx.CreateBucket("interop-new"));
    return b.Put("k", "v");
  }
  LARDER_ASSIGN_OR_RETURN(Bucket first, tx.GetBucket(top.front()));
  LARDER_ASSIGN_OR_RETURN(Bucket nb, first.CreateBucketIfNotExists("interop-new"));
  for (int i = 0; i < 100; ++i) {
    char key[16];
    std::snprintf(key, sizeof key, "n-%03d", i);
    LARDER_RETURN_IF_ERROR(nb.Put(key, "new value " + std::to_string(i)));
  }
  LARDER_RETURN_IF_ERROR(nb.SetSequence(42));
  LARDER_ASSIGN_OR_RETURN(Bucket inner, nb.CreateBucketIfNotExists("inner"));
  LARDER_RETURN_IF_ERROR(inner.Put("k", "v"));
  if (top.size() > 1) LARDER_RETURN_IF_ERROR(tx.DeleteBucket(top.back()));
  return Status::Ok();
}

}  // namespace

Result<std::string> DumpDatabase(const std::string& path) {
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<DB> db, DB::Open(path, bolt::Options{.read_only = true}));
  std::string out;
  Status s = db->View([&](Tx& tx) -> Status {
    Cursor c = tx.NewCursor();
    for (c.First(); c.Valid(); c.Next()) {
      std::string name(c.key());
      Result<Bucket> b = tx.GetBucket(name);
      if (!b.ok()) return b.status().WithContext("top-level key " + HexPath({name}));
      LARDER_RETURN_IF_ERROR(DumpBucket(*b, Path{name}, out));
    }
    return c.status();
  });
  LARDER_RETURN_IF_ERROR(s);
  LARDER_RETURN_IF_ERROR(db->Close());
  return out;
}

Status ModifyDatabase(const std::string& path, const bolt::Options& options) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Status::NotFound("modify: no file " + path);
  if (options.read_only) return Status::InvalidArgument("modify: read-only options");
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<DB> db, DB::Open(path, options));
  LARDER_RETURN_IF_ERROR(db->Update(ModifyKeys).WithContext("modify keys"));
  LARDER_RETURN_IF_ERROR(db->Update(ModifyBuckets).WithContext("modify buckets"));
  return db->Close();
}

}  // namespace larder::test
