// The randomized model test of larderd's Database API (src/server/keyspace.h) against std::map:
// strings, collection members, expiry under a ManualClock (lazy and active), deletes, copy and
// rename across databases, FLUSHDB/FLUSHALL/SWAPDB, SAVE and restarts (close, reopen). Every
// read is compared whole with the model; at the end, after the expiry cycle has reclaimed
// everything, the data file holds exactly the model's records (no leaked member, expiry entry,
// dead version or dead database) and passes the bolt check (TempDir).
//
// Seeded: LARDER_MODEL_SEED replays a failing run.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "larder/bolt/kv.h"
#include "larder/clock.h"
#include "server/key_encoding.h"
#include "server/keyspace.h"
#include "tests/util/kv_model.h"
#include "tests/util/temp_dir.h"

namespace larder::test {
namespace {

using server::Cursor;
using server::Database;
using server::Keyspace;
using server::KeyspaceOptions;
using server::ValueType;

constexpr std::uint64_t kStartMicros = 1'700'000'000'000'000;
constexpr int kDatabases = 4;

struct ModelKey {
  ValueType type = ValueType::kString;
  std::string value;
  std::map<std::string, std::string> members;
  std::int64_t expire_at_ms = 0;
};
using ModelDb = std::map<std::string, ModelKey>;

struct Stats {
  std::uint64_t ops = 0, batches = 0, strings = 0, members = 0, deletes = 0, expires = 0;
  std::uint64_t reads = 0, walks = 0, copies = 0, renames = 0, flushes = 0, swaps = 0;
  std::uint64_t cycles = 0, restarts = 0, expired_seen = 0, record_checks = 0;
  std::size_t max_keys = 0;
};

class ModelRun {
 public:
  ModelRun(const std::string& dir, std::uint64_t seed) : dir_(dir), seed_(seed), rng_(seed) {}

  Stats Run(int steps) {
    Open();
    for (step_ = 0; step_ < steps && !failed_; ++step_) {
      const int op = static_cast<int>(rng_() % 100);
      if (op < 80) {
        Batch();
      } else if (op < 88) {
        clock_.Advance(std::chrono::milliseconds(rng_() % 1500));
      } else if (op < 92) {
        Cycle(1 + rng_() % 50);
      } else if (op < 93) {
        Outside();
      } else if (op < 97) {
        Ok(ks_->Save(), "save");
      } else {
        Restart();
      }
      std::size_t n = 0;
      for (const ModelDb& d : model_) n += d.size();
      stats_.max_keys = std::max(stats_.max_keys, n);
    }
    if (!failed_) Finish();
    return stats_;
  }

 private:
  bool Fail(const std::string& what) {
    if (!failed_) {
      ADD_FAILURE() << "keyspace model seed " << seed_ << " (LARDER_MODEL_SEED=" << seed_
                    << " replays it), step " << step_ << ": " << what;
    }
    failed_ = true;
    return false;
  }
  bool Ok(const Status& s, const std::string& what) {
    ++stats_.ops;
    return s.ok() || Fail(what + ": " + s.ToString());
  }
  template <typename T>
  bool Ok(const Result<T>& r, const std::string& what) {
    return Ok(r.status(), what);
  }
  void Check(bool cond, const std::string& what) {
    if (!cond) Fail(what);
  }

  void Open() {
    KeyspaceOptions o;
    o.dir = dir_;
    o.databases = kDatabases;
    o.clock = &clock_;
    o.appendfsync = server::AppendFsync::kNo;
    auto ks = Keyspace::Open(o);
    if (!ks.ok()) return void(Fail("open: " + ks.status().ToString()));
    ks_ = std::move(*ks);
  }
  void Restart() {
    ++stats_.restarts;
    if (!Ok(ks_->Close(), "close")) return;
    ks_.reset();
    CheckRecords();
    Open();
  }

