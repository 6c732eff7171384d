#include "tests/util/kv_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <vector>

namespace larder::test {

std::size_t LargeValueFor(std::uint32_t page_size) {
  return std::min<std::size_t>(std::size_t{page_size} * 2, std::size_t{40} << 10);
}

std::string RandomValue(std::mt19937_64& rng, std::size_t large) {
  std::size_t n;
  switch (rng() % 16) {
    case 0:
      n = 0;
      break;
    case 1:
      n = large + rng() % (large + 1);
      break;
    default:
      n = rng() % 120;
  }
  std::string v(n, '\0');
  for (char& c : v) c = static_cast<char>(rng());
  return v;
}

std::string RandomKey(std::mt19937_64& rng, std::size_t max_len) {
  static constexpr char kAlphabet[] = {'a', 'b', 'c', '\0', '\x7f', '\x80', '\xff'};
  std::string k(1 + rng() % max_len, '\0');
  for (char& c : k) c = kAlphabet[rng() % sizeof kAlphabet];
  return k;
}

std::uint64_t ModelSeed(std::uint64_t fallback) {
  const char* v = std::getenv("LARDER_MODEL_SEED");
  return v != nullptr ? std::strtoull(v, nullptr, 10) : fallback;
}

std::string Printable(std::string_view bytes, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  if (bytes.size() > max) out += "...(" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

std::string DiffKV(const KVMap& want, const KVMap& got) {
  auto w = want.begin();
  auto g = got.begin();
  for (; w != want.end() && g != got.end(); ++w, ++g) {
    if (w->first != g->first) {
      const bool missing = w->first < g->first;
      return (missing ? "missing key " + Printable(w->first) : "extra key " + Printable(g->first));
    }
    if (w->second != g->second) {
      std::size_t at = 0;
      while (at < w->second.size() && at < g->second.size() && w->second[at] == g->second[at]) {
        ++at;
      }
      return "key " + Printable(w->first) + ": value of " + std::to_string(g->second.size()) +
             " bytes, want " + std::to_string(w->second.size()) + ", first difference at byte " +
             std::to_string(at);
    }
  }
  if (w != want.end()) return "missing key " + Printable(w->first);
  if (g != got.end()) return "extra key " + Printable(g->first);
  return "";
}

Result<KVMap> ReadAll(kv::ReadView& view) {
  LARDER_ASSIGN_OR_RETURN(std::unique_ptr<kv::Iterator> it, view.NewIterator());
  KVMap out;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out.emplace(std::string(it->key()), std::string(it->value()));
  }
  if (!it->status().ok()) return it->status();
  return out;
}

namespace {

// Whether `view` holds exactly `m`, compared entry by entry as the iterator goes (no copy of
// the store: the model runs hold values of up to 128 KiB).
bool SameEntries(kv::ReadView& view, const KVMap& m) {
  auto it = view.NewIterator();
  if (!it.ok()) return false;
  auto want = m.begin();
  for ((*it)->SeekToFirst(); (*it)->Valid(); (*it)->Next(), ++want) {
    if (want == m.end() || (*it)->key() != want->first || (*it)->value() != want->second) {
      return false;
    }
  }
  return (*it)->status().ok() && want == m.end();
}

// One run; Fail() reports through gtest and stops the run.
class ModelRun {
 public:
  ModelRun(const KVOpener& open, const KVModelOptions& o) : open_(open), o_(o), rng_(o.seed) {}

  KVModelStats Run() {
    if (!Reopen()) return stats_;
    for (step_ = 0; step_ < o_.steps && !failed_; ++step_) {
      if (o_.reopen_every > 0 && step_ % o_.reopen_every == o_.reopen_every - 1) {
        snaps_.clear();
        Status s = store_->Close();
        if (!s.ok()) return Fail("close: " + s.ToString()), stats_;
        store_.reset();
        ++stats_.reopens;
        if (!Reopen() || !CheckAll(*store_, model_, "after reopen")) return stats_;
        continue;
      }
      Step();
      stats_.max_keys = std::max(stats_.max_keys, model_.size());
    }
    if (!failed_) CheckAll(*store_, model_, "at the end");
    snaps_.clear();
    if (store_ != nullptr && !failed_) {
      Status s = store_->Close();
      if (!s.ok()) Fail("close: " + s.ToString());
    }
    return stats_;
  }

 private:
  struct HeldSnapshot {
    std::unique_ptr<kv::Snapshot> snap;
    KVMap model;
  };

  bool Fail(const std::string& what) {
    ADD_FAILURE() << "kv model seed " << o_.seed << " (LARDER_MODEL_SEED=" << o_.seed
                  << " replays it), step " << step_ << ": " << what;
    failed_ = true;
    return false;
  }
  bool Ok(const Status& s, const char* what) {
    ++stats_.ops;
    return s.ok() || Fail(std::string(what) + ": " + s.ToString());
  }

