#include "queue/storage_layout.h"

#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include <charconv>
#include <set>

namespace larder::queue {

std::string_view DriverName(Driver driver) {
  switch (driver) {
    case Driver::kLsm:
      return "lsm";
    case Driver::kBolt:
      return "bolt";
    case Driver::kMemory:
      return "memory";
  }
  return "?";
}

std::vector<std::uint64_t> StorageLayout::Weights() const {
  std::vector<std::uint64_t> w;
  for (const StorageLocation& l : partition_storage) w.push_back(l.affinity);
  return w;
}

int StorageLayout::Find(std::string_view name) const {
  for (std::size_t i = 0; i < partition_storage.size(); ++i) {
    if (partition_storage[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::string PartitionDir(std::string_view location_dir, std::string_view queue,
                         std::uint32_t number) {
  return fmt::format("{}/{}-{:06d}-partition", location_dir, queue, number);
}

StorageLayout DefaultStorageLayout(const std::string& dir) {
  StorageLayout layout;
  layout.queue_storage = {
      .name = "queue-storage", .driver = Driver::kLsm, .affinity = 0, .dir = dir};
  layout.partition_storage.push_back(
      {.name = "default", .driver = Driver::kLsm, .affinity = 1, .dir = dir});
  return layout;
}

namespace {

// Walks the YAML tree, turning every problem into one InvalidArgument that names the file, the
// line (1-based) and the field's path ("partition-storage[1].affinity").
class LayoutParser {
 public:
  explicit LayoutParser(std::string_view source) : source_(source) {}

  Status Error(const YAML::Node& at, const std::string& field, const std::string& what) const {
    const int line = at.IsDefined() ? at.Mark().line + 1 : 0;
    return Status::InvalidArgument(fmt::format("queue-config {}{}: field '{}': {}", source_,
                                               line > 0 ? fmt::format(":{}", line) : "", field,
                                               what));
  }

  // The keys of `map` must all be in `allowed`.
  Status OnlyKnownKeys(const YAML::Node& map, const std::string& path,
                       std::initializer_list<std::string_view> allowed) const {
    for (auto it = map.begin(); it != map.end(); ++it) {
      const std::string key = it->first.Scalar();
      bool known = false;
      for (std::string_view a : allowed) known = known || key == a;
      if (!known) {
        return Error(it->first, path.empty() ? key : path + "." + key,
                     fmt::format("unknown field (expected one of: {})", fmt::join(allowed, ", ")));
      }
    }
    return Status::Ok();
  }

  Result<std::string> RequiredScalar(const YAML::Node& parent, const YAML::Node& node,
                                     const std::string& field) const {
    if (!node.IsDefined() || node.IsNull()) return Error(parent, field, "missing");
    if (!node.IsScalar()) return Error(node, field, "must be a single value");
    return node.Scalar();
  }

  Status ParseLocation(const YAML::Node& node, const std::string& path, bool partition,
                       StorageLocation* out) const {
    if (!node.IsMap()) return Error(node, path, "must be a mapping");
    if (partition) {
      LARDER_RETURN_IF_ERROR(OnlyKnownKeys(node, path, {"name", "driver", "affinity", "config"}));
      LARDER_ASSIGN_OR_RETURN(out->name, RequiredScalar(node, node["name"], path + ".name"));
      if (out->name.empty()) return Error(node["name"], path + ".name", "must not be empty");
    } else {
      LARDER_RETURN_IF_ERROR(OnlyKnownKeys(node, path, {"driver", "config"}));
      out->name = "queue-storage";
    }
    LARDER_ASSIGN_OR_RETURN(std::string driver,
                            RequiredScalar(node, node["driver"], path + ".driver"));
    if (driver == "lsm") {
      out->driver = Driver::kLsm;
    } else if (driver == "bolt") {
      out->driver = Driver::kBolt;
    } else if (driver == "memory") {
      out->driver = Driver::kMemory;
    } else {
      return Error(node["driver"], path + ".driver",
                   fmt::format("unknown driver '{}' (expected lsm, bolt or memory{})", driver,
                               driver == "badger" ? "; badger's role is the lsm driver's" : ""));
    }
    if (partition) {
      LARDER_ASSIGN_OR_RETURN(std::string affinity,
                              RequiredScalar(node, node["affinity"], path + ".affinity"));
      std::uint64_t value = 0;
      const char* end = affinity.data() + affinity.size();
      auto [ptr, ec] = std::from_chars(affinity.data(), end, value);
      if (affinity.empty() || ec != std::errc() || ptr != end) {
        return Error(node["affinity"], path + ".affinity",
                     fmt::format("'{}' is not a whole number >= 0", affinity));
      }
      out->affinity = value;
    }
    const YAML::Node config = node["config"];
    if (config.IsDefined() && !config.IsNull()) {
      if (!config.IsMap()) return Error(config, path + ".config", "must be a mapping");
      LARDER_RETURN_IF_ERROR(OnlyKnownKeys(config, path + ".config", {"storage-dir"}));
      const YAML::Node dir = config["storage-dir"];
      if (dir.IsDefined() && !dir.IsNull()) {
        if (!dir.IsScalar()) return Error(dir, path + ".config.storage-dir", "must be a path");
        out->dir = dir.Scalar();
      }
    }
    if (out->dir.empty() && out->driver != Driver::kMemory) {
      return Error(node, path + ".config.storage-dir",
                   fmt::format("missing (the {} driver keeps files)", DriverName(out->driver)));
    }
    return Status::Ok();
  }

  Result<StorageLayout> Parse(std::string_view text) const {
    YAML::Node root;
    try {
      root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
      return Status::InvalidArgument(
          fmt::format("queue-config {}:{}: not valid YAML: {}", source_, e.mark.line + 1, e.msg));
    }
    if (!root.IsMap()) {
      return Status::InvalidArgument(
          fmt::format("queue-config {}: expected a mapping with queue-storage and "
                      "partition-storage",
                      source_));
    }
    LARDER_RETURN_IF_ERROR(OnlyKnownKeys(root, "", {"queue-storage", "partition-storage"}));
    StorageLayout layout;
    const YAML::Node qs = root["queue-storage"];
    if (!qs.IsDefined() || qs.IsNull()) return Error(root, "queue-storage", "missing");
    LARDER_RETURN_IF_ERROR(ParseLocation(qs, "queue-storage", false, &layout.queue_storage));
    const YAML::Node ps = root["partition-storage"];
    if (!ps.IsDefined() || ps.IsNull()) return Error(root, "partition-storage", "missing");
    if (!ps.IsSequence() || ps.size() == 0) {
      return Error(ps, "partition-storage", "must be a list of at least one location");
    }
    std::set<std::string> names;
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < ps.size(); ++i) {
      const std::string path = fmt::format("partition-storage[{}]", i);
      StorageLocation loc;
      LARDER_RETURN_IF_ERROR(ParseLocation(ps[i], path, true, &loc));
      if (!names.insert(loc.name).second) {
        return Error(ps[i]["name"], path + ".name", fmt::format("duplicate name '{}'", loc.name));
      }
      total += loc.affinity;
      layout.partition_storage.push_back(std::move(loc));
    }
    if (total == 0) {
      return Error(ps, "partition-storage",
                   "the affinities add up to 0: no location could hold a partition");
    }
    return layout;
  }

 private:
  std::string source_;
};

}  // namespace

Result<StorageLayout> ParseStorageLayout(std::string_view yaml, std::string_view source) {
  try {
    return LayoutParser(source).Parse(yaml);
  } catch (const YAML::Exception& e) {  // yaml-cpp throws on some conversions: none escape
    return Status::InvalidArgument(
        fmt::format("queue-config {}:{}: {}", source, e.mark.line + 1, e.msg));
  }
}

Result<StorageLayout> LoadStorageLayout(FileSystem* fs, const std::string& path) {
  std::string text;
  Status s = ReadWholeFile(fs, path, &text);
  if (!s.ok()) return Status(s.code(), "queue-config " + path + ": " + std::string(s.message()));
  return ParseStorageLayout(text, path);
}

}  // namespace larder::queue
