// BlockBuilder (block_builder.h).
#include "lsm/block_builder.h"

#include <cassert>

#include "base/coding.h"

namespace larder::lsm {

BlockBuilder::BlockBuilder(int restart_interval) : restart_interval_(restart_interval) {
  assert(restart_interval_ >= 1);
  restarts_.push_back(0);
}

void BlockBuilder::Reset() {
  buffer_.clear();
  restarts_.clear();
  restarts_.push_back(0);
  since_restart_ = 0;
  entries_ = 0;
  last_key_.clear();
  finished_ = false;
}

void BlockBuilder::Add(std::string_view key, std::string_view value) {
  assert(!finished_);
  std::size_t shared = 0;
  if (since_restart_ < restart_interval_) {
    shared = CommonPrefixLength(last_key_, key);
  } else {
    restarts_.push_back(static_cast<std::uint32_t>(buffer_.size()));
    since_restart_ = 0;
  }
  const std::size_t non_shared = key.size() - shared;
  std::uint8_t header[3 * kMaxVarint32Length];
  std::uint8_t* p = EncodeVarint32(header, static_cast<std::uint32_t>(shared));
  p = EncodeVarint32(p, static_cast<std::uint32_t>(non_shared));
  p = EncodeVarint32(p, static_cast<std::uint32_t>(value.size()));
  buffer_.append(reinterpret_cast<const char*>(header), static_cast<std::size_t>(p - header));
  buffer_.append(key.substr(shared));
  buffer_.append(value);
  last_key_.resize(shared);
  last_key_.append(key.substr(shared));
  ++since_restart_;
  ++entries_;
}

std::string_view BlockBuilder::Finish() {
  if (entries_ == 0) restarts_.clear();  // an empty block: no restart points, count 0
  for (const std::uint32_t r : restarts_) PutFixed32(&buffer_, r);
  PutFixed32(&buffer_, static_cast<std::uint32_t>(restarts_.size()));
  finished_ = true;
  return buffer_;
}

}  // namespace larder::lsm
