// One scenario with the node client `redis` (node-redis, RESP3) against a server on 127.0.0.1.
// Usage: node node_client.js PORT   (NODE_PATH holds the `redis` package; scripts/setup redis
// installs it into ~/.cache/larder/node). Prints the results as one JSON document, which
// clients_test.py compares between larderd and redis-server.
'use strict';
const { createClient } = require('redis');

async function main() {
  const url = `redis://127.0.0.1:${process.argv[2]}`;
  const client = createClient({ url, RESP: 3 });
  client.on('error', (e) => { console.error('client error', e); process.exit(2); });
  await client.connect();
  const out = {};
  await client.flushAll();
  out.ping = await client.ping();
  out.set = await client.set('n:k', 'v1');
  out.setGet = await client.set('n:k', 'v2', { GET: true });
  out.get = await client.get('n:k');
  out.missing = await client.get('n:none');
  out.incr = await client.incrBy('n:c', 41);
  out.incrFloat = await client.incrByFloat('n:c', 0.5);
  out.mget = await client.mGet(['n:k', 'n:none', 'n:c']);
  out.expire = await client.expire('n:k', 1000);
  out.ttlInRange = (await client.ttl('n:k')) > 990;
  out.type = await client.type('n:k');
  out.hset = await client.hSet('n:h', { a: '1', b: '2', c: '3' });
  out.hgetall = Object.entries(await client.hGetAll('n:h')).sort();  // a RESP3 map
  out.hincr = await client.hIncrBy('n:h', 'a', 10);
  out.hkeys = (await client.hKeys('n:h')).sort();
  out.hrandCount = (await client.hRandFieldCount('n:h', -5)).length;
  out.bitcount = await (async () => { await client.setBit('n:b', 7, 1); return client.bitCount('n:b'); })();
  out.multi = await client.multi().set('n:m', '1').incr('n:m').get('n:m').exec();
  try {
    await client.hGet('n:k', 'x');
    out.wrongType = 'no error';
  } catch (e) {
    out.wrongType = e.message;
  }
  // Pub/sub over RESP3 push messages, on the same connection type.
  const sub = client.duplicate();
  await sub.connect();
  const got = [];
  await sub.subscribe('n:ch', (message, channel) => got.push([channel, message]));
  await sub.pSubscribe('n:*', (message, channel) => got.push(['p', channel, message]));
  out.published = await client.publish('n:ch', 'hello');
  for (let i = 0; i < 100 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
  out.messages = got.sort();
  out.numsub = await client.pubSubNumSub('n:ch');
  await sub.unsubscribe();
  await sub.pUnsubscribe();
  await sub.quit();
  out.scan = [];
  for await (const keys of client.scanIterator({ MATCH: 'n:*', COUNT: 2 })) {
    out.scan.push(...(Array.isArray(keys) ? keys : [keys]));
  }
  out.scan.sort();
  await client.quit();
  console.log(JSON.stringify(out));
}

main().catch((e) => { console.error(e); process.exit(1); });
