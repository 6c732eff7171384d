#include "server/pubsub.h"

#include <algorithm>
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

bool PubSubRegistry::AddTo(Subscribers& subs, Client& client) {
  return subs.emplace(client.id(), &client).second;
}

template <class Map>
bool PubSubRegistry::RemoveFrom(Map& map, std::string_view name, const Client& client) {
  auto it = map.find(name);
  if (it == map.end()) return false;
  const bool removed = it->second.erase(client.id()) > 0;
  if (it->second.empty()) map.erase(it);
  return removed;
}

bool PubSubRegistry::Subscribe(Client& client, std::string_view channel) {
  if (!client.channels.emplace(channel).second) return false;
  MutexLock lock(&mu_);
  auto it = channels_.find(channel);
  if (it == channels_.end()) it = channels_.emplace(std::string(channel), Subscribers{}).first;
  return AddTo(it->second, client);
}

bool PubSubRegistry::Unsubscribe(Client& client, std::string_view channel) {
  auto it = client.channels.find(std::string(channel));
  if (it == client.channels.end()) return false;
  client.channels.erase(it);
  MutexLock lock(&mu_);
  return RemoveFrom(channels_, channel, client);
}

bool PubSubRegistry::PSubscribe(Client& client, std::string_view pattern) {
  if (!client.patterns.emplace(pattern).second) return false;
  MutexLock lock(&mu_);
  auto it = patterns_.find(pattern);
  if (it == patterns_.end()) it = patterns_.emplace(std::string(pattern), Subscribers{}).first;
  return AddTo(it->second, client);
}

bool PubSubRegistry::PUnsubscribe(Client& client, std::string_view pattern) {
  auto it = client.patterns.find(std::string(pattern));
  if (it == client.patterns.end()) return false;
  client.patterns.erase(it);
  MutexLock lock(&mu_);
  return RemoveFrom(patterns_, pattern, client);
}

void PubSubRegistry::RemoveClient(Client& client) {
  {
    MutexLock lock(&mu_);
    for (const std::string& c : client.channels) RemoveFrom(channels_, c, client);
    for (const std::string& p : client.patterns) RemoveFrom(patterns_, p, client);
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
  std::vector<std::string> out;
  {
    MutexLock lock(&mu_);
    for (const auto& [name, subs] : channels_) {
      if (!pattern || GlobMatch(*pattern, name)) out.push_back(name);
    }
  }
  std::sort(out.begin(), out.end());
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
