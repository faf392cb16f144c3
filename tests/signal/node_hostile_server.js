// A hostile signaling server (docs/SECURITY.md): Node's `ws` package plays
// the server for a real `tallow receive` and sends it peer ids, group numbers,
// invite ids and device names that are not in their documented formats
// (docs/SIGNALING.md §2), some carrying terminal control sequences. The
// client must drop those messages: no event names an invalid peer, and
// nothing the server wrote reaches the terminal unescaped.
// Usage: node node_hostile_server.js TALLOW_BIN WORDLIST_C
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const { WebSocketServer } = require(path.join(__dirname, '..', '..', 'node_modules', 'ws'));

const [tallow, wordlistC] = process.argv.slice(2);
const words = [...fs.readFileSync(wordlistC, 'utf8').matchAll(/"([a-z]+)",/g)].map((m) => m[1]);
if (words.length !== 1024) throw new Error('word list: ' + words.length);

let child = null;
let wss = null;
function finish(code, why) {
  if (why) console.error(why);
  if (wss) wss.close();
  if (child && child.exitCode === null && child.signalCode === null) {
    child.once('exit', () => process.exit(code));
    child.kill('SIGKILL');
  } else {
    process.exit(code);
  }
}
setTimeout(() => finish(1, 'timeout'), 30000).unref();
process.on('uncaughtException', (e) => finish(1, e.stack));

const ESC = '\u001b';
const GOOD = 'abcdefabcdefabcd'; // a well-formed peer id: the sync point
const BAD_PEERS = [ESC + '[31mEVIL12345678', '../../etc/passwd', 'ABCDEFABCDEFABCD', '0123', ''];

wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'tallow-signal-1' });
wss.on('listening', () => {
  const port = wss.address().port;
  const code = '123456-' + [1, 2, 3, 4, 5].map((i) => words[i * 100]).join('-') + '@127.0.0.1:' + port;
  child = spawn(tallow, ['receive', code, '--json', '--out', fs.mkdtempSync('/tmp/tl-hostile-srv-'), '--timeout', '25'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
    check();
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  function check() {
    // The valid offer comes last: once the client reports connecting to
    // GOOD, every earlier (invalid) message has been handled.
    if (!out.includes('"peer":"' + GOOD + '","state":"connecting"')) return;
    const events = out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const named = events.filter((e) => e.peer !== undefined).map((e) => e.peer);
    const bad = named.filter((p) => p !== GOOD);
    if (bad.length) return finish(1, 'events name invalid peers: ' + JSON.stringify(bad));
    if ((out + err).includes(ESC)) return finish(1, 'a control sequence reached the output:\n' + JSON.stringify(out + err));
    finish(0);
  }
});
wss.on('connection', (ws) => {
  const send = (o) => ws.send(JSON.stringify(o));
  ws.on('message', (data) => {
    const m = JSON.parse(String(data));
    if (m.type === 'register') {
      send({ type: 'registered', rid: m.rid, v: 1, peer: '0123456789abcdef', token: '0'.repeat(32), resumed: false, groups: [] });
    } else if (m.type === 'join') {
      // Members with bad ids and names, and no creator mark (as a server
      // that does not say): the client itself must drop what is malformed.
      send({
        type: 'joined', rid: m.rid, group: m.group,
        members: [
          ...BAD_PEERS.map((p) => ({ peer: p, name: 'x', online: true })),
          { peer: GOOD, name: 'ev' + ESC + ']0;title\u0007il', online: true },
        ],
      });
      for (const p of BAD_PEERS) {
        send({ type: 'offer', group: m.group, from: p, sdp: 'v=0' });
        send({ type: 'group-joined', group: m.group, peer: p, name: ESC + '[2J', rejoined: false });
        send({ type: 'candidate', group: m.group, from: p, candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', mid: '0' });
      }
      send({ type: 'offer', group: '12x' + ESC, from: GOOD, sdp: 'v=0' });
      send({ type: 'group-invite', invite: ESC + '[1m', group: m.group, from: GOOD, from_name: ESC + '[5m', blob: '' });
      // The one valid message: an offer from the creator (its SDP is junk;
      // the client reports connecting before it parses it).
      send({ type: 'offer', group: m.group, from: GOOD, sdp: 'v=0\r\n' });
    }
  });
});
