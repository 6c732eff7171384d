// bench_lmdb: the comparison workloads (workload.h) on LMDB (Debian's liblmdb 0.9.24), one
// unnamed database, 64 GiB map. Non-durable workloads open with MDB_NOSYNC; durable ones use
// LMDB's default (two syncs per commit: data, then meta). Concurrent durable writers simply
// commit in turn: LMDB has no group commit.
#include <lmdb.h>

#include <filesystem>
#include <string>

#include "workload.h"

namespace larder::bench {
namespace {

void Check(int rc, std::string_view what) {
  if (rc != 0) Die(std::string(what) + ": " + mdb_strerror(rc));
}

MDB_val Val(std::string_view s) { return {s.size(), const_cast<char*>(s.data())}; }

class LmdbReader : public Reader {
 public:
  LmdbReader(MDB_env* env, MDB_dbi dbi) : env_(env), dbi_(dbi) {}
  ~LmdbReader() override {
    if (txn_ != nullptr) mdb_txn_abort(txn_);
  }
  void Begin() override {
    if (txn_ != nullptr) {
      Check(mdb_txn_renew(txn_), "txn renew");
    } else {
      Check(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn_), "begin read");
    }
  }
  void End() override { mdb_txn_reset(txn_); }
  std::int64_t Get(std::string_view key) override {
    MDB_val k = Val(key), v;
    int rc = mdb_get(txn_, dbi_, &k, &v);
    if (rc == MDB_NOTFOUND) return -1;
    Check(rc, "get");
    return static_cast<std::int64_t>(v.mv_size);
  }
  std::uint64_t Scan(std::uint64_t* bytes) override {
    MDB_cursor* c;
    Check(mdb_cursor_open(txn_, dbi_, &c), "cursor");
    MDB_val k, v;
    std::uint64_t count = 0;
    int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
    while (rc == 0) {
      ++count;
      *bytes += v.mv_size;
      rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(c);
    if (rc != MDB_NOTFOUND) Check(rc, "scan");
    return count;
  }

 private:
  MDB_env* env_;
  MDB_dbi dbi_;
  MDB_txn* txn_ = nullptr;
};

class LmdbStore : public Store {
 public:
  LmdbStore(const OpenSpec& spec) {
    Check(mdb_env_create(&env_), "env create");
    Check(mdb_env_set_mapsize(env_, std::size_t{64} << 30), "mapsize");
    Check(mdb_env_set_maxreaders(env_, 126), "maxreaders");
    unsigned flags = spec.durable ? 0 : MDB_NOSYNC;
    Check(mdb_env_open(env_, spec.dir.c_str(), flags, 0644), "open");
    MDB_txn* txn;
    Check(mdb_txn_begin(env_, nullptr, 0, &txn), "begin");
    Check(mdb_dbi_open(txn, nullptr, 0, &dbi_), "dbi open");
    Check(mdb_txn_commit(txn), "commit");
  }
  ~LmdbStore() override { mdb_env_close(env_); }
  void BeginWrite() override { Check(mdb_txn_begin(env_, nullptr, 0, &txn_), "begin write"); }
  void Put(std::string_view key, std::string_view value) override {
    MDB_val k = Val(key), v = Val(value);
    Check(mdb_put(txn_, dbi_, &k, &v, 0), "put");
  }
  void Delete(std::string_view key) override {
    MDB_val k = Val(key);
    int rc = mdb_del(txn_, dbi_, &k, nullptr);
    if (rc != MDB_NOTFOUND) Check(rc, "delete");
  }
  void Commit() override {
    Check(mdb_txn_commit(txn_), "commit");
    txn_ = nullptr;
  }
  std::unique_ptr<Reader> NewReader() override { return std::make_unique<LmdbReader>(env_, dbi_); }

  class Writer : public DurableWriter {
   public:
    Writer(MDB_env* env, MDB_dbi dbi) : env_(env), dbi_(dbi) {}
    void Put(std::string_view key, std::string_view value) override {
      MDB_txn* txn;
      Check(mdb_txn_begin(env_, nullptr, 0, &txn), "begin durable");
      MDB_val k = Val(key), v = Val(value);
      Check(mdb_put(txn, dbi_, &k, &v, 0), "put");
      Check(mdb_txn_commit(txn), "commit durable");
    }

   private:
    MDB_env* env_;
    MDB_dbi dbi_;
  };
  std::unique_ptr<DurableWriter> NewDurableWriter() override {
    return std::make_unique<Writer>(env_, dbi_);
  }

 private:
  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
  MDB_txn* txn_ = nullptr;
};

std::unique_ptr<Store> Open(const OpenSpec& spec) {
  std::filesystem::create_directories(spec.dir);
  return std::make_unique<LmdbStore>(spec);
}

}  // namespace
}  // namespace larder::bench

int main(int argc, char** argv) {
  return larder::bench::RunnerMain(argc, argv, "lmdb", larder::bench::Open);
}
