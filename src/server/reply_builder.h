// ReplyBuilder: appends RESP2 or RESP3 replies to a connection's output buffer, choosing the
// encoding of each reply by the connection's protocol (HELLO 2|3), as Redis 7.0 does.
//
// Thread-safety: one builder per connection and command, used by one thread at a time.
// Ownership: writes into a std::string owned by the caller, which must outlive the builder.
#ifndef LARDER_SERVER_REPLY_BUILDER_H_
#define LARDER_SERVER_REPLY_BUILDER_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace larder::server {

class ReplyBuilder {
 public:
  ReplyBuilder(std::string* out, int protocol) : out_(out), protocol_(protocol) {}

  int protocol() const { return protocol_; }  // 2 or 3
  void set_protocol(int protocol) { protocol_ = protocol; }
  std::string* buffer() { return out_; }

  void SimpleString(std::string_view s);  // "+s"; CR/LF in s become spaces
  void Ok() { SimpleString("OK"); }
  // "-msg": msg starts with its code ("ERR ...", "WRONGTYPE ..."); CR/LF become spaces.
  void Error(std::string_view msg);
  void Integer(std::int64_t v);     // ":v"
  void Bulk(std::string_view s);    // "$len\r\ns"
  void Null();                      // RESP2 "$-1"; RESP3 "_"
  void NullArray();                 // RESP2 "*-1"; RESP3 "_"
  void ArrayHeader(std::size_t n);  // "*n"
  void MapHeader(std::size_t n);    // RESP3 "%n" (n pairs); RESP2 "*2n"
  void SetHeader(std::size_t n);    // RESP3 "~n"; RESP2 "*n"
  void PushHeader(std::size_t n);   // RESP3 ">n"; RESP2 "*n" (pub/sub messages)
  // RESP3 ",v"; RESP2 a bulk string. Formatting as Redis 7.0 (%.17g, "inf"/"-inf").
  void Double(double v);
  void Boolean(bool v);               // RESP3 "#t"/"#f"; RESP2 ":1"/":0"
  void Verbatim(std::string_view s);  // RESP3 "=len\r\ntxt:s"; RESP2 a bulk string (INFO)
  void BulkArray(std::span<const std::string_view> items);  // ArrayHeader + Bulk each
  void BulkArray(std::span<const std::string> items);

  // Replies whose element count is known only at the end (SCAN, KEYS with filters):
  //   auto at = reply.BeginDeferredArray(); ...elements...; reply.EndDeferredArray(at, n);
  std::size_t BeginDeferredArray();
  void EndDeferredArray(std::size_t token, std::size_t n);
  // Maps and sets alike (n pairs for a map).
  std::size_t BeginDeferredMap() { return BeginDeferredArray(); }
  void EndDeferredMap(std::size_t token, std::size_t pairs);
  void EndDeferredSet(std::size_t token, std::size_t n);

  // Discarding a partly written reply (an engine error in the middle of a command).
  std::size_t Mark() const { return out_->size(); }
  void Rollback(std::size_t mark) { out_->resize(mark); }

 private:
  std::string* out_;
  int protocol_;
};

}  // namespace larder::server

#endif  // LARDER_SERVER_REPLY_BUILDER_H_
