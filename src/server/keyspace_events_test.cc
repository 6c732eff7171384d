#include "server/keyspace_events.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "server/client.h"
#include "server/command_test_util.h"
#include "server/pubsub.h"
#include "server/server.h"

namespace larder::server {
namespace {

using testing::Backing;
using testing::CommandHarness;
using testing::DecodeReply;

TEST(KeyspaceEventsClassesTest, ParseAndRenderAsRedis) {
  struct Case {
    const char* in;
    const char* shown;  // CONFIG GET's value, checked against Debian's redis-server 7.0.15
  };
  const Case cases[] = {
      {"KEA", "AKE"},    {"gKE", "gKE"}, {"$lshzxeKE", "$lshzxeKE"},
      {"KA", "AK"},      {"EA", "AE"},   {"Knm", "nKm"},
      {"KEAnm", "AKEm"}, {"Ed", "dE"},   {"g$lshzxet", "g$lshzxet"},
      {"", ""},          {"x", "x"},
  };
  for (const Case& c : cases) {
    const std::optional<std::uint32_t> flags = ParseNotifyClasses(c.in);
    ASSERT_TRUE(flags.has_value()) << c.in;
    EXPECT_EQ(NotifyClassesToString(*flags), c.shown) << c.in;
  }
  EXPECT_EQ(ParseNotifyClasses("KEQ"), std::nullopt);
  EXPECT_EQ(ParseNotifyClasses("a"), std::nullopt);  // case matters
  // A without n: n stays on even though "A" hides it.
  EXPECT_NE(*ParseNotifyClasses("An") & kNotifyNew, 0u);
  EXPECT_EQ(*ParseNotifyClasses("A") & (kNotifyNew | kNotifyKeyMiss), 0u);
}

// A harness with the core families and a second client subscribed to every channel.
class EventsHarness {
 public:
  explicit EventsHarness(const std::string& classes)
      : h_(Backing::kEngine,
           {RegisterStringCommands, RegisterBitCommands, RegisterKeyCommands, RegisterHashCommands,
            RegisterServerCommands, RegisterKeyspaceAdminCommands}),
        sub_(std::make_unique<Client>(2, -1, "127.0.0.1:3", "127.0.0.1:2", nullptr, h_.now_ms())) {
    EXPECT_EQ(h_.Run({"CONFIG", "SET", "notify-keyspace-events", classes}), "OK");
    MutexLock lock(&h_.server().exec_mutex());
    h_.server().Service<PubSubService>().registry().PSubscribe(*sub_, "*");
  }
  ~EventsHarness() {
    MutexLock lock(&h_.server().exec_mutex());
    h_.server().Service<PubSubService>().registry().RemoveClient(*sub_);
  }

  // Runs a command and returns the events it published, "channel=payload" each.
  std::vector<std::string> Events(const std::vector<std::string>& args) {
    h_.Run(args);
    return Take();
  }
  std::vector<std::string> Take() {
    const std::string out = sub_->TakeOutput();
    std::vector<std::string> events;
    for (std::size_t pos = 0; pos < out.size();) {
      const std::string frame = DecodeReply(out, &pos);  // [pmessage,*,channel,payload]
      const std::size_t channel = frame.find(',', frame.find(',') + 1) + 1;
      const std::size_t payload = frame.find(',', channel) + 1;
      events.push_back(frame.substr(channel, payload - 1 - channel) + "=" +
                       frame.substr(payload, frame.size() - 1 - payload));
    }
    return events;
  }
  CommandHarness& h() { return h_; }