  // The encoding's invariants over the closed data file (docs/formats/larderd.md): every
  // expiry entry matches its key's meta record and every meta record with an expiry has its
  // entry; every member belongs to a version some meta record or dead-version record holds;
  // every count record counts its database's meta records.
  void CheckRecords() {
    auto store = bolt::OpenKV(dir_ + "/larder.db");
    if (!Ok(store, "open the data file")) return;
    std::map<std::string, std::string> all;
    {
      auto it = (*store)->NewIterator();
      if (!Ok(it, "iterator")) return;
      for ((*it)->SeekToFirst(); (*it)->Valid(); (*it)->Next()) {
        all.emplace((*it)->key(), (*it)->value());
      }
    }
    Ok((*store)->Close(), "close the data file");
    std::set<std::uint64_t> versions;
    std::map<std::uint32_t, std::uint64_t> metas, expiring;
    for (const auto& [k, v] : all) {
      if (k[0] == server::enc::kMetaTag) {
        server::enc::Meta m;
        if (!server::enc::DecodeMeta(v, &m)) return void(Fail("bad meta " + Printable(k)));
        const std::uint32_t pdb = server::enc::ReadBe32(k.substr(1));
        ++metas[pdb];
        if (m.is_collection()) versions.insert(m.version);
        if (m.expire_at_ms != 0) ++expiring[pdb];
        if (m.expire_at_ms != 0 &&
            all.count(server::enc::ExpiryKey(pdb, m.expire_at_ms, k.substr(5))) == 0) {
          return void(Fail("no expiry entry for " + Printable(k)));
        }
      } else if (k[0] == server::enc::kGarbageTag) {
        versions.insert(server::enc::ReadBe64(k.substr(1)));
      }
    }
    for (const auto& [k, v] : all) {
      if (k[0] == server::enc::kExpiryTag) {
        std::int64_t at;
        std::string_view key;
        server::enc::ParseExpiryKey(k, &at, &key);
        auto meta = all.find(server::enc::MetaKey(server::enc::ReadBe32(k.substr(1)), key));
        server::enc::Meta m;
        if (meta == all.end() || !server::enc::DecodeMeta(meta->second, &m) ||
            m.expire_at_ms != at) {
          return void(Fail("stale expiry entry " + Printable(k)));
        }
      } else if (k[0] == server::enc::kMemberTag) {
        if (versions.count(server::enc::ReadBe64(k.substr(1))) == 0) {
          return void(Fail("orphan member " + Printable(k)));
        }
      } else if (k.starts_with("scount")) {
        const std::uint32_t pdb = server::enc::ReadBe32(k.substr(6));
        if (v.size() != 16 || server::enc::ReadBe64(v) != metas[pdb] ||
            server::enc::ReadBe64(v.substr(8)) != expiring[pdb]) {
          return void(Fail("counts of db " + std::to_string(pdb) + " are " + Printable(v) +
                           ", want " + std::to_string(metas[pdb]) + " keys, " +
                           std::to_string(expiring[pdb]) + " with an expiry"));
        }
      }
    }
    ++stats_.record_checks;
  }
  std::int64_t Now() { return static_cast<std::int64_t>(clock_.NowUnixMillis()); }

  // The model's live key, erasing it when expired (the keyspace may or may not have yet).
  ModelKey* Live(int db, const std::string& key) {
    auto it = model_[db].find(key);
    if (it == model_[db].end()) return nullptr;
    if (it->second.expire_at_ms != 0 && it->second.expire_at_ms <= Now()) {
      model_[db].erase(it);
      return nullptr;
    }
    return &it->second;
  }
  void DropExpired() {
    for (int db = 0; db < kDatabases; ++db) {
      for (auto it = model_[db].begin(); it != model_[db].end();) {
        const bool dead = it->second.expire_at_ms != 0 && it->second.expire_at_ms <= Now();
        it = dead ? model_[db].erase(it) : std::next(it);
      }
    }
  }

  std::string Key() {
    static constexpr char kAlphabet[] = {'a', 'b', '\0', '\xff'};
    std::string k(rng_() % 4, '\0');  // the empty key too
    for (char& c : k) c = kAlphabet[rng_() % sizeof kAlphabet];
    return k;
  }
  std::string Member() { return RandomKey(rng_, 3); }
  std::string Value() { return RandomValue(rng_, 3000); }
  std::int64_t Expiry() {
    switch (rng_() % 4) {
      case 0:  // mostly soon; some far away (their index entries stay to the end)
        return Now() + 1 + static_cast<std::int64_t>(rng_() % 3000) +
               (rng_() % 4 == 0 ? 86'400'000 : 0);
      case 1:
        return Now() - static_cast<std::int64_t>(rng_() % 100);  // now or past
      default:
        return 0;
    }
  }

