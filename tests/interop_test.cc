// Interop with Go bbolt 1.3.6: files written by one side are read, checked and modified by the
// other. The Go side is tests/interop/bboltpeer/main.go, built once per test process against
// Debian's packaged bbolt (GOPATH=/usr/share/gocode, no network). The canonical text dump
// (tests/interop/dump.h) is the common currency: both sides must produce identical text.
//
// The suite is skipped when `go` is not installed.
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "larder/bolt/bucket.h"
#include "larder/bolt/cursor.h"
#include "larder/bolt/db.h"
#include "larder/bolt/options.h"
#include "larder/bolt/tx.h"
#include "tests/interop/dump.h"
#include "tests/interop/peer.h"
#include "tests/util/temp_dir.h"

namespace larder::test {
namespace {

using bolt::Bucket;
using bolt::DB;
using bolt::Options;
using bolt::Tx;

// ---------------------------------------------------------------------------------------------
// Comparing dumps.

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    if (nl == std::string_view::npos) {
      lines.push_back(text);
      break;
    }
    lines.push_back(text.substr(0, nl));
    text.remove_prefix(nl + 1);
  }
  return lines;
}

std::string Clip(std::string_view line) {
  constexpr std::size_t kMax = 200;
  if (line.size() <= kMax) return std::string(line);
  return std::string(line.substr(0, kMax)) + "...(" + std::to_string(line.size()) + " chars)";
}

// Equal dumps, or a message with the first differing lines (dumps can be megabytes).
::testing::AssertionResult SameDump(const std::string& go_dump, const std::string& cpp_dump) {
  if (go_dump == cpp_dump) return ::testing::AssertionSuccess();
  std::vector<std::string_view> g = Lines(go_dump);
  std::vector<std::string_view> c = Lines(cpp_dump);
  std::size_t i = 0;
  while (i < g.size() && i < c.size() && g[i] == c[i]) ++i;
  std::ostringstream msg;
  msg << "dumps differ: Go " << g.size() << " lines, C++ " << c.size() << " lines; first "
      << "difference at line " << i + 1 << "\n";
  if (i > 0) msg << "  common: " << Clip(g[i - 1]) << "\n";
  for (std::size_t j = i; j < i + 3; ++j) {
    msg << "  Go  " << j + 1 << ": " << (j < g.size() ? Clip(g[j]) : "<end>") << "\n";
    msg << "  C++ " << j + 1 << ": " << (j < c.size() ? Clip(c[j]) : "<end>") << "\n";
  }
  return ::testing::AssertionFailure() << msg.str();
}

// The consistency check of the C++ engine, on a read-only open (leaves the file as it is).
std::vector<std::string> CppCheck(const std::string& path) {
  auto db = DB::Open(path, Options{.read_only = true});
  if (!db.ok()) return {"open: " + db.status().ToString()};
  auto tx = (*db)->Begin(false);
  if (!tx.ok()) return {"begin: " + tx.status().ToString()};
  std::vector<std::string> problems = (*tx)->Check();
  if (Status s = (*tx)->Rollback(); !s.ok()) problems.push_back("rollback: " + s.ToString());
  tx->reset();
  if (Status s = (*db)->Close(); !s.ok()) problems.push_back("close: " + s.ToString());
  return problems;
}

std::string JoinLines(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += s + "\n";
  return out;
}

void CopyFile(const std::string& from, const std::string& to) {
  std::error_code ec;
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing, ec);
  ASSERT_FALSE(ec) << "copy " << from << " -> " << to << ": " << ec.message();
}

// ---------------------------------------------------------------------------------------------
// Fixture.

struct Params {
  std::string kind;         // a `gen` kind, or "cpp" for the C++-written database
  std::uint32_t page_size;  // 0: the default (the OS page size)
  bool no_freelist_sync;
};

std::string ParamName(const ::testing::TestParamInfo<Params>& info) {
  const Params& p = info.param;
  std::string name = p.kind + "_ps" + (p.page_size == 0 ? "default" : std::to_string(p.page_size));
  if (p.no_freelist_sync) name += "_nofreelistsync";
  return name;
}

