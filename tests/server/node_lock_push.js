// LOCK.ACQUIRE ASYNC from node-redis (a RESP3 client library): prints the immediate reply,
// then the `lock-granted` push when it arrives, as JSON lines. Used by locks_test.py.
// Usage: node node_lock_push.js PORT LOCK   (NODE_PATH holds the `redis` package)
'use strict';
const { createClient } = require('redis');

async function main() {
  const client = createClient({ url: `redis://127.0.0.1:${process.argv[2]}`, RESP: 3 });
  client.on('error', (e) => { console.error('client error', e); process.exit(2); });
  await client.connect();
  const granted = new Promise((resolve) => {
    // node-redis dispatches pushes it does not know to handlers added to its command queue.
    client._getQueue().addPushHandler((push) => {
      if (push[0].toString() !== 'lock-granted') return false;
      resolve(push.map((x) => (Buffer.isBuffer(x) ? x.toString() : x)));
      return true;
    });
  });
  const reply = await client.sendCommand(['LOCK.ACQUIRE', process.argv[3], 'ASYNC']);
  console.log(JSON.stringify({ reply: String(reply) }));
  const push = await granted;
  console.log(JSON.stringify({ push: push.map(String) }));
  await client.sendCommand(['LOCK.RELEASE', process.argv[3], String(push[2])]);
  await client.quit();
}

main().catch((e) => { console.error(e); process.exit(1); });
