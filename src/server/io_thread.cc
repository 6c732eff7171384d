#include "server/io_thread.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <span>
#include <utility>

#include "base/logging.h"
#include "server/blocking.h"
#include "server/dispatcher.h"
#include "server/keyspace.h"
#include "server/run_in_batch.h"
#include "server/server.h"

namespace larder::server {

namespace {
thread_local IoThread* tls_current = nullptr;  // the IoThread running on this thread, if any

constexpr std::size_t kMinRead = 16 * 1024;
// ReadFrom's buffer for reads of at most kMinRead bytes (one per I/O thread).
thread_local char tls_read_buf[kMinRead];
constexpr std::size_t kKeepSendCapacity = 1 << 20;

ParserLimits LimitsOf(const ServerConfig& config) {
  ParserLimits limits;
  limits.max_bulk_len = config.proto_max_bulk_len;
  return limits;
}
}  // namespace

// A connection's [O] state (client.h): this thread only.
struct IoThread::Conn {
  std::shared_ptr<Client> client;
  int fd = -1;
  std::string qbuf;
  std::size_t qpos = 0;  // qbuf[0, qpos) is consumed (run or parsed for this round)
  RespParser parser;
  std::string sending;  // taken from the client's output, being written
  std::size_t sending_off = 0;
  std::uint32_t interest = 0;  // epoll events registered
  bool in_ready = false;
  bool in_dirty = false;
  bool in_closing = false;
  bool closed = false;
  bool eof = false;                // the peer finished sending: close once replies are out
  bool close_after_flush = false;  // QUIT, protocol error
  bool more = false;               // complete commands left unrun (round cap or backpressure)
  bool skip_rest = false;          // during a batch: run no more of this connection's commands
  // The client is paused (blocked, blocking.h) and input is left unrun: parse it again once
  // Flush sees the pause over (Client::Resume wakes this thread).
  bool held = false;
  // requirepass is set and the client has not authenticated: the parser's tighter limits apply,
  // and one command is parsed per round (an AUTH changes the limits for what follows). Copied
  // from the client's [E] state with the execution lock held after each batch.
  bool unauthenticated = false;
};

// One parsed command. The views point into the connection's qbuf (unchanged until the batch
// has run) or into `owned` (inline commands the parser rewrote). Up to kInlineArgs arguments
// are kept in the object itself (no allocation per command); more go to `more_args`.
struct IoThread::Parsed {
  static constexpr std::size_t kInlineArgs = 4;
  Conn* conn = nullptr;
  std::size_t start = 0;  // offset of the command in conn->qbuf
  std::size_t argc = 0;
  std::array<std::string_view, kInlineArgs> inline_args;
  std::vector<std::string_view> more_args;
  std::vector<std::string> owned;
  std::string protocol_error;  // non-empty: reply it and close

  template <typename It>
  void SetArgs(It first, It last) {
    argc = static_cast<std::size_t>(last - first);
    if (argc <= kInlineArgs) {
      std::copy(first, last, inline_args.begin());
    } else {
      more_args.assign(first, last);
    }
  }
  std::span<const std::string_view> argv() const {
    if (argc <= kInlineArgs) return {inline_args.data(), argc};
    return more_args;
  }
};

IoThread::IoThread(Server& server, int index) : server_(server), index_(index) {}

IoThread::~IoThread() {
  for (auto& [id, conn] : conns_) {
    if (!conn->closed) ::close(conn->fd);
  }
  if (epfd_ >= 0) ::close(epfd_);
  if (wakefd_ >= 0) ::close(wakefd_);
}

Status IoThread::Start() {
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) return Status::FromErrno("epoll_create1", errno);
  wakefd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wakefd_ < 0) return Status::FromErrno("eventfd", errno);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;
  if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev) != 0) {
    return Status::FromErrno("epoll_ctl", errno);
  }
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void IoThread::Adopt(std::shared_ptr<Client> client) {
  bool write_event = false;
  {
    MutexLock lock(&inbox_mu_);
    adopt_.push_back(std::move(client));
    write_event = !wake_pending_;
    wake_pending_ = true;
  }
  if (write_event) {
    const std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wakefd_, &one, sizeof(one));
  }
}

void IoThread::Stop() {
  stop_.store(true);
  const std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wakefd_, &one, sizeof(one));
}

void IoThread::Join() {
  if (thread_.joinable()) thread_.join();
}

