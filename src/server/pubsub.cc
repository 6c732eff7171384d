#include "server/pubsub.h"

#include <utility>

#include "server/args.h"
#include "server/client.h"
#include "server/reply_builder.h"

namespace larder::server {

void AppendSubscriptionFrame(std::string* out, int protocol, std::string_view kind,
                             std::optional<std::string_view> name, std::int64_t count) {
  ReplyBuilder reply(out, protocol);
  reply.PushHeader(3);
  reply.Bulk(kind);
  if (name) {
    reply.Bulk(*name);
  } else {
    reply.Null();
  }
  reply.Integer(count);
}

void AppendMessageFrame(std::string* out, int protocol, std::string_view channel,
                        std::string_view payload) {
  ReplyBuilder reply(out, protocol);
  reply.PushHeader(3);
  reply.Bulk("message");
  reply.Bulk(channel);
  reply.Bulk(payload);
}

void AppendPatternMessageFrame(std::string* out, int protocol, std::string_view pattern,
                               std::string_view channel, std::string_view payload) {
  ReplyBuilder reply(out, protocol);
  reply.PushHeader(4);
  reply.Bulk("pmessage");
  reply.Bulk(pattern);
  reply.Bulk(channel);
  reply.Bulk(payload);
}

std::set<std::string>& PubSubRegistry::OwnSet(Kind kind, Client& client) {
  return kind == Kind::kChannel ? client.channels : client.patterns;
}

bool PubSubRegistry::Add(Kind kind, Client& client, std::string_view name) {
  if (!OwnSet(kind, client).emplace(name).second) return false;
  MutexLock lock(&mu_);
  Index& index = IndexOf(kind);
  auto it = index.find(name);
  if (it == index.end()) it = index.emplace(std::string(name), Subscribers{}).first;
  return it->second.emplace(client.id(), &client).second;
}

bool PubSubRegistry::Remove(Kind kind, Client& client, std::string_view name) {
  std::set<std::string>& own = OwnSet(kind, client);
  auto mine = own.find(std::string(name));
  if (mine == own.end()) return false;
  own.erase(mine);
  MutexLock lock(&mu_);
  return RemoveLocked(IndexOf(kind), name, client);
}

bool PubSubRegistry::RemoveLocked(Index& index, std::string_view name, const Client& client) {
  auto it = index.find(name);
  if (it == index.end()) return false;
  const bool removed = it->second.erase(client.id()) > 0;
  if (it->second.empty()) index.erase(it);
  return removed;
}

bool PubSubRegistry::Subscribe(Client& client, std::string_view channel) {
  return Add(Kind::kChannel, client, channel);
}

bool PubSubRegistry::Unsubscribe(Client& client, std::string_view channel) {
  return Remove(Kind::kChannel, client, channel);
}

bool PubSubRegistry::PSubscribe(Client& client, std::string_view pattern) {
  return Add(Kind::kPattern, client, pattern);
}

bool PubSubRegistry::PUnsubscribe(Client& client, std::string_view pattern) {
  return Remove(Kind::kPattern, client, pattern);
}

void PubSubRegistry::RemoveClient(Client& client) {
  {
    MutexLock lock(&mu_);
    for (const std::string& c : client.channels) RemoveLocked(channels_, c, client);
    for (const std::string& p : client.patterns) RemoveLocked(patterns_, p, client);
  }
  client.channels.clear();
  client.patterns.clear();
}

std::size_t PubSubRegistry::Publish(std::string_view channel, std::string_view payload,
                                    const DeliverFn& deliver) {
  // Receivers first (under mu_), frames and deliveries after (see the lock rules).
  std::vector<Client*> direct;
  std::vector<std::pair<const std::string*, Client*>> by_pattern;  // keys of patterns_: stable
  {
    MutexLock lock(&mu_);
    auto it = channels_.find(channel);
    if (it != channels_.end()) {
      direct.reserve(it->second.size());
      for (const auto& [id, client] : it->second) direct.push_back(client);
    }
    for (const auto& [pattern, subs] : patterns_) {
      if (!GlobMatch(pattern, channel)) continue;
      for (const auto& [id, client] : subs) by_pattern.emplace_back(&pattern, client);
    }
  }
  // Pattern names point into patterns_ after mu_ is released: safe because only holders of the
  // execution lock (which the caller holds) change the maps.
  std::string frames[2];  // [0]: RESP2, [1]: RESP3; built on first use
  auto frame_for = [&](int protocol) -> std::string& {
    std::string& f = frames[protocol == 3 ? 1 : 0];
    if (f.empty()) AppendMessageFrame(&f, protocol, channel, payload);
    return f;
  };
  for (Client* c : direct) deliver(*c, frame_for(c->protocol));
  std::string pframe;
  for (const auto& [pattern, client] : by_pattern) {
    pframe.clear();
    AppendPatternMessageFrame(&pframe, client->protocol, *pattern, channel, payload);
    deliver(*client, pframe);
  }
  return direct.size() + by_pattern.size();
}

std::vector<std::string> PubSubRegistry::Channels(std::optional<std::string_view> pattern) const {
  std::vector<std::string> out;  // sorted: channels_ is ordered
  MutexLock lock(&mu_);
  for (const auto& [name, subs] : channels_) {
    if (!pattern || GlobMatch(*pattern, name)) out.push_back(name);
  }
  return out;
}

std::size_t PubSubRegistry::NumSub(std::string_view channel) const {
  MutexLock lock(&mu_);
  auto it = channels_.find(channel);
  return it == channels_.end() ? 0 : it->second.size();
}

std::size_t PubSubRegistry::NumPat() const {
  MutexLock lock(&mu_);
  return patterns_.size();
}

std::size_t PubSubService::Publish(std::string_view channel, std::string_view payload,
                                   std::int64_t now_ms) {
  return registry_.Publish(channel, payload, [&](Client& client, std::string_view frame) {
    return server_.DeliverTo(client, frame, now_ms);
  });
}

}  // namespace larder::server