  // A batch of 1..8 operations on random databases.
  void Batch() {
    ++stats_.batches;
    if (!Ok(ks_->BeginBatch(), "begin batch")) return;
    const int n = 1 + static_cast<int>(rng_() % 8);
    for (int i = 0; i < n && !failed_; ++i) Op();
    auto t = ks_->EndBatch();
    if (Ok(t, "end batch")) Ok(ks_->WaitDurable(*t), "wait durable");
  }

  void Op() {
    const int db = static_cast<int>(rng_() % kDatabases);
    Database& d = ks_->db(db);
    const std::string k = Key();
    ModelKey* mk = Live(db, k);
    const std::string where = "db " + std::to_string(db) + " key " + Printable(k);
    const int opcode = static_cast<int>(rng_() % 13);
    switch (opcode) {
      case 0:
      case 1: {
        ++stats_.strings;
        const std::string v = Value();
        const bool keep = rng_() % 5 == 0;
        const std::int64_t at = keep ? 0 : Expiry();
        if (!keep && at != 0 && at <= Now()) return;  // SET refuses those before the keyspace
        if (!Ok(d.SetString(k, v, {.expire_at_ms = at, .keep_ttl = keep}), "set " + where)) return;
        ModelKey nk;
        nk.value = v;
        nk.expire_at_ms = keep && mk != nullptr ? mk->expire_at_ms : at;
        model_[db][k] = nk;
        return;
      }
      case 2: {
        ++stats_.deletes;
        auto r = d.Delete(k);
        if (!Ok(r, "delete " + where)) return;
        Check(*r == (mk != nullptr), "delete " + where + ": wrong result");
        model_[db].erase(k);
        return;
      }
      case 3: {
        ++stats_.expires;
        const std::int64_t at = Expiry();
        auto r = d.SetExpire(k, at);
        if (!Ok(r, "expire " + where)) return;
        Check(*r == (mk != nullptr), "expire " + where + ": wrong result");
        if (mk == nullptr) return;
        if (at != 0 && at <= Now()) {
          model_[db].erase(k);
        } else {
          mk->expire_at_ms = at;
        }
        return;
      }
      case 4:
      case 5: {
        ++stats_.members;
        if (mk != nullptr && mk->type == ValueType::kString) return;  // the caller's WRONGTYPE
        // Now and then a big one (its delete then goes through a dead-version record).
        const int n = rng_() % 16 == 0 ? 100 : 1;
        for (int i = 0; i < n && !failed_; ++i) {
          const std::string m = n > 1 ? "m" + std::to_string(rng_() % 1000) : Member();
          const std::string v = Value();
          auto r = d.SetMember(k, ValueType::kHash, m, v);
          if (!Ok(r, "set member " + where)) return;
          ModelKey& nk = model_[db][k];
          nk.type = ValueType::kHash;
          Check(*r == (nk.members.count(m) == 0), "set member " + where + ": wrong result");
          nk.members[m] = v;
        }
        return;
      }
      case 6: {
        ++stats_.members;
        if (mk == nullptr || mk->members.empty()) return;
        const std::string m =
            rng_() % 4 == 0
                ? Member()
                : std::next(mk->members.begin(), static_cast<long>(rng_() % mk->members.size()))
                      ->first;
        auto r = d.DeleteMember(k, m);
        if (!Ok(r, "delete member " + where)) return;
        Check(*r == (mk->members.erase(m) == 1), "delete member " + where + ": wrong result");
        if (mk->members.empty()) model_[db].erase(k);
        return;
      }
      case 7:
      case 8:
        return Read(d, db, k, mk);
      case 9:
        return Walk(d, db, k, mk);
      case 10: {
        ++stats_.copies;
        const int tdb = static_cast<int>(rng_() % kDatabases);
        const std::string dst = Key();
        if (tdb == db && dst == k) return;  // COPY's own error
        const bool replace = rng_() % 2 == 0;
        ModelKey* mdst = Live(tdb, dst);
        mk = Live(db, k);
        auto r = d.CopyKey(k, ks_->db(tdb), dst, replace);
        if (!Ok(r, "copy " + where)) return;
        const bool want = mk != nullptr && (mdst == nullptr || replace);
        Check(*r == want, "copy " + where + ": wrong result");
        if (want) model_[tdb][dst] = *mk;
        return;
      }
      case 11: {
        ++stats_.renames;
        const std::string dst = Key();
        Live(db, dst);
        auto r = d.RenameKey(k, dst);
        if (!Ok(r, "rename " + where)) return;
        Check(*r == (mk != nullptr), "rename " + where + ": wrong result");
        if (mk != nullptr && dst != k) {
          ModelKey moved = *mk;
          model_[db].erase(k);
          model_[db][dst] = moved;
        }
        return;
      }
      default:
        if (rng_() % 10 == 0) {
          ++stats_.flushes;
          const bool one = rng_() % 2 == 0;
          if (!Ok(one ? ks_->FlushDb(db) : ks_->FlushAll(), "flush in a batch")) return;
          return void(one ? model_[db].clear() : ClearAll());
        }
        return Read(d, db, k, mk);
    }
  }
  void ClearAll() {
    for (ModelDb& m : model_) m.clear();
  }

