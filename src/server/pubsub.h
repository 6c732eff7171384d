// Pub/sub: which clients are subscribed to which channels and glob patterns, PUBLISH's fan-out,
// and the frames Redis 7.0 sends (subscribe, unsubscribe, psubscribe, punsubscribe, message,
// pmessage) as RESP2 arrays or RESP3 pushes by each receiver's protocol.
//
// Lock rules (invariants before code):
//   - The registry's maps are guarded by its own mutex (mu_), so PUBSUB CHANNELS/NUMSUB/NUMPAT
//     may run from any thread.
//   - Each client's own subscription sets (Client::channels / patterns, [E] state in client.h)
//     are written here too; so Subscribe, Unsubscribe, RemoveClient and Publish REQUIRE the
//     server's execution lock, as every command handler and the close path hold it. The
//     execution lock also keeps every Client* of the maps alive: a closing client is removed
//     (RemoveClient from PubSubService::OnClientClosed) under that lock before it is destroyed.
//   - Consistency: channels_[c] holds client id -> &client exactly when client.channels holds c
//     (patterns_ and client.patterns likewise); no empty subscriber map stays in channels_ or
//     patterns_ (so the maps' sizes are PUBSUB's counts).
//   - Lock order: execution lock -> mu_. Publish collects its receivers under mu_ and delivers
//     after releasing it, so a delivery (which may close a client over its output limit) never
//     runs with mu_ held.
#ifndef LARDER_SERVER_PUBSUB_H_
#define LARDER_SERVER_PUBSUB_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/mutex.h"
#include "server/server.h"

namespace larder::server {

class Client;

// ---- frames (pure functions) ----
// "subscribe"/"unsubscribe"/"psubscribe"/"punsubscribe" replies: [kind, name, count]; name null
// for an UNSUBSCRIBE/PUNSUBSCRIBE without arguments from a client with nothing to drop.
void AppendSubscriptionFrame(std::string* out, int protocol, std::string_view kind,
                             std::optional<std::string_view> name, std::int64_t count);
// ["message", channel, payload] and ["pmessage", pattern, channel, payload].
void AppendMessageFrame(std::string* out, int protocol, std::string_view channel,
                        std::string_view payload);
void AppendPatternMessageFrame(std::string* out, int protocol, std::string_view pattern,
                               std::string_view channel, std::string_view payload);

class PubSubRegistry {
 public:
  // Hands one frame to a receiver (Server::DeliverTo in the server: under the pub/sub output
  // limit, past which the client is closed). Returns false when the frame was dropped.
  using DeliverFn = std::function<bool(Client&, std::string_view)>;

  PubSubRegistry() = default;
  PubSubRegistry(const PubSubRegistry&) = delete;
  PubSubRegistry& operator=(const PubSubRegistry&) = delete;

  // Each REQUIRES the execution lock. True when the subscription was added (removed); the
  // client's count afterwards is client.subscription_count().
  bool Subscribe(Client& client, std::string_view channel);
  bool Unsubscribe(Client& client, std::string_view channel);
  bool PSubscribe(Client& client, std::string_view pattern);
  bool PUnsubscribe(Client& client, std::string_view pattern);
  // Drops every subscription of the client (it is closing). REQUIRES the execution lock.
  void RemoveClient(Client& client);

  // PUBLISH: a "message" to every subscriber of `channel`, then a "pmessage" for every matching
  // pattern to each of its subscribers (a client subscribed both ways gets both), each in the
  // receiver's protocol. Returns the number of frames handed over (Redis's receiver count).
  // REQUIRES the execution lock.
  std::size_t Publish(std::string_view channel, std::string_view payload, const DeliverFn& deliver);

  // PUBSUB CHANNELS [pattern]: channels with at least one subscriber, sorted.
  std::vector<std::string> Channels(std::optional<std::string_view> pattern) const;
  std::size_t NumSub(std::string_view channel) const;  // PUBSUB NUMSUB
  std::size_t NumPat() const;                          // PUBSUB NUMPAT: distinct patterns

 private:
  // Subscribers of one channel or pattern, by client id (delivery in id order).
  using Subscribers = std::map<std::uint64_t, Client*>;
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  static bool AddTo(Subscribers& subs, Client& client);
  template <class Map>
  static bool RemoveFrom(Map& map, std::string_view name, const Client& client);

  mutable Mutex mu_;
  std::unordered_map<std::string, Subscribers, KeyHash, std::equal_to<>> channels_ GUARDED_BY(mu_);
  std::map<std::string, Subscribers, std::less<>> patterns_ GUARDED_BY(mu_);
};

// The server's registry (Server::Service<PubSubService>()); forgets closing clients.
class PubSubService final : public ServerService {
 public:
  explicit PubSubService(Server& server) : server_(server) {}
  PubSubRegistry& registry() { return registry_; }
  // Publish through Server::DeliverTo. REQUIRES the execution lock.
  std::size_t Publish(std::string_view channel, std::string_view payload, std::int64_t now_ms);
  void OnClientClosed(Client& client) override { registry_.RemoveClient(client); }

 private:
  Server& server_;
  PubSubRegistry registry_;
};

}  // namespace larder::server

#endif  // LARDER_SERVER_PUBSUB_H_
