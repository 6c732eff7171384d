// Damaged LSM databases: a real database (tables on levels 0 and 1, value logs holding inline
// and pointer values, a MANIFEST of several edits, an unflushed log tail) is copied and damaged
// one way at a time: bit flips at sampled offsets of every kind of file, truncation, a missing
// table or value log, stray files. For each copy lsm::Check must name the damaged file, and
// DB::Open followed by a Get of every key and full forward and backward scans must give either
// exactly the data of an allowed state or a Corruption (NotFound for a missing file) naming the
// damaged file: never a crash, a sanitizer report, a hang or a wrong value.
//
// Allowed states. Reads that succeed must show the final state, or, when the damage is in the
// value log that recovery replays (the unflushed tail), the state after an earlier batch of
// that log: recovery is point in time and stops at the first record that is not intact
// (docs/lsm.md, "Open"). The test counts how often each happened and whether only unsynced
// batches were lost.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "larder/lsm/db.h"
#include "tests/util/temp_dir.h"

namespace larder::lsm {
namespace {

namespace fs = std::filesystem;
using KeyMap = std::map<std::string, std::string>;

constexpr int kFlushedBatches = 60;  // batches 0..59 end up in tables
constexpr int kSyncedTail = 10;      // then 10 synced batches in the replayed log
constexpr int kUnsyncedTail = 5;     // and 5 unsynced ones
constexpr int kDamageBatches = kFlushedBatches + kSyncedTail + kUnsyncedTail;

Options DamageDbOptions() {
  Options o;
  o.write_buffer_size = 1 << 20;  // flushes only when the test asks
  o.value_threshold = 100;        // values of 100+ bytes stay in the value log
  o.block_size = 256;
  o.target_file_size = 1 << 10;
  o.max_bytes_for_level_base = 1 << 20;
  o.level0_compaction_trigger = 8;  // no automatic compaction of the few level-0 tables
  o.level0_slowdown_trigger = 16;
  o.level0_stop_trigger = 32;
  o.compression_per_level = {Compression::kNone, Compression::kLz4};
  return o;
}

std::string Key(std::uint64_t i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "k%04u", static_cast<unsigned>(i));
  return buf;
}

// The pristine database, built once: states[b] is the model after batch b.
struct Pristine {
  test::TempDir dir;
  std::string path;
  std::vector<KeyMap> states;
  std::set<std::string> keys;  // every key ever written
  std::vector<Stats::Level> levels;
};

Pristine* BuildPristine() {
  auto* p = new Pristine;
  p->path = p->dir.File("db");
  auto db = DB::Open(p->path, DamageDbOptions());
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  if (!db.ok()) return p;
  std::mt19937_64 rng(1616);
  KeyMap m;
  for (int b = 0; b < kDamageBatches; ++b) {
    WriteBatch batch;
    for (int i = 0; i < 8; ++i) {
      const std::string k = Key(rng() % 240);
      p->keys.insert(k);
      if (b >= 40 && rng() % 6 == 0) {
        batch.Delete(k);
        m.erase(k);
      } else {
        // About a third are pointer values (>= value_threshold), the rest inline.
        const std::size_t n = rng() % 3 == 0 ? 100 + rng() % 300 : 1 + rng() % 60;
        std::string v = k + "@" + std::to_string(b) + ":";
        v.resize(std::max(n, v.size()), static_cast<char>('a' + rng() % 26));
        batch.Put(k, v);
        m[k] = v;
      }
    }
    const bool sync = b < kFlushedBatches + kSyncedTail;
    EXPECT_TRUE((*db)->Write(kv::WriteOptions{.sync = sync}, batch).ok());
    p->states.push_back(m);
    if (b % 10 == 9 && b < kFlushedBatches) {
      EXPECT_TRUE((*db)->Flush().ok());
    }
    if (b == 39) {
      EXPECT_TRUE((*db)->CompactRange(std::nullopt, std::nullopt).ok());
    }
  }
  p->levels = (*db)->GetStats().levels;
  EXPECT_TRUE((*db)->Close().ok());
  return p;
}

Pristine& GetPristine() {
  static Pristine* p = BuildPristine();
  return *p;
}

// One damaged copy of the database: `file` names the damaged file ("" for a stray file).
struct Damage {
  std::string what;  // for messages
  std::string file;  // base name the errors must name
};

enum class Outcome { kExact, kUnsyncedTailLost, kSyncedTailLost, kDetected };

struct Tally {
  int cases = 0, exact = 0, unsynced_lost = 0, synced_lost = 0, detected = 0;
  int check_reported = 0, check_silent = 0;
  std::vector<std::string> check_misses;
};

bool NamesFile(const Status& s, const std::string& file) {
  return file.empty() || s.message().find(file) != std::string::npos;
}

// The states a successful read may show for this damage: indexes into Pristine::states.
std::vector<int> AllowedStates(const Damage& d, const std::string& replayed_log) {
  std::vector<int> allowed = {kDamageBatches - 1};
  if (d.file == replayed_log) {
    for (int b = kDamageBatches - 2; b >= kFlushedBatches - 1; --b) allowed.push_back(b);
  }
  return allowed;
}

// Reads everything from a damaged copy; returns how it went or adds a gtest failure.
// `while_open`, when set, damages the directory after the open and before the reads.
Outcome Verify(const std::string& dir, const Damage& d, const std::vector<int>& allowed,
               bool read_only, const std::function<void(const std::string&)>& while_open) {
  Pristine& p = GetPristine();
  Options o = DamageDbOptions();
  o.read_only = read_only;
  auto db = DB::Open(dir, o);
  if (!db.ok()) {
    const Status& s = db.status();
    EXPECT_TRUE(s.IsCorruption() || s.IsNotFound()) << d.what << ": open: " << s.ToString();
    EXPECT_TRUE(NamesFile(s, d.file)) << d.what << ": open: " << s.ToString();
    return Outcome::kDetected;
  }
  if (while_open) while_open(dir);
  bool detected = false;
  auto error = [&](const Status& s, const char* where) {
    detected = true;
    EXPECT_TRUE(s.IsCorruption() || s.IsNotFound() || s.IsIOError())
        << d.what << ": " << where << ": " << s.ToString();
    EXPECT_TRUE(NamesFile(s, d.file)) << d.what << ": " << where << ": " << s.ToString();
  };
  // What each read said: nullopt = absent. Only successful reads are recorded.
  std::map<std::string, std::optional<std::string>> got;
  for (const std::string& k : p.keys) {
    std::string v;
    Status s = (*db)->Get(k, &v);
    if (s.ok()) {
      got[k] = v;
    } else if (s.IsNotFound()) {
      got[k] = std::nullopt;
    } else {
      error(s, ("Get " + k).c_str());
    }
  }
  std::vector<std::pair<std::string, std::string>> forward, backward;
  {
    auto it = (*db)->NewIterator();
    if (!it.ok()) {
      error(it.status(), "NewIterator");
    } else {
      for ((*it)->SeekToFirst(); (*it)->Valid(); (*it)->Next()) {
        forward.emplace_back((*it)->key(), (*it)->value());
      }
      if (!(*it)->status().ok()) error((*it)->status(), "forward scan");
      for ((*it)->SeekToLast(); (*it)->Valid(); (*it)->Prev()) {
        backward.emplace_back((*it)->key(), (*it)->value());
      }
      if (!(*it)->status().ok()) error((*it)->status(), "backward scan");
    }
  }
  (void)(*db)->Close();
  // Some allowed state must agree with every successful read.
  const bool forward_ok = !detected, backward_ok = !detected;
  std::optional<int> match;
  for (int b : allowed) {
    const KeyMap& m = p.states[b];
    bool agrees = true;
    for (const auto& [k, v] : got) {
      auto it = m.find(k);
      if (v.has_value() ? (it == m.end() || it->second != *v) : it != m.end()) {
        agrees = false;
        break;
      }
    }
    // Scan results: every pair returned must be in the state and in order; a complete scan
    // (no error) must be the whole state.
    for (std::size_t i = 0; agrees && i < forward.size(); ++i) {
      auto it = m.find(forward[i].first);
      agrees = it != m.end() && it->second == forward[i].second &&
               (i == 0 || forward[i - 1].first < forward[i].first);
    }
    for (std::size_t i = 0; agrees && i < backward.size(); ++i) {
      auto it = m.find(backward[i].first);
      agrees = it != m.end() && it->second == backward[i].second &&
               (i == 0 || backward[i - 1].first > backward[i].first);
    }
    if (agrees && forward_ok) agrees = forward.size() == m.size();
    if (agrees && backward_ok) agrees = backward.size() == m.size();
    if (agrees) {
      match = b;
      break;
    }
  }
  EXPECT_TRUE(match.has_value()) << d.what << ": reads match no allowed state (wrong values)";
  if (detected || !match) return Outcome::kDetected;
  if (*match == kDamageBatches - 1) return Outcome::kExact;
  return *match >= kFlushedBatches + kSyncedTail - 1 ? Outcome::kUnsyncedTailLost
                                                     : Outcome::kSyncedTailLost;
}

class LsmDamageTest : public ::testing::Test {
 protected:
  // Copies the pristine database, applies `damage` to the copy, checks and verifies it.
  template <typename Fn>
  void Run(const Damage& d, Fn damage,
           const std::function<void(const std::string&)>& while_open = {}) {
    const std::string copy = CopyPristine("case" + std::to_string(tally_.cases));
    damage(copy);
    ++tally_.cases;
    const std::vector<int> allowed = AllowedStates(d, replayed_log_);
    // Check first: a read-write open may repair (truncate a log tail).
    if (while_open) {
      // Only the reads of an open database are under test.
      EXPECT_EQ(Verify(copy, d, allowed, false, while_open), Outcome::kDetected) << d.what;
      ++tally_.detected;
      fs::remove_all(copy);
      return;
    }
    auto problems = Check(copy, DamageDbOptions());
    bool reported = false;
    if (!problems.ok()) {
      reported = NamesFile(problems.status(), d.file);
      EXPECT_TRUE(reported) << d.what << ": Check: " << problems.status().ToString();
    } else {
      for (const std::string& line : *problems)
        reported |= NamesFile(Status::Corruption(line), d.file);
      if (!problems->empty()) {
        EXPECT_TRUE(reported) << d.what << ": Check names another file: " << (*problems)[0];
      }
    }
    const Outcome out = Verify(copy, d, allowed, tally_.cases % 3 == 0, {});
    switch (out) {
      case Outcome::kExact:
        ++tally_.exact;
        break;
      case Outcome::kUnsyncedTailLost:
        ++tally_.unsynced_lost;
        break;
      case Outcome::kSyncedTailLost:
        ++tally_.synced_lost;
        break;
      case Outcome::kDetected:
        ++tally_.detected;
        break;
    }
    if (reported) {
      ++tally_.check_reported;
    } else if (out == Outcome::kExact || d.file == replayed_log_) {
      // Damage nothing reads, or in the replayed log, where Check cannot tell it from a torn
      // append and recovery keeps the intact prefix (point in time): listed in the output.
      ++tally_.check_silent;
      tally_.check_misses.push_back(d.what);
    } else {
      ADD_FAILURE() << d.what << ": Check reported nothing but reads "
                    << (out == Outcome::kDetected ? "failed" : "lost data");
    }
    fs::remove_all(copy);
  }