  void Read(Database& d, int db, const std::string& k, ModelKey* mk) {
    ++stats_.reads;
    const std::string where = "db " + std::to_string(db) + " key " + Printable(k);
    std::string v;
    auto info = d.Lookup(k, &v);
    if (!Ok(info, "lookup " + where)) return;
    if (mk == nullptr) return Check(!info->has_value(), "lookup " + where + ": want absent");
    if (!info->has_value()) return void(Fail("lookup " + where + ": want present"));
    Check((*info)->type == mk->type, "lookup " + where + ": type");
    Check((*info)->expire_at_ms == mk->expire_at_ms,
          "lookup " + where + ": expiry " + std::to_string((*info)->expire_at_ms) + ", want " +
              std::to_string(mk->expire_at_ms));
    if (mk->type == ValueType::kString) {
      Check(v == mk->value, "lookup " + where + ": " + DiffKV({{k, mk->value}}, {{k, v}}));
      Check((*info)->size == mk->value.size(), "lookup " + where + ": size");
      return;
    }
    Check((*info)->size == mk->members.size(), "lookup " + where + ": member count");
    const std::string m =
        mk->members.empty() || rng_() % 3 == 0
            ? Member()
            : std::next(mk->members.begin(), static_cast<long>(rng_() % mk->members.size()))->first;
    auto got = d.GetMember(k, m);
    if (!Ok(got, "get member " + where)) return;
    auto want = mk->members.find(m);
    if (want == mk->members.end()) {
      Check(!got->has_value(), "get member " + where + ": want absent");
    } else {
      Check(got->has_value() && **got == want->second, "get member " + where + ": value");
    }
  }

  // A walk of the keys (or of k's members) from a random start, compared with the model.
  void Walk(Database& d, int db, const std::string& k, ModelKey* mk) {
    ++stats_.walks;
    const std::string start = rng_() % 2 == 0 ? "" : Key();
    std::vector<std::pair<std::string, std::string>> want, got;
    const bool members = rng_() % 2 == 0;
    if (members && mk != nullptr && mk->type != ValueType::kString) {
      for (auto it = mk->members.lower_bound(start); it != mk->members.end(); ++it) {
        want.emplace_back(*it);
      }
    } else {
      DropExpired();
      for (auto it = model_[db].lower_bound(start); it != model_[db].end(); ++it) {
        want.emplace_back(it->first, "");
      }
    }
    auto c = members && mk != nullptr && mk->type != ValueType::kString ? d.Members(k, start)
                                                                        : d.Keys(start);
    if (!Ok(c, "walk")) return;
    for (; (*c)->Valid(); (*c)->Next()) got.emplace_back((*c)->key(), (*c)->value());
    if (!Ok((*c)->status(), "walk")) return;
    if (got != want) {
      KVMap w(want.begin(), want.end()), g(got.begin(), got.end());
      Fail("walk from " + Printable(start) + " in db " + std::to_string(db) + ": " +
           (w.size() == want.size() ? DiffKV(w, g) : "duplicates"));
    }
  }

  // Flushes and swaps outside a batch (the keyspace makes its own).
  void Outside() {
    const int a = static_cast<int>(rng_() % kDatabases), b = static_cast<int>(rng_() % kDatabases);
    switch (rng_() % 3) {
      case 0:
        ++stats_.flushes;
        if (Ok(ks_->FlushDb(a), "flushdb")) model_[a].clear();
        return;
      case 1:
        ++stats_.flushes;
        if (Ok(ks_->FlushAll(), "flushall")) ClearAll();
        return;
      default:
        ++stats_.swaps;
        if (Ok(ks_->SwapDb(a, b), "swapdb")) std::swap(model_[a], model_[b]);
    }
  }

