// An outside client: Node's `ws` package speaks the documented protocol
// (docs/SIGNALING.md) to a real `tallow signal` process, including the
// join-code derivation. Usage: node node_ws_client.js TALLOW_BIN WORDLIST_C
'use strict';
const { spawn } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const WebSocket = require(path.join(__dirname, '..', '..', 'node_modules', 'ws'));

const [tallow, wordlistC] = process.argv.slice(2);
const words = [...fs.readFileSync(wordlistC, 'utf8').matchAll(/"([a-z]+)",/g)].map((m) => m[1]);
if (words.length !== 1024) throw new Error('word list: ' + words.length);

let server = null;
function finish(code, why) {
  if (why) console.error(why);
  if (server && server.exitCode === null) {
    server.once('exit', (c) => process.exit(code || (c === 0 ? 0 : 1)));
    server.kill('SIGTERM');
  } else {
    process.exit(code);
  }
}
setTimeout(() => finish(1, 'timeout'), 20000).unref();
process.on('uncaughtException', (e) => finish(1, e.stack));

// Join code (docs/SIGNALING.md §3).
function hkdf(ikm, info) {
  return Buffer.from(crypto.hkdfSync('sha256', ikm, Buffer.from('tallow joincode v1'), Buffer.from(info), 32));
}
function derive(group, bits50) {
  const g = Buffer.from([(group >> 16) & 255, (group >> 8) & 255, group & 255]);
  const pw = Number(bits50 >> 30n);
  const proof = hkdf(Buffer.concat([g, Buffer.from([(pw >> 16) & 255, (pw >> 8) & 255, pw & 255])]), 'join proof');
  const rnd = Buffer.alloc(7);
  for (let i = 0; i < 7; i++) rnd[i] = Number((bits50 >> BigInt(8 * (6 - i))) & 255n);
  const secret = hkdf(Buffer.concat([g, rnd]), 'key schedule secret');
  return { proof, secret };
}
function formatCode(group, bits50, loc) {
  const w = [];
  for (let i = 4; i >= 0; i--) w.push(words[Number((bits50 >> BigInt(10 * i)) & 1023n)]);
  return String(group).padStart(6, '0') + '-' + w.join('-') + '@' + loc;
}
function parseCode(code) {
  const [body, loc] = code.split('@');
  const parts = body.split('-');
  let bits = 0n;
  for (const p of parts.slice(1)) {
    const i = words.findIndex((x) => x === p || (p.length === 4 && x.startsWith(p)));
    if (i < 0) throw new Error('bad word ' + p);
    bits = (bits << 10n) | BigInt(i);
  }
  return { group: parseInt(parts[0], 10), bits, loc };
}

// A client that records every message and waits for one matching a predicate.
function client(url) {
  const ws = new WebSocket(url, 'tallow-signal-1');
  const seen = [];
  const waiters = [];
  ws.on('message', (data, isBinary) => {
    const m = JSON.parse(String(data));
    seen.push(m);
    for (const w of waiters.slice()) if (w.pred(m)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(m); }
  });
  return {
    ws,
    seen,
    open: () => new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); }),
    send: (o) => ws.send(typeof o === 'string' ? o : JSON.stringify(o)),
    wait: (pred, what, ms = 5000) => new Promise((resolve, reject) => {
      const hit = seen.find(pred);
      if (hit) return resolve(hit);
      const t = setTimeout(() => reject(new Error('no ' + what + '; saw ' + JSON.stringify(seen))), ms);
      waiters.push({ pred, resolve: (m) => { clearTimeout(t); resolve(m); } });
    }),
  };
}
const is = (type, extra = {}) => (m) => m.type === type && Object.entries(extra).every(([k, v]) => m[k] === v);