  bool Reopen() {
    auto s = open_();
    ++stats_.ops;
    if (!s.ok()) return Fail("open: " + s.status().ToString());
    store_ = std::move(*s);
    return true;
  }

  // A key: usually one the model holds (when it holds any), else a random one.
  std::string PickKey(const KVMap& m) {
    if (!m.empty() && rng_() % 3 != 0) {
      return std::next(m.begin(), static_cast<std::ptrdiff_t>(rng_() % m.size()))->first;
    }
    return RandomKey(rng_, o_.max_key_len);
  }

  void Step() {
    if (o_.transactions && rng_() % 10 == 0) return TransactionStep();
    const int op = static_cast<int>(rng_() % 100);
    kv::WriteOptions wo{.sync = rng_() % 2 == 0};
    if (op < 30) {
      std::string k = RandomKey(rng_, o_.max_key_len), v = RandomValue(rng_, o_.large);
      if (Ok(store_->Put(wo, k, v), "put")) model_[k] = v;
      ++stats_.writes;
    } else if (op < 40) {
      std::string k = PickKey(model_);
      if (Ok(store_->Delete(wo, k), "delete")) model_.erase(k);
      ++stats_.writes;
    } else if (op < 55) {
      WriteBatchStep(wo);
    } else if (op < 70) {
      GetStep(*store_, model_);
    } else if (op < 82) {
      IteratorStep(*store_, model_, /*write_midway=*/rng_() % 3 == 0);
    } else if (op < 88) {
      if (snaps_.size() < 3) {
        auto s = store_->GetSnapshot();
        if (!Ok(s.status(), "snapshot")) return;
        snaps_.push_back({std::move(*s), model_});
        ++stats_.snapshots;
      }
    } else if (op < 95) {
      if (snaps_.empty()) return;
      HeldSnapshot& h = snaps_[rng_() % snaps_.size()];
      ++stats_.snapshot_checks;
      if (rng_() % 4 == 0) {
        CheckAll(*h.snap, h.model, "snapshot");
      } else if (rng_() % 2 == 0) {
        GetStep(*h.snap, h.model, rng_() % 2 == 0);
      } else {
        IteratorStep(*h.snap, h.model, false);
      }
    } else if (op < 97) {
      if (!snaps_.empty()) snaps_.erase(snaps_.begin() + rng_() % snaps_.size());
    } else {
      CheckAll(*store_, model_, "full compare");
    }
  }

  // A transaction of random writes and reads, each read compared with the transaction's
  // model, while reads of the store (and held snapshots) still see the last commit; then a
  // commit, a Rollback or the transaction's destruction.
  void TransactionStep() {
    auto begun = store_->BeginTransaction();
    if (!Ok(begun.status(), "begin transaction")) return;
    std::unique_ptr<kv::Transaction> tx = std::move(*begun);
    ++stats_.transactions;
    KVMap tm = model_;
    const int n = static_cast<int>(rng_() % 40);
    for (int i = 0; i < n && !failed_; ++i) {
      switch (rng_() % 9) {
        case 0:
        case 1: {
          std::string k = RandomKey(rng_, o_.max_key_len), v = RandomValue(rng_, o_.large);
          if (Ok(tx->Put(k, v), "transaction put")) tm[k] = v;
          ++stats_.tx_writes;
          break;
        }
        case 2: {
          std::string k = PickKey(tm);
          if (rng_() % 2 == 0) {
            if (Ok(tx->Delete(k), "transaction delete")) tm.erase(k);
          } else {
            TakeStep(*tx, tm, k);
          }
          ++stats_.tx_writes;
          break;
        }
        case 3: {
          ModelUndo undo;
          kv::WriteBatch b = RandomBatch(tm, &undo);
          if (!Ok(tx->Write(b), "transaction write batch")) undo.Revert(&tm);
          ++stats_.tx_writes;
          break;
        }
        case 4:
        case 5:
          GetStep(*tx, tm, rng_() % 2 == 0);
          break;
        case 6:
          IteratorStep(*tx, tm, /*write_midway=*/false);
          break;
        case 7:
          // Outside the transaction: the last committed state.
          GetStep(*store_, model_);
          break;
        default:
          if (rng_() % 4 != 0) {  // whole compares are costly at thousands of keys
            GetStep(*tx, tm);
          } else if (rng_() % 2 == 0) {
            CheckAll(*tx, tm, "inside a transaction");
          } else if (!snaps_.empty()) {
            CheckAll(*snaps_.back().snap, snaps_.back().model, "snapshot during a transaction");
          } else {
            CheckAll(*store_, model_, "store during a transaction");
          }
      }
    }
    if (failed_) return;
    switch (rng_() % 6) {
      case 0:
        if (Ok(tx->Rollback(), "rollback")) ++stats_.tx_rollbacks;
        break;
      case 1:
        tx.reset();  // destroyed open: rolled back
        ++stats_.tx_rollbacks;
        break;
      default:
        if (Ok(tx->Commit({.sync = rng_() % 2 == 0}), "commit")) {
          model_ = std::move(tm);
          ++stats_.tx_commits;
        }
    }
    tx.reset();
    if (rng_() % 4 == 0) CheckAll(*store_, model_, "after a transaction");
  }