  void SetUp() override {
    Pristine& p = GetPristine();
    ASSERT_GE(p.levels.size(), 2u);
    ASSERT_GE(p.levels[0].tables, 2) << "the pristine database needs level-0 tables";
    ASSERT_GE(p.levels[1].tables, 2) << "the pristine database needs level-1 tables";
    for (const auto& e : fs::directory_iterator(p.path)) {
      const std::string name = e.path().filename().string();
      if (name.ends_with(".sst")) tables_.push_back(name);
      if (name.ends_with(".vlog")) vlogs_.push_back(name);
    }
    std::sort(tables_.begin(), tables_.end());
    std::sort(vlogs_.begin(), vlogs_.end());
    ASSERT_GE(vlogs_.size(), 2u);
    replayed_log_ = vlogs_.back();  // the newest: the unflushed tail (same-width numbers)
  }

  void TearDown() override {
    std::cerr << "damage cases: " << tally_.cases << ": " << tally_.exact << " read exactly right, "
              << tally_.detected << " detected (Corruption/NotFound naming the file), "
              << tally_.unsynced_lost << " lost only unsynced batches, " << tally_.synced_lost
              << " lost synced batches of the replayed log (point in time); Check named the "
              << "file in " << tally_.check_reported << ", was silent on " << tally_.check_silent
              << " (listed)\n";
    for (const std::string& m : tally_.check_misses) std::cerr << "  Check silent: " << m << "\n";
  }