 private:
  CommandHarness h_;
  std::unique_ptr<Client> sub_;
};

using Events = std::vector<std::string>;

TEST(KeyspaceEventsTest, OffByDefaultAndConfigGetShowsCanonicalLetters) {
  CommandHarness h(Backing::kEngine, {RegisterStringCommands, RegisterServerCommands});
  EXPECT_EQ(h.Run({"CONFIG", "GET", "notify-keyspace-events"}), "[notify-keyspace-events,]");
  EXPECT_EQ(h.Run({"CONFIG", "SET", "notify-keyspace-events", "KEA"}), "OK");
  EXPECT_EQ(h.Run({"CONFIG", "GET", "notify-keyspace-events"}), "[notify-keyspace-events,AKE]");
  EXPECT_EQ(h.Run({"CONFIG", "SET", "notify-keyspace-events", "KEQ"}),
            "-ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - "
            "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
  EXPECT_EQ(h.Run({"CONFIG", "GET", "notify-keyspace-events"}), "[notify-keyspace-events,AKE]");
}

TEST(KeyspaceEventsTest, KeyspaceAndKeyeventChannels) {
  EventsHarness e("KEA");
  EXPECT_EQ(e.Events({"SET", "foo", "bar"}),
            (Events{"__keyspace@0__:foo=set", "__keyevent@0__:set=foo"}));
  e.h().select(3);
  EXPECT_EQ(e.Events({"APPEND", "foo", "x"}),
            (Events{"__keyspace@3__:foo=append", "__keyevent@3__:append=foo"}));
}

TEST(KeyspaceEventsTest, ClassesMaskEvents) {
  EventsHarness e("Kg");  // generic only, keyspace channel only
  EXPECT_EQ(e.Events({"SET", "foo", "bar"}), Events{});
  EXPECT_EQ(e.Events({"EXPIRE", "foo", "100"}), Events{"__keyspace@0__:foo=expire"});
  EXPECT_EQ(e.Events({"DEL", "foo", "nosuch"}), Events{"__keyspace@0__:foo=del"});
  EventsHarness none("A");  // classes but neither K nor E: nothing
  EXPECT_EQ(none.Events({"SET", "foo", "bar"}), Events{});
}

TEST(KeyspaceEventsTest, NewKeyOnlyWhenCreated) {
  EventsHarness e("En");
  EXPECT_EQ(e.Events({"SET", "foo", "bar"}), Events{"__keyevent@0__:new=foo"});
  EXPECT_EQ(e.Events({"SET", "foo", "baz"}), Events{});
  EXPECT_EQ(e.Events({"HSET", "h", "f", "v"}), Events{"__keyevent@0__:new=h"});
  EXPECT_EQ(e.Events({"HSET", "h", "g", "v"}), Events{});
  // RENAME and COPY ... REPLACE add the destination anew, as Redis.
  EXPECT_EQ(e.Events({"RENAME", "foo", "h"}), Events{"__keyevent@0__:new=h"});
  EXPECT_EQ(e.Events({"COPY", "h", "c", "DB", "2"}), Events{"__keyevent@2__:new=c"});
}

TEST(KeyspaceEventsTest, StringEventsAsRedis) {
  EventsHarness e("EA");
  EXPECT_EQ(e.Events({"SET", "k", "v", "EX", "100"}),
            (Events{"__keyevent@0__:set=k", "__keyevent@0__:expire=k"}));
  EXPECT_EQ(e.Events({"SET", "k", "v", "KEEPTTL"}), Events{"__keyevent@0__:set=k"});
  EXPECT_EQ(e.Events({"SET", "k", "v", "NX"}), Events{});
  EXPECT_EQ(e.Events({"GETEX", "k", "PERSIST"}), Events{"__keyevent@0__:persist=k"});
  EXPECT_EQ(e.Events({"GETEX", "k", "PERSIST"}), Events{});  // no expiry to remove
  EXPECT_EQ(e.Events({"INCR", "n"}), Events{"__keyevent@0__:incrby=n"});
  EXPECT_EQ(e.Events({"DECRBY", "n", "3"}), Events{"__keyevent@0__:incrby=n"});
  EXPECT_EQ(e.Events({"INCRBYFLOAT", "n", "1.5"}), Events{"__keyevent@0__:incrbyfloat=n"});
  EXPECT_EQ(e.Events({"SETRANGE", "k", "1", "x"}), Events{"__keyevent@0__:setrange=k"});
  EXPECT_EQ(e.Events({"SETRANGE", "k", "1", ""}), Events{});
  EXPECT_EQ(e.Events({"MSET", "a", "1", "b", "2"}),
            (Events{"__keyevent@0__:set=a", "__keyevent@0__:set=b"}));
  EXPECT_EQ(e.Events({"MSETNX", "a", "1", "z", "2"}), Events{});
  EXPECT_EQ(e.Events({"SETBIT", "bits", "3", "0"}), Events{"__keyevent@0__:setbit=bits"});
  EXPECT_EQ(e.Events({"SETBIT", "bits", "3", "0"}), Events{});  // unchanged: no event
  EXPECT_EQ(e.Events({"BITFIELD", "bits", "SET", "u8", "0", "1"}),
            Events{"__keyevent@0__:setbit=bits"});
  EXPECT_EQ(e.Events({"BITFIELD", "bits", "GET", "u8", "0"}), Events{});
  EXPECT_EQ(e.Events({"BITOP", "OR", "dst", "a", "b"}), Events{"__keyevent@0__:set=dst"});
  EXPECT_EQ(e.Events({"BITOP", "OR", "dst", "none1"}), Events{"__keyevent@0__:del=dst"});
  EXPECT_EQ(e.Events({"GETDEL", "k"}), Events{"__keyevent@0__:del=k"});
  // An expiry already past: set and expire, as Redis; the key is gone for everyone, and its
  // "expired" event comes when it is met.
  EXPECT_EQ(e.Events({"SET", "p", "v", "PXAT", "1"}),
            (Events{"__keyevent@0__:set=p", "__keyevent@0__:expire=p"}));
  EXPECT_EQ(e.h().Run({"EXISTS", "p"}), "0");
  EXPECT_EQ(e.Take(), Events{"__keyevent@0__:expired=p"});
}

TEST(KeyspaceEventsTest, GenericEventsAsRedis) {
  EventsHarness e("KEg");
  e.h().Run({"SET", "a", "1"});
  EXPECT_EQ(e.Events({"RENAME", "a", "b"}),
            (Events{"__keyspace@0__:a=rename_from", "__keyevent@0__:rename_from=a",
                    "__keyspace@0__:b=rename_to", "__keyevent@0__:rename_to=b"}));
  EXPECT_EQ(e.Events({"RENAME", "b", "b"}), Events{});
  EXPECT_EQ(e.Events({"MOVE", "b", "1"}),
            (Events{"__keyspace@0__:b=move_from", "__keyevent@0__:move_from=b",
                    "__keyspace@1__:b=move_to", "__keyevent@1__:move_to=b"}));
  e.h().Run({"SET", "c", "1"});
  EXPECT_EQ(e.Events({"COPY", "c", "d"}),
            (Events{"__keyspace@0__:d=copy_to", "__keyevent@0__:copy_to=d"}));
  EXPECT_EQ(e.Events({"COPY", "c", "d"}), Events{});
  EXPECT_EQ(e.Events({"EXPIRE", "c", "100", "XX"}), Events{});
  EXPECT_EQ(e.Events({"PEXPIRE", "c", "100000"}),
            (Events{"__keyspace@0__:c=expire", "__keyevent@0__:expire=c"}));
  EXPECT_EQ(e.Events({"PERSIST", "c"}),
            (Events{"__keyspace@0__:c=persist", "__keyevent@0__:persist=c"}));
  EXPECT_EQ(e.Events({"EXPIRE", "c", "-1"}),
            (Events{"__keyspace@0__:c=del", "__keyevent@0__:del=c"}));
  EXPECT_EQ(e.Events({"FLUSHALL"}), Events{});  // as Redis 7.0: no events for a flush
}

TEST(KeyspaceEventsTest, HashEventsAsRedis) {
  EventsHarness e("Kh");
  EXPECT_EQ(e.Events({"HMSET", "h", "yes", "1", "no", "0"}), Events{"__keyspace@0__:h=hset"});
  EXPECT_EQ(e.Events({"HINCRBY", "h", "yes", "10"}), Events{"__keyspace@0__:h=hincrby"});
  EXPECT_EQ(e.Events({"HINCRBYFLOAT", "h", "f", "1"}), Events{"__keyspace@0__:h=hincrbyfloat"});
  EXPECT_EQ(e.Events({"HSETNX", "h", "yes", "1"}), Events{});
  EXPECT_EQ(e.Events({"HDEL", "h", "nosuch"}), Events{});
  EXPECT_EQ(e.Events({"HDEL", "h", "yes"}), Events{"__keyspace@0__:h=hdel"});
  EventsHarness both("KEA");
  both.h().Run({"HSET", "h", "a", "1"});
  both.Take();
  EXPECT_EQ(both.Events({"HDEL", "h", "a"}),
            (Events{"__keyspace@0__:h=hdel", "__keyevent@0__:hdel=h", "__keyspace@0__:h=del",
                    "__keyevent@0__:del=h"}));
}

TEST(KeyspaceEventsTest, ExpiredLazilyAndByTheCycle) {
  EventsHarness e("Ex");
  e.h().Run({"SET", "lazy", "v", "PX", "100"});
  e.h().Run({"SET", "cycle", "v", "PX", "100"});
  EXPECT_EQ(e.Take(), Events{});
  e.h().Advance(200);
  EXPECT_EQ(e.Events({"GET", "lazy"}), Events{"__keyevent@0__:expired=lazy"});
  Keyspace& ks = e.h().server().keyspace();
  {
    MutexLock lock(&e.h().server().exec_mutex());
    ASSERT_TRUE(ks.ActiveExpireCycle(100).ok());
  }
  EXPECT_EQ(e.Take(), Events{"__keyevent@0__:expired=cycle"});
}

TEST(KeyspaceEventsTest, KeyMissOnReadsOnly) {
  EventsHarness e("Em");
  EXPECT_EQ(e.Events({"GET", "nosuch"}), Events{"__keyevent@0__:keymiss=nosuch"});
  EXPECT_EQ(e.Events({"HGET", "nosuch", "f"}), Events{"__keyevent@0__:keymiss=nosuch"});
  EXPECT_EQ(e.Events({"EXISTS", "nosuch"}), Events{"__keyevent@0__:keymiss=nosuch"});
  EXPECT_EQ(e.Events({"OBJECT", "ENCODING", "nosuch"}), Events{});  // as Redis: no notify
  EXPECT_EQ(e.Events({"EXPIRE", "nosuch", "10"}), Events{});        // a write's lookup
  EXPECT_EQ(e.Events({"SET", "nosuch", "v"}), Events{});
}

}  // namespace
}  // namespace larder::server
