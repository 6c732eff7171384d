#include "tests/util/bolt_tree.h"

#include <functional>

#include "tests/util/crash_harness.h"
#include "tests/util/kv_model.h"

namespace larder::test {

Status DumpBolt(bolt::Tx& tx, BoltTree* out) {
  out->clear();
  std::function<Status(bolt::Bucket, const std::string&)> walk = [&](bolt::Bucket b,
                                                                     const std::string& path) {
    BucketContent& content = (*out)[path];
    content.sequence = b.Sequence();
    return b.ForEach([&](std::string_view k, std::string_view v, bool is_bucket) -> Status {
      if (!is_bucket) {
        content.keys.emplace(k, v);
        return Status::Ok();
      }
      LARDER_ASSIGN_OR_RETURN(bolt::Bucket child, b.GetBucket(k));
      return walk(child, path + "/" + std::string(k));
    });
  };
  return tx.ForEachBucket(
      [&](std::string_view name, bolt::Bucket b) { return walk(b, std::string(name)); });
}

Status DumpBolt(bolt::DB& db, BoltTree* out) {
  return db.View([&](bolt::Tx& tx) { return DumpBolt(tx, out); });
}

std::string DiffBolt(const BoltTree& want, const BoltTree& got) {
  auto w = want.begin();
  auto g = got.begin();
  for (; w != want.end() && g != got.end(); ++w, ++g) {
    if (w->first != g->first) {
      return w->first < g->first ? "missing bucket " + Printable(w->first)
                                 : "extra bucket " + Printable(g->first);
    }
    if (w->second.sequence != g->second.sequence) {
      return "bucket " + Printable(w->first) + ": sequence " + std::to_string(g->second.sequence) +
             ", want " + std::to_string(w->second.sequence);
    }
    std::string diff = DiffKV(w->second.keys, g->second.keys);
    if (!diff.empty()) return "bucket " + Printable(w->first) + ": " + diff;
  }
  if (w != want.end()) return "missing bucket " + Printable(w->first);
  if (g != got.end()) return "extra bucket " + Printable(g->first);
  return "";
}

std::string BoltTreeState(const BoltTree& tree) {
  std::string out;
  for (const auto& [path, content] : tree) {
    out += KVState({{path, std::to_string(content.sequence)}});
    out += KVState(content.keys);
  }
  return out;
}

Result<bolt::Bucket> ResolveBucket(bolt::Tx& tx, const std::string& path) {
  std::vector<std::string> parts;
  for (std::size_t start = 0;;) {
    const std::size_t slash = path.find('/', start);
    parts.push_back(path.substr(start, slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return tx.GetBucketPath(parts);
}

void EraseBucket(BoltTree* tree, const std::string& path) {
  for (auto it = tree->begin(); it != tree->end();) {
    const bool under = it->first == path || it->first.rfind(path + "/", 0) == 0;
    it = under ? tree->erase(it) : std::next(it);
  }
}

std::vector<std::string> CheckBolt(bolt::DB& db) {
  auto tx = db.Begin(false);
  if (!tx.ok()) return {"begin: " + tx.status().ToString()};
  return (*tx)->Check();
}

Result<std::vector<std::string>> CheckBoltFile(const std::string& path, FileSystem* fs) {
  bolt::Options o;
  o.read_only = true;
  o.file_system = fs;
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<bolt::DB> db, bolt::DB::Open(path, o));
  return CheckBolt(*db);
}

}  // namespace larder::test