  void WriteBatchStep(const kv::WriteOptions& wo) {
    ModelUndo undo;
    kv::WriteBatch b = RandomBatch(model_, &undo);
    ++stats_.writes;
    stats_.batch_entries += b.Count();
    if (!Ok(store_->Write(wo, b), "write batch")) undo.Revert(&model_);
  }

  // What a batch changed in a model, to take it back if the write fails (cheaper than copying
  // a model that holds large values for every batch).
  class ModelUndo {
   public:
    void Saw(const KVMap& m, const std::string& k) {
      auto it = m.find(k);
      old_.emplace_back(k, it == m.end() ? std::nullopt : std::optional<std::string>(it->second));
    }
    void Revert(KVMap* m) {
      for (auto it = old_.rbegin(); it != old_.rend(); ++it) {
        if (it->second.has_value()) {
          (*m)[it->first] = *it->second;
        } else {
          m->erase(it->first);
        }
      }
    }

   private:
    std::vector<std::pair<std::string, std::optional<std::string>>> old_;
  };

  // A random batch of up to 23 entries, applied to *next as it is built (each change recorded
  // in *undo first).
  kv::WriteBatch RandomBatch(KVMap& next, ModelUndo* undo) {
    kv::WriteBatch b;
    const int n = static_cast<int>(rng_() % 24);  // 0: an empty batch
    for (int i = 0; i < n; ++i) {
      // Some entries revisit a key of the same batch: the later entry must win.
      std::string k =
          rng_() % 5 == 0 && !next.empty() ? PickKey(next) : RandomKey(rng_, o_.max_key_len);
      undo->Saw(next, k);
      if (rng_() % 4 == 0) {
        b.Delete(k);
        next.erase(k);
      } else {
        std::string v = RandomValue(rng_, o_.large);
        b.Put(k, v);
        next[k] = v;
      }
    }
    return b;
  }

  // Transaction::Take of `k`: the value the model has and the key gone, or NotFound.
  void TakeStep(kv::Transaction& tx, KVMap& m, const std::string& k) {
    const bool want_value = rng_() % 4 != 0;
    std::string got = "(not set)";
    Status s = tx.Take(k, want_value ? &got : nullptr);
    ++stats_.takes;
    ++stats_.ops;
    CheckRead("take", k, s, want_value ? std::optional<std::string_view>(got) : std::nullopt, m);
    if (s.ok()) m.erase(k);
  }

  // The outcome of a read of `k` against the model: NotFound when `m` lacks it, else OK and
  // (unless `got` is nullopt) the model's value.
  void CheckRead(const char* what, const std::string& k, const Status& s,
                 std::optional<std::string_view> got, const KVMap& m) {
    auto it = m.find(k);
    const std::string prefix = std::string(what) + " " + Printable(k) + ": ";
    if (it == m.end()) {
      if (!s.IsNotFound()) Fail(prefix + "want NotFound, got " + s.ToString());
    } else if (!s.ok()) {
      Fail(prefix + s.ToString());
    } else if (got && *got != it->second) {
      Fail(prefix + DiffKV({*it}, {{k, std::string(*got)}}));
    }
  }

  // A Get through `view`, or with `use_view`, a Snapshot's or Transaction's GetView (the view,
  // not a copy).
  void GetStep(kv::ReadView& view, const KVMap& m, bool use_view = false) {
    std::string k = PickKey(m);
    std::string_view got;
    Status s;
    if (auto* snap = dynamic_cast<kv::Snapshot*>(&view); use_view && snap != nullptr) {
      s = snap->GetView(k, &got);
    } else if (auto* tx = dynamic_cast<kv::Transaction*>(&view); use_view && tx != nullptr) {
      s = tx->GetView(k, &got);
    } else {
      s = view.Get(k, &value_);
      got = value_;
    }
    ++stats_.gets;
    ++stats_.ops;
    CheckRead("get", k, s, got, m);
  }