class InteropTest : public ::testing::TestWithParam<Params> {
 protected:
  void SetUp() override {
    const Peer& peer = GetPeer();
    if (!peer.skip_reason.empty()) GTEST_SKIP() << peer.skip_reason;
    ASSERT_TRUE(peer.error.empty()) << peer.error;
    ASSERT_FALSE(dir_.path().empty()) << "mkdtemp failed";
    peer_ = peer.path;
  }

  const Params& P() const { return GetParam(); }

  CommandResult Go(const std::string& args) {
    return RunCommand(ShellQuote(peer_) + " " + args, dir_.File("go-stderr.txt"));
  }

  std::string NfsFlag() const { return P().no_freelist_sync ? " -no-freelist-sync" : ""; }

  // `gen KIND PATH` with this test's page size and freelist mode.
  void GoGen(const std::string& kind, const std::string& path) {
    std::string args = "gen " + kind + " " + ShellQuote(path);
    if (P().page_size != 0) args += " -page-size " + std::to_string(P().page_size);
    args += NfsFlag();
    CommandResult r = Go(args);
    ASSERT_EQ(r.exit_code, 0) << "bboltpeer " << args << " failed:\n" << r.out << r.err;
  }

  void GoDump(const std::string& path, std::string* out) {
    CommandResult r = Go("dump " + ShellQuote(path));
    ASSERT_EQ(r.exit_code, 0) << "bboltpeer dump failed:\n" << r.err;
    *out = std::move(r.out);
  }

  // bbolt's tx.Check() must print exactly "OK".
  void GoCheck(const std::string& path) {
    CommandResult r = Go("check " + ShellQuote(path) + NfsFlag());
    EXPECT_EQ(r.exit_code, 0) << "bbolt check found problems in " << path << ":\n"
                              << r.out << r.err;
    EXPECT_EQ(r.out, "OK\n") << r.err;
  }

  void GoModify(const std::string& path) {
    CommandResult r = Go("modify " + ShellQuote(path) + NfsFlag());
    ASSERT_EQ(r.exit_code, 0) << "bboltpeer modify failed:\n" << r.out << r.err;
  }

  void CppDump(const std::string& path, std::string* out) {
    Result<std::string> dump = DumpDatabase(path);
    ASSERT_TRUE(dump.ok()) << "DumpDatabase(" << path << "): " << dump.status().ToString();
    *out = std::move(*dump);
  }

  Options WriteOptions() const {
    Options o;
    o.page_size = P().page_size;
    o.no_freelist_sync = P().no_freelist_sync;
    o.no_sync = true;  // the file content is the same; the tests need no durability
    return o;
  }

  void CppModify(const std::string& path) {
    Status s = ModifyDatabase(path, WriteOptions());
    ASSERT_TRUE(s.ok()) << "ModifyDatabase(" << path << "): " << s.ToString();
  }

  void ExpectCppCheckClean(const std::string& path) {
    std::vector<std::string> problems = CppCheck(path);
    EXPECT_TRUE(problems.empty()) << "C++ Tx::Check() on " << path << ":\n" << JoinLines(problems);
  }

  // Both sides dump `path`; the dumps must be identical. Returns the dump.
  void ExpectSameDumps(const std::string& path, std::string* dump = nullptr) {
    std::string go_dump, cpp_dump;
    ASSERT_NO_FATAL_FAILURE(GoDump(path, &go_dump));
    ASSERT_NO_FATAL_FAILURE(CppDump(path, &cpp_dump));
    EXPECT_FALSE(go_dump.empty());
    EXPECT_TRUE(SameDump(go_dump, cpp_dump)) << "file " << path;
    if (dump != nullptr) *dump = std::move(go_dump);
  }

  TempDir dir_;
  std::string peer_;
};

const std::vector<std::uint32_t> kPageSizes = {0, 1024, 16384, 65536};
const std::vector<std::string> kGoKinds = {"basic", "nested", "overflow", "freed", "many"};

std::vector<Params> GoKindParams() {
  std::vector<Params> out;
  for (const std::string& kind : kGoKinds) {
    for (std::uint32_t ps : kPageSizes) {
      for (bool nfs : {false, true}) out.push_back({kind, ps, nfs});
    }
  }
  return out;
}