void IoThread::Wake(Client& client) {
  if (tls_current == this) {  // our own batch or close path: no event needed
    auto it = conns_.find(client.id());
    if (it != conns_.end() && !it->second->closed) MarkDirty(*it->second);
    return;
  }
  bool write_event = false;
  {
    MutexLock lock(&inbox_mu_);
    woken_.push_back(client.id());
    write_event = !wake_pending_;
    wake_pending_ = true;
  }
  if (write_event) {
    const std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wakefd_, &one, sizeof(one));
  }
}

void IoThread::MarkReady(Conn& conn) {
  if (!conn.in_ready && !conn.closed) {
    conn.in_ready = true;
    ready_.push_back(&conn);
  }
}

void IoThread::MarkDirty(Conn& conn) {
  if (!conn.in_dirty && !conn.closed) {
    conn.in_dirty = true;
    dirty_.push_back(&conn);
  }
}

void IoThread::Loop() {
  tls_current = this;
  epoll_event events[256];
  std::vector<Conn*> ready;
  std::vector<Parsed> commands;
  std::vector<Conn*> dirty;
  std::vector<Conn*> closing;
  while (!stop_.load()) {
    // Not blocking while work is pending: ready input, or output a wake from this thread's own
    // close path queued after this round's flush (a lock granted to a waiter when its holder's
    // connection closed, say).
    int timeout = ready_.empty() && dirty_.empty() ? -1 : 0;
    // Blocked clients' timeouts: wake up by the earliest deadline (each thread bounds its wait by
    // it; the first to wake expires them all).
    BlockingService* blocking = server_.blocking_service();
    const std::int64_t deadline = blocking != nullptr ? blocking->next_deadline_ms() : 0;
    if (timeout != 0 && deadline != 0) {
      // Due once the clock is past it (BlockingService::ExpireTimeouts).
      const std::int64_t wait = std::max<std::int64_t>(0, deadline + 1 - Server::NowMs());
      timeout = static_cast<int>(std::min<std::int64_t>(wait, 60'000));
    }
    const int n = ::epoll_wait(epfd_, events, 256, timeout);
    if (n < 0 && errno != EINTR) {
      LARDER_LOG_ERROR("io thread {}: epoll_wait: {}", index_, errno);
      break;
    }
    round_config_ = server_.config();
    for (int i = 0; i < n; ++i) {
      if (events[i].data.ptr == nullptr) {
        std::uint64_t value;
        [[maybe_unused]] ssize_t r = ::read(wakefd_, &value, sizeof(value));
        DrainInbox();
        continue;
      }
      Conn& conn = *static_cast<Conn*>(events[i].data.ptr);
      if (conn.closed || conn.in_closing) continue;
      if ((events[i].events & (EPOLLERR | EPOLLHUP)) != 0) {
        conn.client->RequestClose("connection reset");
        if (!conn.in_closing) {
          conn.in_closing = true;
          closing_.push_back(&conn);
        }
        continue;
      }
      if ((events[i].events & EPOLLIN) != 0) ReadFrom(conn);
      if ((events[i].events & EPOLLOUT) != 0) MarkDirty(conn);
    }

    ExpireBlockedClients();

    // This round's lists are swapped out of the members into these, which keep their capacity
    // from round to round (no allocation per round); what they held last round is stale.
    ready.clear();
    ready.swap(ready_);
    commands.clear();
    for (Conn* conn : ready) {
      conn->in_ready = false;
      if (conn->closed || conn->in_closing) continue;
      // A connection that runs no command this round gets no batch to mark it dirty, yet a full
      // round before may have left it unread (conn.more) or due to close once all is sent: its
      // flush settles both (see "Liveness" in io_thread.h).
      if (conn->client->paused()) {  // blocked: its input waits until it resumes
        conn->held = true;
        conn->more = false;
        MarkDirty(*conn);  // read on while blocked: a disconnect must still be seen
        continue;
      }
      const std::size_t before = commands.size();
      ParseCommands(*conn, &commands);
      if (commands.size() == before) MarkDirty(*conn);  // only part of a command was left
    }
    if (!commands.empty()) RunBatch(commands);

    dirty.clear();
    dirty.swap(dirty_);
    for (Conn* conn : dirty) {
      conn->in_dirty = false;
      if (!conn->closed && !conn->in_closing) Flush(*conn);
    }
    closing.clear();
    closing.swap(closing_);
    for (Conn* conn : closing) CloseConn(*conn);
  }
  CloseAll();
  tls_current = nullptr;
}

void IoThread::ExpireBlockedClients() {
  BlockingService* blocking = server_.blocking_service();
  if (blocking == nullptr) return;
  const std::int64_t deadline = blocking->next_deadline_ms();
  const std::int64_t now_ms = Server::NowMs();
  if (deadline == 0 || deadline >= now_ms) return;
  // An engine failure poisons the server and closes the clients concerned: nothing to add here.
  (void)RunInBatch(server_, [&] { blocking->ExpireTimeouts(now_ms); });
}

void IoThread::DrainInbox() {
  std::vector<std::shared_ptr<Client>> adopt;
  std::vector<std::uint64_t> woken;
  {
    MutexLock lock(&inbox_mu_);
    adopt.swap(adopt_);
    woken.swap(woken_);
    wake_pending_ = false;
  }
  const auto config = server_.config();
  for (auto& client : adopt) {
    auto conn = std::make_unique<Conn>();
    conn->fd = client->fd();
    conn->client = std::move(client);
    conn->unauthenticated = !config->requirepass.empty();
    conn->interest = EPOLLIN;
    epoll_event ev{};
    ev.events = conn->interest;
    ev.data.ptr = conn.get();
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, conn->fd, &ev) != 0) {
      LARDER_LOG_WARN("io thread {}: epoll_ctl add fd {}: errno {}", index_, conn->fd, errno);
    }
    const std::uint64_t id = conn->client->id();
    conns_.emplace(id, std::move(conn));
    connection_count_.fetch_add(1);
  }
  for (std::uint64_t id : woken) {
    auto it = conns_.find(id);
    if (it == conns_.end() || it->second->closed) continue;
    MarkDirty(*it->second);
  }
}