async function main() {
  server = spawn(tallow, ['signal', '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const port = await new Promise((resolve, reject) => {
    let buf = '';
    server.stderr.on('data', (d) => {
      buf += d;
      const m = buf.match(/listening on ws:\/\/127\.0\.0\.1:(\d+)/);
      if (m) resolve(parseInt(m[1], 10));
    });
    server.once('exit', () => reject(new Error('server exited: ' + buf)));
  });
  const url = 'ws://127.0.0.1:' + port;
  const a = client(url), b = client(url);
  await Promise.all([a.open(), b.open()]);

  // Before registering, only ping/register are allowed.
  a.send({ type: 'create-group', rid: 1, verifier: Buffer.alloc(32).toString('base64') });
  await a.wait(is('error', { code: 'not-registered', rid: 1 }), 'not-registered');
  a.send({ type: 'ping', rid: 2 });
  await a.wait(is('pong', { rid: 2 }), 'pong');
  a.send('{"type": "register", ');
  await a.wait(is('error', { code: 'bad-json' }), 'bad-json');
  a.ws.send(Buffer.from([1, 2, 3]), { binary: true });
  await a.wait((m) => m.type === 'error' && m.code === 'bad-json' && a.ws && true, 'bad-json (binary)');

  a.send({ type: 'register', v: 1, name: 'node-a', rid: 3 });
  const ra = await a.wait(is('registered', { rid: 3 }), 'registered a');
  b.send({ type: 'register', v: 1, name: 'node-b', rid: 1 });
  const rb = await b.wait(is('registered', { rid: 1 }), 'registered b');
  if (!/^[0-9a-f]{16}$/.test(ra.peer) || !/^[0-9a-f]{32}$/.test(ra.token)) throw new Error('ids');

  // A creates a group with a code of its own making.
  const bits = BigInt('0x' + crypto.randomBytes(7).toString('hex')) & ((1n << 50n) - 1n);
  const group = crypto.randomInt(1000000);
  const mine = derive(group, bits);
  const gs = String(group).padStart(6, '0');
  a.send({ type: 'create-group', rid: 4, group: gs, verifier: mine.proof.toString('base64') });
  await a.wait(is('group-created', { rid: 4, group: gs }), 'group-created');
  const code = formatCode(group, bits, '127.0.0.1:' + port);

  // B reads the code, derives the proof, joins; both hold the same secret.
  const pc = parseCode(code);
  const theirs = derive(pc.group, pc.bits);
  if (!theirs.secret.equals(mine.secret)) throw new Error('secrets differ');
  b.send({ type: 'join', rid: 2, group: gs, proof: theirs.proof.toString('base64') });
  const joined = await b.wait(is('joined', { rid: 2 }), 'joined');
  if (joined.members.length !== 1 || joined.members[0].peer !== ra.peer || joined.members[0].name !== 'node-a')
    throw new Error('members ' + JSON.stringify(joined));
  // The creator is marked: it is the group's sender (docs/SIGNALING.md §3).
  if (joined.members[0].creator !== true) throw new Error('creator not marked ' + JSON.stringify(joined));
  await a.wait(is('group-joined', { group: gs, peer: rb.peer, name: 'node-b' }), 'group-joined');

  // Relays.
  a.send({ type: 'offer', group: gs, to: rb.peer, sdp: 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n' });
  await b.wait(is('offer', { group: gs, from: ra.peer }), 'offer');
  b.send({ type: 'answer', group: gs, to: ra.peer, sdp: 'v=0 answer' });
  await a.wait(is('answer', { from: rb.peer, sdp: 'v=0 answer' }), 'answer');
  b.send({ type: 'candidate', group: gs, to: ra.peer, candidate: 'candidate:1 1 udp 1 h 9 typ host', mid: '0' });
  await a.wait(is('candidate', { from: rb.peer, mid: '0' }), 'candidate');
  b.send({ type: 'end-of-candidates', group: gs, to: ra.peer });
  await a.wait(is('end-of-candidates', { from: rb.peer }), 'end-of-candidates');
  a.send({ type: 'ice-restart', group: gs, to: rb.peer, sdp: 'v=0 restart' });
  await b.wait(is('ice-restart', { from: ra.peer }), 'ice-restart');
  // Only the creator may offer or restart ICE: a member's attempt is refused
  // and reaches nobody.
  b.send({ type: 'offer', group: gs, to: ra.peer, sdp: 'v=0 stray', rid: 5 });
  await b.wait(is('error', { code: 'not-creator', rid: 5 }), 'not-creator (offer)');
  b.send({ type: 'ice-restart', group: gs, to: ra.peer, sdp: 'v=0 stray', rid: 6 });
  await b.wait(is('error', { code: 'not-creator', rid: 6 }), 'not-creator (ice-restart)');
  if (a.seen.some((m) => m.sdp === 'v=0 stray')) throw new Error('a stray offer was relayed');
  b.send({ type: 'members', group: gs, rid: 7 });
  const mem = await b.wait(is('members', { rid: 7 }), 'members');
  if (mem.members.length !== 2) throw new Error('members');

  // Wrong code from a third client.
  const c = client(url);
  await c.open();
  c.send({ type: 'register', rid: 1 });
  await c.wait(is('registered'), 'registered c');
  c.send({ type: 'join', rid: 2, group: gs, proof: Buffer.alloc(32, 1).toString('base64') });
  await c.wait(is('error', { code: 'bad-code', rid: 2 }), 'bad-code');
  c.send({ type: 'offer', group: gs, to: ra.peer, sdp: 'x', rid: 3 });
  await c.wait(is('error', { code: 'not-member', rid: 3 }), 'not-member');

  // Order under load: a burst of relays reaches B complete and in order
  // (written directly, then behind lws' buffer and the server's queue).
  const burst = 150;
  for (let i = 0; i < burst; i++)
    a.send({ type: 'offer', group: gs, to: rb.peer, sdp: 'seq ' + i + ' ' + 'x'.repeat(i % 7 ? 100 : 20000) });
  const seqOf = (m) => (m.type === 'offer' && /^seq /.test(m.sdp) ? +m.sdp.split(' ')[1] : -1);
  await b.wait((m) => seqOf(m) === burst - 1, 'last of burst');
  const got = b.seen.map(seqOf).filter((v) => v >= 0);
  if (got.length !== burst || got.some((v, i) => v !== i)) throw new Error('burst order ' + got.join(','));

  // A reader that stops reading is dropped once its queue is full (1 MiB
  // past what the socket buffers hold); what it got until then is in order.
  const d = client(url);
  await d.open();
  d.send({ type: 'register', rid: 1 });
  const rd = await d.wait(is('registered'), 'registered d');
  d.send({ type: 'join', rid: 2, group: gs, proof: theirs.proof.toString('base64') });
  await d.wait(is('joined', { rid: 2 }), 'joined d');
  const closed = new Promise((res) => d.ws.once('close', res));
  d.ws._socket.pause();
  const big = 'y'.repeat(50000);
  for (let i = 0; i < 200; i++) a.send({ type: 'offer', group: gs, to: rd.peer, sdp: i + ' ' + big });
  a.send({ type: 'ping', rid: 11 });
  // 10 MB of relays go through the server before this ping: 0.3 s in a
  // normal build, 3.5 s under ASan on a loaded 2-core machine, more under
  // heavier load; the deadline is for a server that never answers.
  await a.wait(is('pong', { rid: 11 }), 'pong after flood', 60000);
  await new Promise((res) => setTimeout(res, 300));
  d.ws._socket.resume();
  await closed;
  const offers = d.seen.filter((m) => m.type === 'offer').map((m) => +m.sdp.split(' ')[0]);
  if (offers.length >= 200 || offers.some((v, i) => v !== i)) throw new Error('slow reader got ' + offers.length);
  await a.wait(is('peer-gone', { peer: rd.peer }), 'slow reader gone');
  a.send({ type: 'offer', group: gs, to: rd.peer, sdp: 'late', rid: 12 });
  await a.wait(is('error', { code: 'peer-offline', rid: 12 }), 'peer-offline');

  // Leave.
  b.send({ type: 'leave', group: gs, rid: 9 });
  await b.wait(is('left', { rid: 9 }), 'left');
  await a.wait(is('group-left', { group: gs, peer: rb.peer }), 'group-left');
  for (const x of [a, b, c]) x.ws.close(1000);

  // The server restarts with no state. A member that knows the creator's
  // peer id and claims it first does not get it (a peer id is the hash of
  // its resume token); the creator does, re-creates the group and is again
  // its only sender.
  await new Promise((res) => { server.once('exit', res); server.kill('SIGKILL'); });
  server = spawn(tallow, ['signal', '--listen', '127.0.0.1:' + port], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise((resolve, reject) => {
    let buf = '';
    server.stderr.on('data', (d) => { buf += d; if (/listening on/.test(buf)) resolve(); });
    server.once('exit', () => reject(new Error('server exited: ' + buf)));
  });
  const m2 = client(url), a2 = client(url), b2 = client(url);
  await Promise.all([m2.open(), a2.open(), b2.open()]);
  m2.send({ type: 'register', v: 1, peer: ra.peer, token: crypto.randomBytes(16).toString('hex'), rid: 1 });
  const rm = await m2.wait(is('registered', { rid: 1 }), 'registered mallory');
  if (rm.peer === ra.peer) throw new Error('mallory took the creator\'s peer id');
  if (rm.resumed) throw new Error('mallory resumed');
  a2.send({ type: 'register', v: 1, peer: ra.peer, token: ra.token, rid: 1 });
  const ra2 = await a2.wait(is('registered', { rid: 1 }), 'registered a again');
  if (ra2.peer !== ra.peer) throw new Error('the creator lost its peer id');
  b2.send({ type: 'register', v: 1, peer: rb.peer, token: rb.token, rid: 1 });
  await b2.wait(is('registered', { rid: 1, peer: rb.peer }), 'registered b again');
  a2.send({ type: 'create-group', rid: 2, group: gs, verifier: mine.proof.toString('base64') });
  await a2.wait(is('group-created', { rid: 2, group: gs }), 're-created');
  for (const [x, rid] of [[b2, 3], [m2, 3]]) {
    x.send({ type: 'join', rid, group: gs, proof: theirs.proof.toString('base64') });
    const j = await x.wait(is('joined', { rid }), 'joined again');
    if (!j.members.some((mm) => mm.peer === ra.peer && mm.creator === true)) throw new Error('creator after restart ' + JSON.stringify(j));
  }
  m2.send({ type: 'offer', group: gs, to: rb.peer, sdp: 'v=0 takeover', rid: 4 });
  await m2.wait(is('error', { code: 'not-creator', rid: 4 }), 'not-creator after restart');
  a2.send({ type: 'offer', group: gs, to: rb.peer, sdp: 'v=0 real' });
  await b2.wait(is('offer', { from: ra.peer, sdp: 'v=0 real' }), 'the creator\'s offer after restart');
  if (b2.seen.some((mm) => mm.sdp === 'v=0 takeover')) throw new Error('takeover offer relayed');
  for (const x of [m2, a2, b2]) x.ws.close(1000);
  finish(0);
}
main().catch((e) => finish(1, e.stack));