std::vector<Params> PageSizeParams(const std::string& kind) {
  std::vector<Params> out;
  for (std::uint32_t ps : kPageSizes) {
    for (bool nfs : {false, true}) out.push_back({kind, ps, nfs});
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// A database written by the C++ engine, with a model of its expected content.

class Model {
 public:
  struct Node {
    std::uint64_t seq = 0;
    // A value, or a nested bucket. std::string orders bytes as unsigned, as bbolt does.
    std::map<std::string, std::variant<std::string, std::unique_ptr<Node>>> entries;
  };

  Node& At(const std::vector<std::string>& path) {
    Node* n = &root_;
    for (const std::string& p : path) n = std::get<std::unique_ptr<Node>>(n->entries.at(p)).get();
    return *n;
  }

  std::string Dump() const {
    std::string out;
    for (const auto& [name, entry] : root_.entries) {
      DumpNode(*std::get<std::unique_ptr<Node>>(entry), {name}, out);
    }
    return out;
  }

 private:
  static std::string Hex(std::string_view s) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) {
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 0xf]);
    }
    return out;
  }
  static std::string HexPath(const std::vector<std::string>& path) {
    std::string out;
    for (std::size_t i = 0; i < path.size(); ++i) out += (i ? "/" : "") + Hex(path[i]);
    return out;
  }
  static void DumpNode(const Node& n, const std::vector<std::string>& path, std::string& out) {
    const std::string hp = HexPath(path);
    out += "B " + hp + " seq=" + std::to_string(n.seq) + "\n";
    for (const auto& [key, entry] : n.entries) {
      if (const auto* sub = std::get_if<std::unique_ptr<Node>>(&entry)) {
        std::vector<std::string> child = path;
        child.push_back(key);
        DumpNode(**sub, child, out);
      } else {
        out += "K " + hp + " " + Hex(key) + " " + Hex(std::get<std::string>(entry)) + "\n";
      }
    }
  }

  Node root_;
};

// Applies each operation to a database transaction and to the model.
class Writer {
 public:
  Writer(Tx& tx, Model& model) : tx_(tx), model_(model) {}

  Status Put(const std::vector<std::string>& path, const std::string& key, std::string value) {
    LARDER_ASSIGN_OR_RETURN(Bucket b, tx_.GetBucketPath(path));
    LARDER_RETURN_IF_ERROR(b.Put(key, value));
    model_.At(path).entries[key] = std::move(value);
    return Status::Ok();
  }
  Status Delete(const std::vector<std::string>& path, const std::string& key) {
    LARDER_ASSIGN_OR_RETURN(Bucket b, tx_.GetBucketPath(path));
    LARDER_RETURN_IF_ERROR(b.Delete(key));
    model_.At(path).entries.erase(key);
    return Status::Ok();
  }
  // Creates the bucket path.back() inside path[0..n-1].
  Status CreateBucket(const std::vector<std::string>& path) {
    std::vector<std::string> parent(path.begin(), path.end() - 1);
    if (parent.empty()) {
      LARDER_RETURN_IF_ERROR(tx_.CreateBucket(path.back()).status());
    } else {
      LARDER_ASSIGN_OR_RETURN(Bucket b, tx_.GetBucketPath(parent));
      LARDER_RETURN_IF_ERROR(b.CreateBucket(path.back()).status());
    }
    Model::Node& p = parent.empty() ? root() : model_.At(parent);
    p.entries[path.back()] = std::make_unique<Model::Node>();
    return Status::Ok();
  }
  Status DeleteBucket(const std::vector<std::string>& path) {
    std::vector<std::string> parent(path.begin(), path.end() - 1);
    if (parent.empty()) {
      LARDER_RETURN_IF_ERROR(tx_.DeleteBucket(path.back()));
    } else {
      LARDER_ASSIGN_OR_RETURN(Bucket b, tx_.GetBucketPath(parent));
      LARDER_RETURN_IF_ERROR(b.DeleteBucket(path.back()));
    }
    (parent.empty() ? root() : model_.At(parent)).entries.erase(path.back());
    return Status::Ok();
  }
  Status SetSequence(const std::vector<std::string>& path, std::uint64_t seq) {
    LARDER_ASSIGN_OR_RETURN(Bucket b, tx_.GetBucketPath(path));
    LARDER_RETURN_IF_ERROR(b.SetSequence(seq));
    model_.At(path).seq = seq;
    return Status::Ok();
  }
  Status NextSequence(const std::vector<std::string>& path, std::uint64_t* seq) {
    LARDER_ASSIGN_OR_RETURN(Bucket b, tx_.GetBucketPath(path));
    LARDER_ASSIGN_OR_RETURN(*seq, b.NextSequence());
    model_.At(path).seq = *seq;
    return Status::Ok();
  }

