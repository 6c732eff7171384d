#include "server/client.h"

#include <fmt/format.h>

#include <utility>

#include "base/logging.h"

namespace larder::server {

Client::Client(std::uint64_t id, int fd, std::string addr, std::string laddr, ClientWaker* waker,
               std::int64_t now_ms)
    : id_(id),
      fd_(fd),
      addr_(std::move(addr)),
      laddr_(std::move(laddr)),
      waker_(waker),
      created_ms_(now_ms),
      last_interaction_ms_(now_ms) {}

std::string Client::Flags() const {
  // A fixed buffer rather than std::string appends: GCC 12's -Wrestrict misfires on the latter
  // at -O2.
  char flags[8];
  std::size_t n = 0;
  if (multi.active) flags[n++] = 'x';
  if (blocked) flags[n++] = 'b';
  if (watch_dirty) flags[n++] = 'd';
  if (subscription_count() > 0) flags[n++] = 'P';
  if (monitor) flags[n++] = 'O';
  if (close_requested() || close_after_reply) flags[n++] = 'A';
  if (n == 0) flags[n++] = 'N';
  return std::string(flags, n);
}

std::string Client::InfoLine(std::int64_t now_ms) const {
  const std::size_t qbuf = query_buffer_bytes();
  const std::size_t omem = output_bytes();
  const std::int64_t age = (now_ms - created_ms_) / 1000;
  const std::int64_t idle = (now_ms - last_interaction_ms()) / 1000;
  const long long multi_count = multi.active ? static_cast<long long>(multi.queued.size()) : -1;
  return fmt::format(
      "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} "
      "ssub={} multi={} qbuf={} qbuf-free={} argv-mem=0 multi-mem=0 rbs=16384 rbp=0 obl=0 "
      "oll=0 omem={} tot-mem={} events=r cmd={} user=default redir=-1 resp={}",
      id_, addr_, laddr_, fd_, name, age < 0 ? 0 : age, idle < 0 ? 0 : idle, Flags(), db,
      channels.size(), patterns.size(), shard_channels.size(), multi_count, qbuf,
      qbuf < 16384 ? 16384 - qbuf : 0, omem, qbuf + omem + 16384,
      last_command.empty() ? "NULL" : last_command, protocol);
}

bool Client::OverLimitLocked(const OutputBufferLimit& limit, std::int64_t now_ms) {
  const std::uint64_t used = out_.size() + taken_unsent_;
  if (limit.hard_bytes > 0 && used >= limit.hard_bytes) return true;
  if (limit.soft_bytes > 0 && used >= limit.soft_bytes) {
    if (soft_limit_since_ms_ == 0) {
      soft_limit_since_ms_ = now_ms;
    } else if (now_ms - soft_limit_since_ms_ > limit.soft_seconds * 1000) {
      return true;
    }
  } else {
    soft_limit_since_ms_ = 0;
  }
  return false;
}

bool Client::Deliver(std::string_view bytes, const OutputBufferLimit& limit, std::int64_t now_ms) {
  bool accepted = true;
  {
    MutexLock lock(&out_mu_);
    if (close_.load(std::memory_order_relaxed)) return false;
    out_.append(bytes);
    if (OverLimitLocked(limit, now_ms)) {
      SetCloseLocked(fmt::format("output buffer limit reached ({} bytes pending)",
                                 out_.size() + taken_unsent_));
      LARDER_LOG_WARN("closing client id={} addr={}: {}", id_, addr_, close_reason_);
      std::string().swap(out_);
      accepted = false;
    }
    PublishOutputBytesLocked();
  }
  if (waker_ != nullptr) waker_->Wake(*this);
  return accepted;
}

void Client::RequestClose(std::string_view reason) {
  {
    MutexLock lock(&out_mu_);
    if (!SetCloseLocked(std::string(reason))) return;
  }
  if (waker_ != nullptr) waker_->Wake(*this);
}

void Client::Resume() {
  paused_.store(false, std::memory_order_release);
  if (waker_ != nullptr) waker_->Wake(*this);
}

bool Client::SetCloseLocked(std::string reason) {
  if (close_.load(std::memory_order_relaxed)) return false;
  close_reason_ = std::move(reason);
  close_.store(true, std::memory_order_release);
  return true;
}

std::string Client::TakeOutput() {
  MutexLock lock(&out_mu_);
  std::string taken;
  taken.swap(out_);
  PublishOutputBytesLocked();
  return taken;
}

bool Client::CheckOutputLimit(const OutputBufferLimit& limit, std::int64_t now_ms) {
  {
    MutexLock lock(&out_mu_);
    if (close_.load(std::memory_order_relaxed) || !OverLimitLocked(limit, now_ms)) return false;
    SetCloseLocked(fmt::format("output buffer soft limit exceeded for {} s", limit.soft_seconds));
    LARDER_LOG_WARN("closing client id={} addr={}: {}", id_, addr_, close_reason_);
    std::string().swap(out_);
    PublishOutputBytesLocked();
  }
  if (waker_ != nullptr) waker_->Wake(*this);
  return true;
}

void Client::TakeForSend(std::string* buf) {
  MutexLock lock(&out_mu_);
  buf->swap(out_);
  taken_unsent_ = buf->size();
  PublishOutputBytesLocked();
}

void Client::NoteUnsent(std::size_t unsent) {
  MutexLock lock(&out_mu_);
  taken_unsent_ = unsent;
  PublishOutputBytesLocked();
}

std::string Client::close_reason() const {
  MutexLock lock(&out_mu_);
  return close_reason_;
}

}  // namespace larder::server
