// RSS per idle WebSocket holding K `newMessage` subscriptions to its chat, on one server process
// of any implementation of the contract (Sentichat or the Node peer in ../shared/side-by-side/),
// and a probe that each subscription is live. Run by `run.sh`, which copies this file next to the
// side-by-side load generator's client.js (graphql-ws and undici) and starts the server.
import fs from 'fs';
import { Http, OPS, openSocket, wsUrlOf } from './client.js';
const arg = (n, d) => { const i = process.argv.indexOf(`--${n}`); return i > 0 ? process.argv[i + 1] : d; };
const url = arg('url'), pid = Number(arg('pid')), N = Number(arg('sockets', 2000)), K = Number(arg('subs', 10));
const rss = () => Number(fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) * 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const http = new Http([url], { connections: 32 });
async function pool(items, n, fn) { let i = 0; await Promise.all(Array.from({ length: n }, async () => { while (i < items.length) { const x = items[i++]; await fn(x); } })); }
const run = Math.random().toString(36).slice(2, 8);
const users = Array.from({ length: N }, (_, i) => ({ name: `t${run}_${i}` }));
await pool(users, 16, async (u) => { const d = (await http.gql(0, OPS.register, { u: u.name, p: 'correct horse battery' })).register; u.id = d.user.id; u.token = d.token; });
const chats = [];
for (let k = 0; k < N / 2; k++) chats.push({ a: users[2 * k], b: users[2 * k + 1] });
await pool(chats, 16, async (c) => { c.channel = (await http.gql(0, OPS.requestChat, { to: c.b.id }, c.a.token)).requestChat.channelName; c.a.channel = c.b.channel = c.channel; });
// Quiet first: the registrations' garbage collected before the baseline.
await sleep(10000);
const before = rss();
const got = new Map(); // user -> count of probe deliveries
const clients = [];
await pool(users, 50, async (u) => {
  const client = await openSocket(wsUrlOf(url, '/graphql'), u.token, { deflate: false });
  clients.push(client);
  got.set(u, 0);
  for (let s = 0; s < K; s++) {
    client.subscribe({ query: OPS.newMessage, variables: { c: u.channel } }, { next: () => got.set(u, got.get(u) + 1), error: () => {}, complete: () => {} });
  }
});
await sleep(5000);
const after = rss();
// probe: one message into 50 chats; each subscription of both members must get it
const probed = chats.slice(0, 50);
await pool(probed, 16, (c) => http.gql(0, OPS.send, { c: c.channel, m: 'probe', k: `p-${c.channel}` }, c.a.token));
await sleep(3000);
const expected = probed.length * 2 * K;
const received = probed.reduce((s, c) => s + got.get(c.a) + got.get(c.b), 0);
console.log(JSON.stringify({ sockets: N, subs: K, rss_before_mib: +(before / 2 ** 20).toFixed(1), rss_after_mib: +(after / 2 ** 20).toFixed(1), kib_per_socket: +((after - before) / N / 1024).toFixed(1), probe: `${received}/${expected}` }));
for (const c of clients) c.dispose();
await http.close();
process.exit(0);