 private:
  Model::Node& root() { return model_.At({}); }
  Tx& tx_;
  Model& model_;
};

// Deterministic bytes.
std::string Pattern(std::uint64_t seed, std::size_t n) {
  std::uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 1;
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    out[i] = static_cast<char>(s >> 45);
  }
  return out;
}

std::string Key(const char* prefix, int i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s%06d", prefix, i);
  return buf;
}

std::string BigEndian64(std::uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
  return out;
}

// Writes a database exercising buckets (top-level, nested three deep, inline, large), overflow
// values, big keys, binary keys, empty values, sequences, deletes of keys and buckets, buckets
// that grow out of and shrink back into inline form, and a rolled-back transaction. Returns the
// expected dump through `expected`.
Status WriteCppDatabase(const std::string& path, const Options& options, std::string* expected) {
  Model model;
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<DB> db, DB::Open(path, options));
  auto update = [&](const std::function<Status(Writer&)>& fn) {
    return db->Update([&](Tx& tx) {
      Writer w(tx, model);
      return fn(w);
    });
  };

  // 1: the skeleton.
  LARDER_RETURN_IF_ERROR(update([](Writer& w) -> Status {
    for (const char* name : {"users", "config", "blobs", "tree", "log", "shrink"}) {
      LARDER_RETURN_IF_ERROR(w.CreateBucket({name}));
    }
    for (int i = 0; i < 600; ++i) {
      LARDER_RETURN_IF_ERROR(w.Put({"users"}, Key("user-", i), Pattern(i, 30 + i % 90)));
    }
    LARDER_RETURN_IF_ERROR(w.Put({"config"}, "mode", "fast"));
    LARDER_RETURN_IF_ERROR(w.Put({"config"}, "empty", ""));
    LARDER_RETURN_IF_ERROR(w.Put({"config"}, std::string("\x00\xff\x00", 3), "binary key"));
    LARDER_RETURN_IF_ERROR(w.Put({"config"}, std::string("\xff\xff", 2), std::string(1, '\0')));
    LARDER_RETURN_IF_ERROR(w.SetSequence({"config"}, 7));
    LARDER_RETURN_IF_ERROR(w.Put({"blobs"}, "b-10k", Pattern(1, 10000)));
    LARDER_RETURN_IF_ERROR(w.Put({"blobs"}, "b-100k", Pattern(2, 100000)));
    LARDER_RETURN_IF_ERROR(w.Put({"blobs"}, "b-5k", Pattern(3, 5000)));
    LARDER_RETURN_IF_ERROR(w.Put({"blobs"}, "b-tiny", "t"));
    LARDER_RETURN_IF_ERROR(w.Put({"blobs"}, std::string(4000, 'k'), "4000-byte key"));
    LARDER_RETURN_IF_ERROR(w.Put({"blobs"}, std::string(bolt::kMaxKeySize, 'z'), "max key"));
    // tree: three levels, inline and large buckets at each.
    for (const char* child : {"a", "b", "c"})
      LARDER_RETURN_IF_ERROR(w.CreateBucket({"tree", child}));
    LARDER_RETURN_IF_ERROR(w.Put({"tree", "a"}, "x", "inline"));
    for (int i = 0; i < 1200; ++i) {
      LARDER_RETURN_IF_ERROR(w.Put({"tree", "b"}, Key("b", i), Pattern(1000 + i, 16)));
    }
    LARDER_RETURN_IF_ERROR(w.CreateBucket({"tree", "b", "deep-inline"}));
    LARDER_RETURN_IF_ERROR(w.Put({"tree", "b", "deep-inline"}, "k", "v"));
    LARDER_RETURN_IF_ERROR(w.SetSequence({"tree", "b", "deep-inline"}, ~std::uint64_t{0}));
    LARDER_RETURN_IF_ERROR(w.CreateBucket({"tree", "b", "deep-large"}));
    for (int i = 0; i < 700; ++i) {
      LARDER_RETURN_IF_ERROR(w.Put({"tree", "b", "deep-large"}, Key("d", i), Pattern(i, 40)));
    }
    LARDER_RETURN_IF_ERROR(w.CreateBucket({"tree", "c", "empty"}));
    LARDER_RETURN_IF_ERROR(w.SetSequence({"tree", "b"}, 123456789));
    for (int i = 0; i < 400; ++i) {
      LARDER_RETURN_IF_ERROR(w.Put({"shrink"}, Key("s", i), Pattern(i, 50)));
    }
    return Status::Ok();
  }));

  // 2..9: small transactions appending to "log" with NextSequence keys; the inline bucket
  // "tree/a" grows out of inline form.
  for (int t = 0; t < 8; ++t) {
    LARDER_RETURN_IF_ERROR(update([t](Writer& w) -> Status {
      for (int i = 0; i < 50; ++i) {
        std::uint64_t seq = 0;
        LARDER_RETURN_IF_ERROR(w.NextSequence({"log"}, &seq));
        LARDER_RETURN_IF_ERROR(w.Put({"log"}, BigEndian64(seq), "entry " + std::to_string(seq)));
      }
      for (int i = 0; i < 40; ++i) {
        LARDER_RETURN_IF_ERROR(w.Put({"tree", "a"}, Key("a", t * 40 + i), Pattern(t, 60)));
      }
      return Status::Ok();
    }));
  }

  // A rolled-back transaction leaves nothing behind (the model is not touched).
  {
    LARDER_ASSIGN_OR_RETURN(std::unique_ptr<Tx> tx, db->Begin(true));
    LARDER_ASSIGN_OR_RETURN(Bucket b, tx->CreateBucket("rolled-back"));
    LARDER_RETURN_IF_ERROR(b.Put("k", "v"));
    LARDER_ASSIGN_OR_RETURN(Bucket users, tx->GetBucket("users"));
    LARDER_RETURN_IF_ERROR(users.Delete(Key("user-", 1)));
    LARDER_RETURN_IF_ERROR(tx->Rollback());
  }

  // 10: deletes: half of "users", a large value, a nested bucket; "shrink" goes back inline;
  // a bucket is created and deleted in the same transaction.
  LARDER_RETURN_IF_ERROR(update([](Writer& w) -> Status {
    for (int i = 0; i < 600; i += 2) LARDER_RETURN_IF_ERROR(w.Delete({"users"}, Key("user-", i)));
    LARDER_RETURN_IF_ERROR(w.Delete({"blobs"}, "b-100k"));
    LARDER_RETURN_IF_ERROR(w.Put({"blobs"}, "b-10k", Pattern(4, 3000)));
    LARDER_RETURN_IF_ERROR(w.DeleteBucket({"tree", "b", "deep-large"}));
    for (int i = 1; i < 400; ++i) LARDER_RETURN_IF_ERROR(w.Delete({"shrink"}, Key("s", i)));
    LARDER_RETURN_IF_ERROR(w.CreateBucket({"transient"}));
    LARDER_RETURN_IF_ERROR(w.Put({"transient"}, "k", Pattern(5, 20000)));
    return w.DeleteBucket({"transient"});
  }));

  // 11..12: a top-level bucket with overflow values is created, then deleted.
  LARDER_RETURN_IF_ERROR(update([](Writer& w) -> Status {
    LARDER_RETURN_IF_ERROR(w.CreateBucket({"doomed"}));
    LARDER_RETURN_IF_ERROR(w.CreateBucket({"doomed", "inner"}));
    for (int i = 0; i < 300; ++i) {
      LARDER_RETURN_IF_ERROR(w.Put({"doomed", "inner"}, Key("x", i), Pattern(i, 100)));
    }
    return w.Put({"doomed"}, "big", Pattern(6, 30000));
  }));
  LARDER_RETURN_IF_ERROR(update([](Writer& w) { return w.DeleteBucket({"doomed"}); }));

  LARDER_RETURN_IF_ERROR(db->Close());
  *expected = model.Dump();
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// a. Go writes, C++ reads.