void IoThread::ReadFrom(Conn& conn) {
  if (conn.eof || conn.close_after_flush) return;
  std::size_t total = 0;
  while (total < kMaxReadPerRound) {
    // Compact what the last rounds consumed before growing the buffer.
    if (conn.qpos > 0) {
      conn.qbuf.erase(0, conn.qpos);
      conn.qpos = 0;
    }
    const std::size_t want =
        std::max(kMinRead, std::min(conn.parser.bytes_wanted(), kMaxReadPerRound - total));
    const std::size_t old = conn.qbuf.size();
    ssize_t n;
    if (want <= kMinRead) {
      // The common case (commands of a few bytes): read into the thread's buffer and append
      // what came. Growing qbuf by `want` first would zero-fill 16 KiB per read.
      n = ::read(conn.fd, tls_read_buf, want);
      if (n > 0) conn.qbuf.append(tls_read_buf, static_cast<std::size_t>(n));
    } else {  // a large bulk argument: read straight into qbuf
      conn.qbuf.resize(old + want);
      n = ::read(conn.fd, conn.qbuf.data() + old, want);
      conn.qbuf.resize(old + static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
    }
    if (n > 0) {
      total += static_cast<std::size_t>(n);
      if (static_cast<std::size_t>(n) < want) break;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    conn.eof = true;  // orderly close (0) or an error: run what arrived, reply, close
    break;
  }
  Client& client = *conn.client;
  if (total > 0) {
    server_.stats().net_input_bytes.fetch_add(total, std::memory_order_relaxed);
    client.Touch(Server::NowMs());
  }
  const std::size_t pending = conn.qbuf.size() - conn.qpos;
  client.SetQueryBufferBytes(pending);
  const std::uint64_t limit = round_config_->client_query_buffer_limit;
  if (pending > limit) {
    LARDER_LOG_WARN(
        "closing client id={} addr={}: query buffer of {} bytes over client-query-buffer-limit "
        "({} bytes)",
        client.id(), client.addr(), pending, limit);
    server_.stats().client_query_buffer_limit_disconnections.fetch_add(1);
    client.RequestClose("query buffer limit");
    conn.in_closing = true;
    closing_.push_back(&conn);
    return;
  }
  if (total > 0 || conn.eof) MarkReady(conn);
  if (conn.eof) MarkDirty(conn);  // closes once the replies are written
}

void IoThread::ParseCommands(Conn& conn, std::vector<Parsed>* out) {
  ParserLimits limits = LimitsOf(*round_config_);
  limits.unauthenticated = conn.unauthenticated;
  conn.parser.set_limits(limits);
  const std::size_t cap = conn.unauthenticated ? 1 : kMaxCommandsPerRound;
  std::size_t count = 0;
  std::size_t pos = conn.qpos;
  std::vector<std::string_view> argv;
  while (count < cap) {
    const std::string_view input(conn.qbuf.data() + pos, conn.qbuf.size() - pos);
    std::size_t consumed = 0;
    const ParseStatus status = conn.parser.Parse(input, &argv, &consumed);
    if (status == ParseStatus::kIncomplete) {
      pos += consumed;
      break;
    }
    Parsed parsed;
    parsed.conn = &conn;
    parsed.start = pos;
    if (status == ParseStatus::kProtocolError) {
      parsed.protocol_error = conn.parser.error();
      out->push_back(std::move(parsed));
      pos = conn.qbuf.size();  // nothing after a protocol error is read
      conn.close_after_flush = true;
      break;
    }
    pos += consumed;
    const char* lo = conn.qbuf.data();
    const char* hi = lo + conn.qbuf.size();
    const bool inside = std::all_of(argv.begin(), argv.end(), [&](std::string_view a) {
      return a.empty() || (a.data() >= lo && a.data() + a.size() <= hi);
    });
    if (inside) {
      parsed.SetArgs(argv.begin(), argv.end());
    } else {  // parser-owned storage: copy before the next Parse call reuses it
      parsed.owned.assign(argv.begin(), argv.end());
      parsed.SetArgs(parsed.owned.begin(), parsed.owned.end());
    }
    out->push_back(std::move(parsed));
    ++count;
  }
  conn.more = count == cap && pos < conn.qbuf.size();
  conn.qpos = pos;
  conn.client->SetQueryBufferBytes(conn.qbuf.size() - pos);
}

void IoThread::RunBatch(std::vector<Parsed>& commands) {
  Keyspace& keyspace = server_.keyspace();
  const std::int64_t now_ms = Server::NowMs();
  const bool requirepass = !round_config_->requirepass.empty();
  Status failure;
  Keyspace::Ticket ticket = 0;
  std::vector<BlockingService::ServedReply> served;
  std::vector<Server::SideSync> side_syncs;
  {
    MutexLock lock(&server_.exec_mutex());
    const Status begun = keyspace.BeginBatch();
    if (!begun.ok()) {
      server_.Poison(begun);
      failure = begun;
    } else {
      server_.command_clock().BeginLaps();
      for (Parsed& p : commands) {
        Conn& conn = *p.conn;
        if (conn.skip_rest) continue;
        Client& client = *conn.client;
        if (client.paused()) {
          // Blocked by an earlier command (blocking.h): the rest waits in the query buffer.
          conn.qpos = p.start;
          conn.parser = RespParser();
          conn.more = false;
          conn.held = true;
          conn.skip_rest = true;
          continue;
        }
        if (!p.protocol_error.empty()) {
          LARDER_LOG_INFO("protocol error from client id={} addr={}: {}", client.id(),
                          client.addr(), p.protocol_error);
          server_.stats().protocol_errors.fetch_add(1, std::memory_order_relaxed);
          server_.DeliverTo(client, "-" + p.protocol_error + "\r\n", now_ms);
          conn.skip_rest = true;
          continue;
        }
        if (client.close_requested() || client.close_after_reply) {
          conn.skip_rest = true;
          continue;
        }
        if (client.output_bytes() > kPauseOutputBytes) {
          // Backpressure: run the rest once the peer has read its replies.
          conn.qpos = p.start;
          conn.parser = RespParser();
          conn.more = true;
          conn.skip_rest = true;
          continue;
        }
        // CLIENT LIST's qbuf, as Redis: while a command runs, its own bytes are still in the
        // query buffer (with what follows it); afterwards only the unparsed rest is.
        client.SetQueryBufferBytes(conn.qbuf.size() - p.start);
        DispatchCommand(server_, client, p.argv(), now_ms);
        client.SetQueryBufferBytes(conn.qbuf.size() - conn.qpos);
        conn.unauthenticated = requirepass && !client.authenticated;
        if (client.close_after_reply) {
          conn.close_after_flush = true;
          conn.skip_rest = true;
        }
      }
      server_.command_clock().EndLaps();
      Result<Keyspace::Ticket> ended = keyspace.EndBatch();
      if (ended.ok()) {
        ticket = *ended;
      } else {
        server_.Poison(ended.status());
        failure = ended.status();
      }
      side_syncs = server_.TakeSideSyncs();
    }
    // Replies of the clients this batch served (or unblocked): sent once it is durable.
    if (BlockingService* blocking = server_.blocking_service()) {
      served = blocking->TakeServedReplies();
    }
  }
  if (failure.ok()) {
    Status durable = keyspace.WaitDurable(ticket);
    if (!durable.ok()) {
      server_.Poison(durable);
    } else {
      durable = server_.RunSideSyncs(side_syncs);
    }
    failure = durable;
  }
  if (failure.ok()) {
    BlockingService::DeliverServedReplies(server_, std::move(served), Server::NowMs());
  } else {
    for (auto& r : served) r.client->RequestClose("engine error");
  }
  for (Parsed& p : commands) {
    Conn& conn = *p.conn;
    conn.skip_rest = false;
    if (!failure.ok()) {
      // The batch's writes may not be durable: its replies must not be sent.
      conn.client->RequestClose("engine error");
      if (!conn.in_closing) {
        conn.in_closing = true;
        closing_.push_back(&conn);
      }
      continue;
    }
    MarkDirty(conn);
  }
}

void IoThread::Flush(Conn& conn) {
  Client& client = *conn.client;
  if (client.close_requested()) {
    if (!conn.in_closing) {
      conn.in_closing = true;
      closing_.push_back(&conn);
    }
    return;
  }
  std::uint64_t written = 0;
  bool failed = false;
  while (true) {
    if (conn.sending_off == conn.sending.size()) {
      conn.sending.clear();
      conn.sending_off = 0;
      if (conn.sending.capacity() > kKeepSendCapacity) {
        client.NoteUnsent(0);  // not counted against the output limit while it is freed
        std::string().swap(conn.sending);
      }
      client.TakeForSend(&conn.sending);
      if (conn.sending.empty()) break;
    }
    const ssize_t n = ::send(conn.fd, conn.sending.data() + conn.sending_off,
                             conn.sending.size() - conn.sending_off, MSG_NOSIGNAL);
    if (n > 0) {
      conn.sending_off += static_cast<std::size_t>(n);
      written += static_cast<std::uint64_t>(n);
      // All written: the TakeForSend at the loop's top resets the count instead.
      if (conn.sending_off < conn.sending.size()) {
        client.NoteUnsent(conn.sending.size() - conn.sending_off);
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    failed = true;
    break;
  }
  if (written > 0) server_.stats().net_output_bytes.fetch_add(written, std::memory_order_relaxed);
  const bool all_sent = conn.sending_off == conn.sending.size();
  if (failed || (all_sent && !conn.more && (conn.close_after_flush || conn.eof))) {
    client.RequestClose(failed ? "write error" : "closed after reply");
    if (!conn.in_closing) {
      conn.in_closing = true;
      closing_.push_back(&conn);
    }
    return;
  }
  if (conn.held && !client.paused()) {  // resumed after its blocking command's reply
    conn.held = false;
    MarkReady(conn);
  }
  if (conn.more && client.output_bytes() <= kPauseOutputBytes) MarkReady(conn);
  UpdateInterest(conn);
}

void IoThread::UpdateInterest(Conn& conn) {
  const bool paused = conn.more || conn.client->output_bytes() > kPauseOutputBytes;
  std::uint32_t want = 0;
  if (!conn.eof && !conn.close_after_flush && !paused) want |= EPOLLIN;
  if (conn.sending_off < conn.sending.size()) want |= EPOLLOUT;
  if (want == conn.interest) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.ptr = &conn;
  if (::epoll_ctl(epfd_, EPOLL_CTL_MOD, conn.fd, &ev) == 0) conn.interest = want;
}

void IoThread::CloseConn(Conn& conn) {
  if (conn.closed) return;
  conn.closed = true;
  Client& client = *conn.client;
  client.RequestClose("connection closed");
  ::epoll_ctl(epfd_, EPOLL_CTL_DEL, conn.fd, nullptr);
  // In a batch of its own: a service that frees something the client held (a lock) gets its
  // waiters served, their replies sent once durable.
  (void)RunInBatch(server_, [&] { server_.NotifyClientClosed(client); });
  server_.RemoveClient(client.id());
  ::close(conn.fd);
  LARDER_LOG_DEBUG("client closed id={} addr={} ({})", client.id(), client.addr(),
                   client.close_reason());
  std::erase(ready_, &conn);
  std::erase(dirty_, &conn);
  connection_count_.fetch_sub(1);
  conns_.erase(client.id());  // destroys conn
}

void IoThread::CloseAll() {
  DrainInbox();
  std::vector<Conn*> all;
  for (auto& [id, conn] : conns_) all.push_back(conn.get());
  for (Conn* conn : all) {
    if (!conn->in_closing) Flush(*conn);  // best effort: replies of the last round
  }
  for (Conn* conn : all) CloseConn(*conn);
  closing_.clear();
}

}  // namespace larder::server