  // A copy of the pristine database in the scratch directory, without its LOCK file.
  std::string CopyPristine(const std::string& name) {
    const std::string copy = scratch_.File(name);
    fs::copy(GetPristine().path, copy, fs::copy_options::recursive);
    fs::remove(copy + "/LOCK");
    return copy;
  }
  // A copy (CopyPristine) whose replayed log has the byte at `offset` xor `mask`; *log gets
  // the damaged log's bytes.
  std::string CopyWithReplayedLogFlipped(const std::string& name, std::size_t offset, char mask,
                                         std::string* log) {
    const std::string copy = CopyPristine(name);
    *log = Read(GetPristine().path + "/" + replayed_log_);
    (*log)[offset] = static_cast<char>((*log)[offset] ^ mask);
    Write(copy + "/" + replayed_log_, *log);
    return copy;
  }

  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  static void Write(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

  // Flips one bit at each of `samples` offsets of `name` (one case each): the first and last
  // 64 bytes (headers, footers) densely, the rest at random.
  void FlipBits(const std::string& name, int samples, std::uint64_t seed) {
    const std::string pristine = Read(GetPristine().path + "/" + name);
    ASSERT_FALSE(pristine.empty()) << name;
    std::mt19937_64 rng(seed);
    std::set<std::size_t> offsets;
    for (std::size_t i = 0; i < std::min<std::size_t>(8, pristine.size()); ++i) {
      offsets.insert(i * 7 % pristine.size());
      offsets.insert(pristine.size() - 1 - i * 7 % pristine.size());
    }
    while (static_cast<int>(offsets.size()) < std::min<int>(samples, pristine.size())) {
      offsets.insert(rng() % pristine.size());
    }
    for (std::size_t off : offsets) {
      const int bit = static_cast<int>(rng() % 8);
      Run({name + " bit " + std::to_string(bit) + " at " + std::to_string(off) + "/" +
               std::to_string(pristine.size()),
           name},
          [&](const std::string& dir) {
            std::string f = pristine;
            f[off] = static_cast<char>(f[off] ^ (1 << bit));
            Write(dir + "/" + name, f);
          });
    }
  }

  void Truncate(const std::string& name) {
    const std::string pristine = Read(GetPristine().path + "/" + name);
    for (std::size_t size :
         {std::size_t{0}, pristine.size() / 3, pristine.size() / 2, pristine.size() - 1}) {
      Run({name + " truncated to " + std::to_string(size) + "/" + std::to_string(pristine.size()),
           name},
          [&](const std::string& dir) { Write(dir + "/" + name, pristine.substr(0, size)); });
    }
  }

  test::TempDir scratch_;
  std::vector<std::string> tables_, vlogs_;
  std::string replayed_log_;
  Tally tally_;
};

TEST_F(LsmDamageTest, BitFlipsInTablesAreCorruptionNamingTheTable) {
  for (std::size_t i = 0; i < tables_.size(); ++i) FlipBits(tables_[i], 24, 100 + i);
  EXPECT_EQ(tally_.synced_lost + tally_.unsynced_lost, 0);
}

TEST_F(LsmDamageTest, BitFlipsInValueLogsAndTheManifest) {
  for (std::size_t i = 0; i < vlogs_.size(); ++i) FlipBits(vlogs_[i], 32, 200 + i);
  FlipBits("MANIFEST", 48, 300);
  // Damage to a synced batch of the replayed log is refused (a later sync mark covers it),
  // never recovered past: only unsynced batches may be lost.
  EXPECT_EQ(tally_.synced_lost, 0);
  EXPECT_GT(tally_.unsynced_lost, 0);
}

// Damage in a log's unsynced tail is refused too when a later log holds intact records: a log
// is synced whole before the next one takes writes.
TEST_F(LsmDamageTest, DamageBeforeALaterLogWithRecordsIsRefused) {
  const std::string pristine = Read(GetPristine().path + "/" + replayed_log_);
  std::string f;  // the last, unsynced, batch damaged
  const std::string copy = CopyWithReplayedLogFlipped("later", pristine.size() - 5, 0x01, &f);
  {
    auto db = DB::Open(copy, DamageDbOptions());  // alone, it is a torn tail: point in time
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)->Close().ok());
  }
  Write(copy + "/" + replayed_log_, f);
  Write(copy + "/999999.vlog", pristine);  // a later log with intact records
  auto refused = DB::Open(copy, DamageDbOptions());
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.status().IsCorruption()) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("999999.vlog"), std::string::npos)
      << refused.status().ToString();
  EXPECT_TRUE(fs::exists(copy + "/999999.vlog"));
  EXPECT_EQ(Read(copy + "/" + replayed_log_), f) << "a refused open changed the log";
}

