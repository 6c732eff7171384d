// Arbitrary bytes as an LSM MANIFEST, and as one encoded VersionEdit: decode the edit; recover
// a VersionSet from the MANIFEST read-only and read-write, append an edit and recover again. A
// crash, a sanitizer report, or a broken contract (a status other than OK or Corruption, an
// accepted edit that does not re-encode to itself, a recovered state with overlapping levels, a
// state that does not survive a reopen) is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "larder/file_system.h"
#include "larder/lsm/options.h"
#include "lsm/version_edit.h"
#include "lsm/version_set.h"

namespace fuzz_lsm_manifest {

using namespace larder;
using namespace larder::lsm;

void Require(bool ok) {
  if (!ok) std::abort();
}

void CheckEdit(std::string_view bytes) {
  VersionEdit edit;
  const Status s = edit.DecodeFrom(bytes);
  Require(s.ok() || s.IsCorruption());
  if (!s.ok()) return;
  std::string again;
  edit.EncodeTo(&again);
  VersionEdit edit2;
  Require(edit2.DecodeFrom(again).ok() && edit2 == edit);
}

void CheckVersion(const Version& v) {
  for (int level = 1; level < v.num_levels(); ++level) {
    const auto& files = v.files(level);
    for (std::size_t i = 1; i < files.size(); ++i) {
      Require(CompareInternalKeys(files[i - 1]->largest, files[i]->smallest) < 0);
    }
  }
}

std::string State(const VersionSet& vs) {
  return vs.current()->DebugString() + std::to_string(vs.log_number()) + "@" +
         std::to_string(vs.log_offset()) + "/" + std::to_string(vs.last_sequence());
}

void CheckManifest(const std::uint8_t* data, std::size_t size) {
  auto fs = NewMemFileSystem(std::size_t{1} << 24);
  Require(fs->CreateDirs("/db").ok());
  {
    auto f = fs->Open("/db/MANIFEST", {.create = true});
    if (!f.ok() || !(*f)->WriteAt(0, {data, size}).ok()) return;
  }
  Options options;
  options.num_levels = 7;
  options.read_only = true;
  std::string read_only_state;
  {
    VersionSet vs("/db", fs.get(), options);
    const Status s = vs.Recover();
    Require(s.ok() || s.IsCorruption());
    if (!s.ok()) return;
    CheckVersion(*vs.current());
    read_only_state = State(vs);
  }
  options.read_only = false;
  std::string state;
  {
    VersionSet vs("/db", fs.get(), options);
    Require(vs.Recover().ok());  // what read-only accepted, read-write accepts
    Require(State(vs) == read_only_state);
    VersionEdit edit;
    edit.SetLogNumber(vs.NewFileNumber());
    Require(vs.LogAndApply(&edit).ok());
    state = State(vs);
  }
  VersionSet vs("/db", fs.get(), options);
  Require(vs.Recover().ok());
  Require(State(vs) == state);
}

}  // namespace fuzz_lsm_manifest

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fuzz_lsm_manifest;
  CheckEdit({reinterpret_cast<const char*>(data), size});
  CheckManifest(data, size);
  return 0;
}