  void Cycle(std::uint64_t budget) {
    ++stats_.cycles;
    const std::uint64_t before = ks_->stats().expired_keys;
    auto n = ks_->ActiveExpireCycle(budget);
    if (!Ok(n, "expire cycle")) return;
    stats_.expired_seen += ks_->stats().expired_keys - before;
  }

  // Everything reclaimed, every database compared with DBSIZE, then the file's records counted.
  void Finish() {
    for (int i = 0; i < 100000 && !failed_; ++i) {
      auto n = ks_->ActiveExpireCycle(1000);
      if (!Ok(n, "final cycle") || *n == 0) break;
    }
    DropExpired();
    std::uint64_t keys = 0, members = 0, expiries = 0;
    if (!Ok(ks_->BeginBatch(), "begin")) return;
    for (int db = 0; db < kDatabases && !failed_; ++db) {
      auto n = ks_->db(db).KeyCount();
      if (!Ok(n, "dbsize")) break;
      Check(*n == model_[db].size(), "dbsize of db " + std::to_string(db) + ": " +
                                         std::to_string(*n) + ", want " +
                                         std::to_string(model_[db].size()));
      const std::uint64_t expiries_before = expiries;
      for (auto& [k, mk] : model_[db]) {
        Read(ks_->db(db), db, k, &mk);
        ++keys;
        members += mk.members.size();
        expiries += mk.expire_at_ms != 0 ? 1 : 0;
      }
      auto e = ks_->db(db).ExpiringKeyCount();
      if (Ok(e, "expiring key count")) {
        Check(*e == expiries - expiries_before, "expiring keys of db " + std::to_string(db));
      }
    }
    if (!Ok(ks_->EndBatch(), "end")) return;
    if (!Ok(ks_->Close(), "close")) return;
    ks_.reset();
    auto store = bolt::OpenKV(dir_ + "/larder.db");
    if (!Ok(store, "open the data file")) return;
    std::map<char, std::uint64_t> tags;
    {
      auto it = (*store)->NewIterator();
      if (!Ok(it, "iterator")) return;
      for ((*it)->SeekToFirst(); (*it)->Valid(); (*it)->Next()) ++tags[(*it)->key()[0]];
    }
    Check(tags['m'] == keys,
          "meta records " + std::to_string(tags['m']) + ", want " + std::to_string(keys));
    Check(tags['c'] == members,
          "member records " + std::to_string(tags['c']) + ", want " + std::to_string(members));
    Check(tags['x'] == expiries,
          "expiry records " + std::to_string(tags['x']) + ", want " + std::to_string(expiries));
    Check(tags['g'] == 0 && tags['d'] == 0, "dead versions or databases left");
    Ok((*store)->Close(), "close the data file");
  }

  const std::string dir_;
  const std::uint64_t seed_;
  std::mt19937_64 rng_;
  ManualClock clock_{ManualClock::SleepMode::kAdvance, 0, kStartMicros};
  std::unique_ptr<Keyspace> ks_;
  std::vector<ModelDb> model_ = std::vector<ModelDb>(kDatabases);
  Stats stats_;
  int step_ = 0;
  bool failed_ = false;
};

class KeyspaceModelTest : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(KeyspaceModelTest, RandomOperationsMatchModel) {
  TempDir dir;
  const std::uint64_t seed = ModelSeed(GetParam());
  Stats st = ModelRun(dir.File("data"), seed).Run(1500);
  std::cerr << "keyspace model seed " << seed << ": " << st.ops << " calls, " << st.batches
            << " batches (" << st.strings << " sets, " << st.members << " member writes, "
            << st.deletes << " deletes, " << st.expires << " expires, " << st.reads << " reads, "
            << st.walks << " walks, " << st.copies << " copies, " << st.renames << " renames), "
            << st.flushes << " flushes, " << st.swaps << " swaps, " << st.cycles << " cycles ("
            << st.expired_seen << " keys expired), " << st.restarts << " restarts, up to "
            << st.max_keys << " keys\n";
  // Not vacuous.
  EXPECT_GT(st.reads, 500u);
  EXPECT_GT(st.walks, 100u);
  EXPECT_GT(st.expired_seen, 5u);
  EXPECT_GE(st.restarts, 10u);
  EXPECT_EQ(st.record_checks, st.restarts);
  EXPECT_GT(st.max_keys, 20u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, KeyspaceModelTest, ::testing::Values(1, 2, 3));

}  // namespace
}  // namespace larder::test