class GoWrites : public InteropTest {};

TEST_P(GoWrites, CppDumpMatchesGoDump) {
  const std::string db = dir_.File("go.db");
  ASSERT_NO_FATAL_FAILURE(GoGen(P().kind, db));
  ASSERT_NO_FATAL_FAILURE(ExpectSameDumps(db));
  ExpectCppCheckClean(db);
}

INSTANTIATE_TEST_SUITE_P(Interop, GoWrites, ::testing::ValuesIn(GoKindParams()), ParamName);

// b. Go writes, C++ modifies, both read.

class CppModifies : public InteropTest {};

TEST_P(CppModifies, GoChecksAndReadsCppChanges) {
  const std::string db = dir_.File("go.db");
  const std::string twin = dir_.File("twin.db");
  ASSERT_NO_FATAL_FAILURE(GoGen(P().kind, db));
  ASSERT_NO_FATAL_FAILURE(CopyFile(db, twin));

  ASSERT_NO_FATAL_FAILURE(CppModify(db));
  ExpectCppCheckClean(db);  // before bbolt opens it read-write
  GoCheck(db);
  std::string modified;
  ASSERT_NO_FATAL_FAILURE(ExpectSameDumps(db, &modified));

  // ModifyDatabase and `bboltpeer modify` make the same changes.
  ASSERT_NO_FATAL_FAILURE(GoModify(twin));
  std::string go_modified;
  ASSERT_NO_FATAL_FAILURE(GoDump(twin, &go_modified));
  EXPECT_TRUE(SameDump(go_modified, modified)) << "Go modify (as 'Go') vs C++ ModifyDatabase";
}