// With drop_synced_writes_after_damage, damage to a synced batch opens at the point before it.
TEST_F(LsmDamageTest, DroppingSyncedWritesAfterDamageIsAnOption) {
  const std::size_t size = Read(GetPristine().path + "/" + replayed_log_).size();
  std::string f;  // damaged inside the synced batches
  const std::string copy = CopyWithReplayedLogFlipped("drop", size / 4, 0x10, &f);
  auto refused = DB::Open(copy, DamageDbOptions());
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.status().IsCorruption()) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("sync mark"), std::string::npos)
      << refused.status().ToString();
  EXPECT_EQ(Read(copy + "/" + replayed_log_), f) << "a refused open changed the log";
  Options o = DamageDbOptions();
  o.drop_synced_writes_after_damage = true;
  auto db = DB::Open(copy, o);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_LT(Read(copy + "/" + replayed_log_).size(), f.size()) << "cut at the damage";
  ASSERT_TRUE((*db)->Close().ok());
}

TEST_F(LsmDamageTest, TruncatedFiles) {
  Truncate(tables_.front());
  Truncate(tables_.back());
  for (const std::string& v : vlogs_) Truncate(v);
  Truncate("MANIFEST");
}

TEST_F(LsmDamageTest, MissingFilesAreNamed) {
  for (const std::string& t : tables_) {
    Run({"missing " + t, t}, [&](const std::string& dir) { fs::remove(dir + "/" + t); });
  }
  for (const std::string& v : vlogs_) {
    Run({"missing " + v, v}, [&](const std::string& dir) { fs::remove(dir + "/" + v); });
  }
  // Removed while the database is open, before any read opened it: reads of its keys must
  // be Corruption naming it, never NotFound as if the keys were absent.
  for (const std::string& t : tables_) {
    Run(
        {"removed while open " + t, t}, [](const std::string&) {},
        [&](const std::string& dir) { fs::remove(dir + "/" + t); });
  }
  Run({"missing MANIFEST", "MANIFEST"},
      [&](const std::string& dir) { fs::remove(dir + "/MANIFEST"); });
}

TEST_F(LsmDamageTest, StrayFilesChangeNothing) {
  const std::string garbage(3000, '\x5a');
  for (const std::string name : {"notes.txt", "999999.sst", "999998.vlog", "000001.sst.tmp"}) {
    Run({"stray " + name, ""}, [&](const std::string& dir) { Write(dir + "/" + name, garbage); });
  }
  EXPECT_EQ(tally_.exact, tally_.cases);
}

}  // namespace
}  // namespace larder::lsm
