// bench_sqlite: the comparison workloads (workload.h) on SQLite (Debian's 3.40): WAL mode, one
// table kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID, prepared statements, 64 MiB page cache
// per connection. Non-durable workloads use synchronous=OFF; durable ones synchronous=FULL (one
// WAL sync per commit). Each reader thread and each durable writer has its own connection;
// concurrent durable writers take turns (BEGIN IMMEDIATE, busy timeout): no group commit.
#include <sqlite3.h>

#include <filesystem>
#include <string>

#include "workload.h"

namespace larder::bench {
namespace {

class Conn {
 public:
  Conn(const std::string& path, bool durable) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) Die("sqlite open " + path);
    sqlite3_busy_timeout(db_, 60000);
    Exec("PRAGMA journal_mode=WAL");
    Exec(durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF");
    Exec("PRAGMA cache_size=-65536");
    Exec("CREATE TABLE IF NOT EXISTS kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID");
    put_ = Prepare("INSERT OR REPLACE INTO kv(k, v) VALUES(?, ?)");
    get_ = Prepare("SELECT length(v) FROM kv WHERE k = ?");
    del_ = Prepare("DELETE FROM kv WHERE k = ?");
    scan_ = Prepare("SELECT k, v FROM kv ORDER BY k");
    begin_ = Prepare("BEGIN");
    begin_write_ = Prepare("BEGIN IMMEDIATE");
    commit_ = Prepare("COMMIT");
  }
  ~Conn() {
    for (sqlite3_stmt* s : {put_, get_, del_, scan_, begin_, begin_write_, commit_}) {
      sqlite3_finalize(s);
    }
    sqlite3_close(db_);
  }
  void Exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "?";
      sqlite3_free(err);
      Die(std::string(sql) + ": " + msg);
    }
  }
  sqlite3_stmt* Prepare(const char* sql) {
    sqlite3_stmt* s;
    if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK) Fail(sql);
    return s;
  }
  [[noreturn]] void Fail(std::string_view what) {
    Die(std::string(what) + ": " + sqlite3_errmsg(db_));
  }
  void Step(sqlite3_stmt* s, std::string_view what) {
    if (sqlite3_step(s) != SQLITE_DONE) Fail(what);
    sqlite3_reset(s);
  }
  void Bind(sqlite3_stmt* s, int i, std::string_view b) {
    sqlite3_bind_blob(s, i, b.data(), static_cast<int>(b.size()), SQLITE_STATIC);
  }

  void Begin() { Step(begin_, "begin"); }
  void BeginWrite() { Step(begin_write_, "begin immediate"); }
  void Commit() { Step(commit_, "commit"); }
  void Put(std::string_view k, std::string_view v) {
    Bind(put_, 1, k);
    Bind(put_, 2, v);
    Step(put_, "insert");
  }
  void Delete(std::string_view k) {
    Bind(del_, 1, k);
    Step(del_, "delete");
  }
  std::int64_t Get(std::string_view k) {
    Bind(get_, 1, k);
    int rc = sqlite3_step(get_);
    std::int64_t len = -1;
    if (rc == SQLITE_ROW) {
      len = sqlite3_column_int64(get_, 0);
    } else if (rc != SQLITE_DONE) {
      Fail("select");
    }
    sqlite3_reset(get_);
    return len;
  }
  std::uint64_t Scan(std::uint64_t* bytes) {
    std::uint64_t count = 0;
    int rc;
    while ((rc = sqlite3_step(scan_)) == SQLITE_ROW) {
      ++count;
      *bytes += static_cast<std::uint64_t>(sqlite3_column_bytes(scan_, 1));
    }
    if (rc != SQLITE_DONE) Fail("scan");
    sqlite3_reset(scan_);
    return count;
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt *put_, *get_, *del_, *scan_, *begin_, *begin_write_, *commit_;
};

class SqliteReader : public Reader {
 public:
  explicit SqliteReader(const std::string& path) : conn_(path, false) {}
  void Begin() override { conn_.Begin(); }
  void End() override { conn_.Commit(); }
  std::int64_t Get(std::string_view key) override { return conn_.Get(key); }
  std::uint64_t Scan(std::uint64_t* bytes) override { return conn_.Scan(bytes); }

 private:
  Conn conn_;
};

class SqliteStore : public Store {
 public:
  explicit SqliteStore(const OpenSpec& spec)
      : path_(spec.dir + "/sqlite.db"), durable_(spec.durable), conn_(path_, spec.durable) {}
  void BeginWrite() override { conn_.BeginWrite(); }
  void Put(std::string_view key, std::string_view value) override { conn_.Put(key, value); }
  void Delete(std::string_view key) override { conn_.Delete(key); }
  void Commit() override { conn_.Commit(); }
  std::unique_ptr<Reader> NewReader() override { return std::make_unique<SqliteReader>(path_); }

  class Writer : public DurableWriter {
   public:
    Writer(const std::string& path, bool durable) : conn_(path, durable) {}
    void Put(std::string_view key, std::string_view value) override {
      conn_.BeginWrite();
      conn_.Put(key, value);
      conn_.Commit();
    }

   private:
    Conn conn_;
  };
  std::unique_ptr<DurableWriter> NewDurableWriter() override {
    return std::make_unique<Writer>(path_, durable_);
  }

 private:
  std::string path_;
  bool durable_;
  Conn conn_;
};

std::unique_ptr<Store> Open(const OpenSpec& spec) {
  std::filesystem::create_directories(spec.dir);
  return std::make_unique<SqliteStore>(spec);
}

}  // namespace
}  // namespace larder::bench

int main(int argc, char** argv) {
  return larder::bench::RunnerMain(argc, argv, "sqlite", larder::bench::Open);
}