INSTANTIATE_TEST_SUITE_P(Interop, CppModifies, ::testing::ValuesIn(GoKindParams()), ParamName);

// c. C++ writes, Go checks and reads.

class CppWrites : public InteropTest {};

TEST_P(CppWrites, GoChecksAndReads) {
  const std::string db = dir_.File("cpp.db");
  std::string expected;
  Status s = WriteCppDatabase(db, WriteOptions(), &expected);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ExpectCppCheckClean(db);
  GoCheck(db);
  std::string go_dump;
  ASSERT_NO_FATAL_FAILURE(ExpectSameDumps(db, &go_dump));
  EXPECT_TRUE(SameDump(go_dump, expected)) << "Go dump vs the expected content ('C++')";
}

INSTANTIATE_TEST_SUITE_P(Interop, CppWrites, ::testing::ValuesIn(PageSizeParams("cpp")), ParamName);

// d. C++ writes, Go modifies, C++ reads.

class GoModifies : public InteropTest {};

TEST_P(GoModifies, CppReadsGoChanges) {
  const std::string db = dir_.File("cpp.db");
  const std::string twin = dir_.File("twin.db");
  std::string expected;
  Status s = WriteCppDatabase(db, WriteOptions(), &expected);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_NO_FATAL_FAILURE(CopyFile(db, twin));

  ASSERT_NO_FATAL_FAILURE(GoModify(db));
  std::string modified;
  ASSERT_NO_FATAL_FAILURE(ExpectSameDumps(db, &modified));
  ExpectCppCheckClean(db);
  GoCheck(db);

  // The same changes made by ModifyDatabase give the same content.
  ASSERT_NO_FATAL_FAILURE(CppModify(twin));
  std::string cpp_modified;
  ASSERT_NO_FATAL_FAILURE(CppDump(twin, &cpp_modified));
  EXPECT_TRUE(SameDump(modified, cpp_modified)) << "Go modify vs C++ ModifyDatabase";
}

INSTANTIATE_TEST_SUITE_P(Interop, GoModifies, ::testing::ValuesIn(PageSizeParams("cpp")),
                         ParamName);

// e. Both sides take turns modifying one file; after every turn both checks pass and both
// dumps agree.

class PingPong : public InteropTest {};

TEST_P(PingPong, AlternatingWriters) {
  const std::string db = dir_.File("pingpong.db");
  ASSERT_NO_FATAL_FAILURE(GoGen(P().kind, db));
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    ASSERT_NO_FATAL_FAILURE(CppModify(db));
    ExpectCppCheckClean(db);
    GoCheck(db);
    ASSERT_NO_FATAL_FAILURE(ExpectSameDumps(db));
    ASSERT_NO_FATAL_FAILURE(GoModify(db));
    ExpectCppCheckClean(db);
    GoCheck(db);
    ASSERT_NO_FATAL_FAILURE(ExpectSameDumps(db));
    if (HasFailure()) break;
  }
}

INSTANTIATE_TEST_SUITE_P(Interop, PingPong, ::testing::ValuesIn(PageSizeParams("nested")),
                         ParamName);

}  // namespace
}  // namespace larder::test
