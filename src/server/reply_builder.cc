#include "server/reply_builder.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "server/args.h"

namespace larder::server {
namespace {

template <typename Int>
void AppendInt(std::string* out, Int v) {
  char buf[24];
  const auto result = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, static_cast<std::size_t>(result.ptr - buf));
}

// Appends "<prefix><n>\r\n".
void AppendHeader(std::string* out, char prefix, std::uint64_t n) {
  char buf[24];  // prefix, at most 20 digits, CR LF: one append
  buf[0] = prefix;
  char* end = std::to_chars(buf + 1, buf + sizeof(buf) - 2, n).ptr;
  *end++ = '\r';
  *end++ = '\n';
  out->append(buf, static_cast<std::size_t>(end - buf));
}

// Appends s with CR and LF turned into spaces (a status or error line must stay one line).
void AppendLine(std::string* out, std::string_view s) {
  const std::size_t start = out->size();
  out->append(s);
  for (std::size_t i = start; i < out->size(); ++i) {
    if ((*out)[i] == '\r' || (*out)[i] == '\n') (*out)[i] = ' ';
  }
  out->append("\r\n");
}

}  // namespace

void ReplyBuilder::SimpleString(std::string_view s) {
  out_->push_back('+');
  AppendLine(out_, s);
}

void ReplyBuilder::Error(std::string_view msg) {
  if (!msg.empty() && msg[0] == '-') msg.remove_prefix(1);
  out_->push_back('-');
  AppendLine(out_, msg);
}

void ReplyBuilder::Integer(std::int64_t v) {
  out_->push_back(':');
  AppendInt(out_, v);
  out_->append("\r\n");
}

void ReplyBuilder::Bulk(std::string_view s) {
  AppendHeader(out_, '$', s.size());
  out_->append(s);
  out_->append("\r\n");
}

void ReplyBuilder::Null() { out_->append(protocol_ >= 3 ? "_\r\n" : "$-1\r\n"); }

void ReplyBuilder::NullArray() { out_->append(protocol_ >= 3 ? "_\r\n" : "*-1\r\n"); }

void ReplyBuilder::ArrayHeader(std::size_t n) { AppendHeader(out_, '*', n); }

void ReplyBuilder::MapHeader(std::size_t n) {
  if (protocol_ >= 3) {
    AppendHeader(out_, '%', n);
  } else {
    AppendHeader(out_, '*', 2 * n);
  }
}

void ReplyBuilder::SetHeader(std::size_t n) { AppendHeader(out_, protocol_ >= 3 ? '~' : '*', n); }

void ReplyBuilder::PushHeader(std::size_t n) { AppendHeader(out_, protocol_ >= 3 ? '>' : '*', n); }

void ReplyBuilder::Double(double v) {
  // Redis 7.0 spells infinities itself and formats finite values with "%.17g".
  const std::string text = FormatDouble(v);
  if (protocol_ >= 3) {
    out_->push_back(',');
    out_->append(text);
    out_->append("\r\n");
  } else {
    Bulk(text);
  }
}

void ReplyBuilder::Boolean(bool v) {
  if (protocol_ >= 3) {
    out_->append(v ? "#t\r\n" : "#f\r\n");
  } else {
    Integer(v ? 1 : 0);
  }
}

void ReplyBuilder::Verbatim(std::string_view s) {
  if (protocol_ < 3) {
    Bulk(s);
    return;
  }
  AppendHeader(out_, '=', s.size() + 4);
  out_->append("txt:");
  out_->append(s);
  out_->append("\r\n");
}

void ReplyBuilder::BulkArray(std::span<const std::string_view> items) {
  ArrayHeader(items.size());
  for (std::string_view item : items) Bulk(item);
}

void ReplyBuilder::BulkArray(std::span<const std::string> items) {
  ArrayHeader(items.size());
  for (const std::string& item : items) Bulk(item);
}

std::size_t ReplyBuilder::BeginDeferredArray() { return out_->size(); }

// The header is inserted where the reply began: one move of the elements written since, which
// is what Redis's deferred-length node costs too when it is merged.
void ReplyBuilder::EndDeferredArray(std::size_t token, std::size_t n) {
  std::string header;
  AppendHeader(&header, '*', n);
  out_->insert(token, header);
}

void ReplyBuilder::EndDeferredMap(std::size_t token, std::size_t pairs) {
  std::string header;
  if (protocol_ >= 3) {
    AppendHeader(&header, '%', pairs);
  } else {
    AppendHeader(&header, '*', 2 * pairs);
  }
  out_->insert(token, header);
}

void ReplyBuilder::EndDeferredSet(std::size_t token, std::size_t n) {
  std::string header;
  AppendHeader(&header, protocol_ >= 3 ? '~' : '*', n);
  out_->insert(token, header);
}

}  // namespace larder::server
