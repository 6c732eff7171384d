#include "lsm/level_iterator.h"

#include <utility>

#include "lsm/dbformat.h"

namespace larder::lsm {
namespace {

class LevelIterator final : public InternalIterator {
 public:
  explicit LevelIterator(std::unique_ptr<LevelFiles> files) : files_(std::move(files)) {}

  ~LevelIterator() override { file_.reset(); }  // before the files it reads

  bool Valid() const override { return file_ != nullptr && file_->Valid(); }

  void SeekToFirst() override {
    if (!OpenFile(0)) return;
    file_->SeekToFirst();
    SkipEmptyForward();
  }

  void SeekToLast() override {
    if (!OpenFile(files_->size() - 1)) return;
    file_->SeekToLast();
    SkipEmptyBackward();
  }

  void Seek(std::string_view target) override {
    // The first file whose largest key is >= target.
    std::size_t lo = 0, hi = files_->size();
    while (lo < hi) {
      const std::size_t mid = lo + (hi - lo) / 2;
      if (CompareInternalKeys(files_->largest(mid), target) < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    if (!OpenFile(lo)) return;
    file_->Seek(target);
    SkipEmptyForward();
  }

  void SeekForPrev(std::string_view target) override {
    // The last file whose smallest key is <= target.
    std::size_t lo = 0, hi = files_->size();
    while (lo < hi) {
      const std::size_t mid = lo + (hi - lo) / 2;
      if (CompareInternalKeys(files_->smallest(mid), target) <= 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    if (lo == 0 || !OpenFile(lo - 1)) {
      Close();
      return;
    }
    file_->SeekForPrev(target);
    SkipEmptyBackward();
  }

  void Next() override {
    file_->Next();
    SkipEmptyForward();
  }

  void Prev() override {
    file_->Prev();
    SkipEmptyBackward();
  }

  std::string_view key() const override { return file_->key(); }
  std::string_view value() const override { return file_->value(); }
  Status status() const override { return file_ != nullptr ? file_->status() : Status::Ok(); }

 private:
  // Makes file i current (reusing it when it is open already). False, with no file open, when
  // i is past the end.
  bool OpenFile(std::size_t i) {
    if (i >= files_->size()) {
      Close();
      return false;
    }
    if (file_ == nullptr || index_ != i) {
      file_.reset();
      file_ = files_->NewIterator(i);
      index_ = i;
    }
    return true;
  }

  void Close() { file_.reset(); }

  void SkipEmptyForward() {
    while (!file_->Valid()) {
      if (!file_->status().ok()) return;  // stop on the error
      if (!OpenFile(index_ + 1)) return;
      file_->SeekToFirst();
    }
  }

  void SkipEmptyBackward() {
    while (!file_->Valid()) {
      if (!file_->status().ok()) return;
      if (index_ == 0) {
        Close();
        return;
      }
      OpenFile(index_ - 1);
      file_->SeekToLast();
    }
  }

  std::unique_ptr<LevelFiles> files_;
  std::unique_ptr<InternalIterator> file_;  // the current file, or null
  std::size_t index_ = 0;                   // its index
};

}  // namespace

std::unique_ptr<InternalIterator> NewLevelIterator(std::unique_ptr<LevelFiles> files) {
  return std::make_unique<LevelIterator>(std::move(files));
}

}  // namespace larder::lsm