  bool CheckAll(kv::ReadView& view, const KVMap& m, const char* what) {
    ++stats_.ops;
    if (SameEntries(view, m)) return true;
    auto got = ReadAll(view);  // a difference: read it all to describe it
    if (!got.ok()) return Fail(std::string(what) + ": " + got.status().ToString());
    std::string diff = DiffKV(m, *got);
    return diff.empty() || Fail(std::string(what) + ": " + diff);
  }

  // Random bounds, a random seek, then random steps in both directions, each position compared
  // with the model's entries in the bounds. With `write_midway`, a write lands after the
  // iterator is made: it must not see it.
  void IteratorStep(kv::ReadView& view, const KVMap& m, bool write_midway) {
    kv::IteratorOptions io;
    std::string lo = PickKey(m), hi = PickKey(m);
    if (rng_() % 3 == 0) io.lower_bound = lo;
    if (rng_() % 3 == 0) io.upper_bound = hi;
    auto made = view.NewIterator(io);
    if (!Ok(made.status(), "new iterator")) return;
    std::unique_ptr<kv::Iterator> it = std::move(*made);
    const std::optional<std::string> lower(io.lower_bound), upper(io.upper_bound);
    lo.assign(8, 'x');  // the iterator copied its bounds: changing ours must not matter
    hi.assign(8, 'x');
    // The model's entries within the bounds, as of the iterator's creation.
    std::vector<const std::pair<const std::string, std::string>*> want;
    for (const auto& e : m) {
      if ((lower && e.first < *lower) || (upper && e.first >= *upper)) continue;
      want.push_back(&e);
    }
    if (write_midway) {
      // A new key (the entries `want` points to stay as they are).
      std::string k = RandomKey(rng_, o_.max_key_len);
      if (model_.count(k) == 0) {
        if (!Ok(store_->Put({}, k, "midway"), "put while iterating")) return;
        model_[k] = "midway";
      }
    }
    auto key_less = [](const auto* e, const std::string& t) { return e->first < t; };
    std::ptrdiff_t pos;
    const std::string target = PickKey(m);
    switch (rng_() % 4) {
      case 0:
        it->SeekToFirst();
        pos = 0;
        break;
      case 1:
        it->SeekToLast();
        pos = static_cast<std::ptrdiff_t>(want.size()) - 1;
        break;
      case 2:
        it->Seek(target);
        pos = std::lower_bound(want.begin(), want.end(), target, key_less) - want.begin();
        break;
      default:
        it->SeekForPrev(target);
        pos = std::upper_bound(want.begin(), want.end(), target,
                               [](const std::string& t, const auto* e) { return t < e->first; }) -
              want.begin() - 1;
    }
    const int steps = static_cast<int>(rng_() % 40);
    for (int i = 0;; ++i) {
      ++stats_.iterator_moves;
      ++stats_.ops;
      const bool valid = pos >= 0 && pos < static_cast<std::ptrdiff_t>(want.size());
      if (!it->status().ok()) return void(Fail("iterator: " + it->status().ToString()));
      if (it->Valid() != valid) {
        return void(Fail(
            std::string("iterator move ") + std::to_string(i) + ": Valid() is " +
            (valid ? "false" : "true") + ", want " + (valid ? "true" : "false") +
            (valid ? " at key " + Printable(want[static_cast<std::size_t>(pos)]->first) : "")));
      }
      if (!valid || i == steps) return;
      const auto& [wk, wv] = *want[static_cast<std::size_t>(pos)];
      if (it->key() != wk || it->value() != wv) {
        return void(Fail("iterator move " + std::to_string(i) + ": at " + Printable(it->key()) +
                         ", want " + Printable(wk) + "; " +
                         DiffKV({{wk, wv}}, {{std::string(it->key()), std::string(it->value())}})));
      }
      const std::uint64_t move = rng_() % 6;
      if (move < 2) {
        it->Prev();
        --pos;
      } else if (move == 2) {
        // Across leaf pages now and then (bolt: about 50 small entries a page).
        const std::uint64_t n = rng_() % 4 == 0 ? rng_() % 400 : rng_() % 8;
        it->Skip(n);
        pos += static_cast<std::ptrdiff_t>(n);
        ++stats_.skips;
      } else {
        it->Next();
        ++pos;
      }
    }
  }

  const KVOpener& open_;
  const KVModelOptions o_;
  std::mt19937_64 rng_;
  std::unique_ptr<kv::Store> store_;
  KVMap model_;
  std::vector<HeldSnapshot> snaps_;
  std::string value_;
  KVModelStats stats_;
  int step_ = 0;
  bool failed_ = false;
};

}  // namespace

KVModelStats RunKVModel(const KVOpener& open, const KVModelOptions& options) {
  return ModelRun(open, options).Run();
}

}  // namespace larder::test
