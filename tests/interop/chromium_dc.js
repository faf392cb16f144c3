'use strict';
// Browser interop test: headless Chromium <-> libtallow (interop_peer) data
// channel, inside the network namespace made by netns_run.sh.
//
//   node chromium_dc.js --offerer chromium|tallow --peer PATH/interop_peer
//                       [--bind 10.201.0.2] [--verbose]
//
// Steps, each with a deadline (no sleeps):
//  1. offer/answer and trickled candidates between the page and interop_peer
//     (JSON lines on the peer's stdin/stdout);
//  2. the channel ("interop", protocol "tl-interop", reliable ordered) opens
//     on both sides; the offerer creates it, the answerer gets it through
//     DCEP;
//  3. both sides send their script (interop_script.*: 256 KiB binary and
//     text, empty binary and text, a burst of 1000 mixed messages) and the
//     end marker; every side reports count, bytes and SHA-256 of what it sent
//     and received, and all four digests are checked against Node's own;
//  4. the answerer closes the channel (SCTP stream reset): on_close/onclose
//     on both sides; then both close their connections.
// Exit 0 on success, 1 on failure. Every process started is killed by PID.

const path = require('path');
const readline = require('readline');

const root = path.resolve(__dirname, '..', '..');
const children = require(path.join(root, 'bench', 'lib', 'children.js'));
const { launchChromium } = require('./chromium_launch.js');
const { scriptSource, expectedDigest, seeds } = require('./interop_script.js');
const { pageSource } = require('./interop_page.js');

function parseArgs(argv) {
  const o = { offerer: null, peer: null, bind: '10.201.0.2', verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--offerer') o.offerer = argv[++i];
    else if (a === '--peer') o.peer = argv[++i];
    else if (a === '--bind') o.bind = argv[++i];
    else if (a === '--verbose') o.verbose = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!['chromium', 'tallow'].includes(o.offerer) || !o.peer) {
    throw new Error('usage: chromium_dc.js --offerer chromium|tallow --peer PATH [--bind ADDR] [--verbose]');
  }
  return o;
}

const t0 = Date.now();
const END_LEN = '__end__'.length;
const log = (...a) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(3)}] ${a.join(' ')}\n`);

// Events from both sides; wait() resolves with the first matching event,
// past or future, and fails at its deadline or on an "error" event.
class Events {
  constructor() {
    this.list = [];
    this.waiters = [];
  }
  push(side, ev) {
    this.list.push({ side, ev });
    for (const w of [...this.waiters]) this.check(w);
  }
  check(w) {
    for (const { side, ev } of this.list) {
      if (ev.type === 'error') {
        w.reject(new Error(`${side} reported an error: ${ev.message}`));
      } else if (side === 'tallow' && ev.type === 'exit' && w.side === 'tallow' && w.type !== 'exit') {
        w.reject(new Error(`interop_peer exited (code ${ev.code}, signal ${ev.signal}) before ${w.type}`));
      } else if (side === w.side && ev.type === w.type && (!w.pred || w.pred(ev))) {
        w.resolve(ev);
      } else {
        continue;
      }
      this.waiters = this.waiters.filter((x) => x !== w);
      return;
    }
  }
  wait(side, type, ms, pred) {
    const p = new Promise((resolve, reject) => {
      const w = { side, type, pred, resolve, reject };
      this.waiters.push(w);
      this.check(w);
    });
    return children.deadline(p, ms, `${side} ${type}`);
  }
}

function startPeer(o, events) {
  const role = o.offerer === 'tallow' ? 'offer' : 'answer';
  const args = ['--role', role, '--bind', o.bind, '--timeout', '100'];
  if (o.verbose) args.push('--verbose');
  // --peer may name a .js stand-in (fake_peer.js) run with this node.
  const [cmd, cmdArgs] = o.peer.endsWith('.js') ? [process.execPath, [o.peer, ...args]] : [o.peer, args];
  const cp = children.start(cmd, cmdArgs, { stdio: ['pipe', 'pipe', 'pipe'] });
  readline.createInterface({ input: cp.stdout }).on('line', (line) => {
    let ev;
    try {
      ev = JSON.parse(line);
    } catch (_) {
      ev = { type: 'error', message: `unparsable line from interop_peer: ${line.slice(0, 200)}` };
    }
    if (o.verbose || !['candidate'].includes(ev.type)) log('tallow ->', summarize(ev));
    events.push('tallow', ev);
  });
  readline.createInterface({ input: cp.stderr }).on('line', (l) => log('tallow stderr:', l));
  cp.exitPromise.then((r) => {
    log(`interop_peer exited code=${r.code} signal=${r.signal}`);
    events.push('tallow', { type: 'exit', code: r.code, signal: r.signal });
  });
  cp.stdin.on('error', () => {}); // EPIPE if the peer died; reported via exit
  cp.sendLine = (obj) => {
    if (o.verbose || obj.type !== 'candidate') log('tallow <-', summarize(obj));
    cp.stdin.write(JSON.stringify(obj) + '\n');
  };
  return cp;
}

let fullSdp = false; // --verbose shows whole descriptions
function summarize(ev) {
  const s = { ...ev };
  if (s.sdp && !fullSdp) s.sdp = `<${s.sdp.length} bytes>`;
  return JSON.stringify(s);
}

function checkDigest(what, got, want) {
  if (got.count !== want.count || got.bytes !== want.bytes || got.sha256 !== want.sha256) {
    throw new Error(`${what}: got ${JSON.stringify(got)} want ${JSON.stringify(want)}`);
  }
  log(`ok: ${what}: ${got.count} messages, ${got.bytes} bytes, sha256 ${got.sha256.slice(0, 16)}...`);
}

async function negotiate(o, page, peer, events) {
  const ev = (fn, ...args) => children.deadline(page.evaluate(fn, ...args), 20000, 'page call');
  // Candidates from the page go to the peer only after the page's SDP did;
  // candidates from the peer go to the page only after its remote
  // description is set (the peer holds them until its own SDP is out).
  let pageSdpSent = false;
  const heldForPeer = [];
  let remoteSet;
  const remoteSetP = new Promise((res) => (remoteSet = res));
  const toPeer = (m) => (pageSdpSent ? peer.sendLine(m) : heldForPeer.push(m));
  const pageSdpDelivered = () => {
    pageSdpSent = true;
    for (const m of heldForPeer.splice(0)) peer.sendLine(m);
  };
  events.onPage = (m) => {
    if (m.type === 'candidate' || m.type === 'end-of-candidates') toPeer(m);
  };
  let chain = remoteSetP;
  events.onTallow = (m) => {
    if (m.type === 'candidate') {
      chain = chain.then(() => page.evaluate(([c, mid]) => window.tlPage.addCandidate(c, mid), [m.candidate, m.mid])
        .catch((e) => events.push('page', { type: 'error', message: `addIceCandidate(${m.candidate}): ${e.message}` })));
    } else if (m.type === 'end-of-candidates') {
      chain = chain.then(() => page.evaluate(() => window.tlPage.endOfCandidates())
        .catch((e) => log(`note: Chromium rejected end-of-candidates: ${e.message}`)));
    }
  };

  if (o.offerer === 'chromium') {
    const offer = await ev((off) => window.tlPage.start(off), true);
    peer.sendLine({ type: 'offer', sdp: offer });
    pageSdpDelivered();
    const answer = await events.wait('tallow', 'answer', 30000);
    await ev(([sdp]) => window.tlPage.setRemote('answer', sdp), [answer.sdp]);
    remoteSet();
  } else {
    await ev((off) => window.tlPage.start(off), false);
    const offer = await events.wait('tallow', 'offer', 30000);
    const answer = await ev(([sdp]) => window.tlPage.setRemote('offer', sdp), [offer.sdp]);
    remoteSet();
    peer.sendLine({ type: 'answer', sdp: answer });
    pageSdpDelivered();
  }
}

async function exchange(o, page, peer, events) {
  const exp = { tallow: expectedDigest(seeds().tallow), chromium: expectedDigest(seeds().chromium) };
  const [tOpen, pOpen] = await Promise.all([
    events.wait('tallow', 'open', 30000),
    events.wait('page', 'open', 30000),
  ]);
  log(`channel open on both sides (${Date.now() - t0} ms after start)`);
  for (const [who, e] of [['tallow', tOpen], ['chromium', pOpen]]) {
    if (e.label !== 'interop' || e.protocol !== 'tl-interop') {
      throw new Error(`${who} sees label ${JSON.stringify(e.label)} protocol ${JSON.stringify(e.protocol)}`);
    }
  }
  if (tOpen.id !== pOpen.id) throw new Error(`stream id differs: tallow ${tOpen.id}, chromium ${pOpen.id}`);
  const [tSent, tRecv, pSent, pRecv] = await Promise.all([
    events.wait('tallow', 'sent', 30000),
    events.wait('tallow', 'received', 60000),
    events.wait('page', 'sent', 30000),
    events.wait('page', 'received', 60000),
  ]);
  checkDigest('libtallow sent', tSent, exp.tallow);
  checkDigest('Chromium received', pRecv, exp.tallow);
  checkDigest('Chromium sent', pSent, exp.chromium);
  checkDigest('libtallow received', tRecv, exp.chromium);
  const pair = await children.deadline(page.evaluate(() => window.tlPage.selectedPair()), 10000, 'getStats');
  log(`Chromium selected pair: ${JSON.stringify(pair)}`);
  return exp;
}

async function closeAll(o, page, peer, events, exp) {
  // The answerer closes the channel: with Chromium offering that is
  // libtallow (tl_dc_close), with libtallow offering it is Chromium.
  if (o.offerer === 'chromium') peer.sendLine({ type: 'close' });
  else await page.evaluate(() => window.tlPage.closeChannel());
  await Promise.all([events.wait('tallow', 'closed', 20000), events.wait('page', 'closed', 20000)]);
  log('ok: channel closed on both sides');
  peer.sendLine({ type: 'quit' });
  const bye = await events.wait('tallow', 'bye', 20000);
  const st = bye.stats;
  if (!st) throw new Error('interop_peer sent no stats');
  // Exact counts, +1 for the end marker each way (tl_pc_stats counts
  // data-channel payload bytes and messages).
  const want = {
    messages_received: exp.chromium.count + 1,
    messages_sent: exp.tallow.count + 1,
    bytes_received: exp.chromium.bytes + END_LEN,
  };
  for (const [k, v] of Object.entries(want)) {
    if (st[k] !== v) throw new Error(`libtallow stats ${k} = ${st[k]}, want ${v}: ${JSON.stringify(st)}`);
  }
  // Empty messages go on the wire as one byte (RFC 8831 §6.6) but carry no
  // payload; only warn here, the library's count of sent bytes is reported
  // separately (see docs/INTEROP.md).
  if (st.bytes_sent !== exp.tallow.bytes + END_LEN) {
    log(`note: libtallow stats bytes_sent = ${st.bytes_sent}, payload was ${exp.tallow.bytes + END_LEN}`);
  }
  log(`libtallow stats: ${JSON.stringify(st)}`);
  const ex = await events.wait('tallow', 'exit', 20000);
  if (ex.code !== 0) throw new Error(`interop_peer exited with ${ex.code} (signal ${ex.signal})`);
  await page.evaluate(() => window.tlPage.closePc());
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  fullSdp = o.verbose;
  if (!process.env.TL_NETNS) log('warning: not inside netns_run.sh; Chromium may gather no candidates');
  const events = new Events();
  events.onPage = () => {};
  events.onTallow = () => {};
  const origPush = events.push.bind(events);
  events.push = (side, ev) => {
    origPush(side, ev);
    if (side === 'page') events.onPage(ev);
    else events.onTallow(ev);
  };

  let chromium = null;
  let peer = null;
  try {
    chromium = await launchChromium();
    const pid = chromium.pid;
    children.atSignal(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch (_) {
        /* already gone */
      }
    });
    log(`Chromium started, pid ${pid}`);
    const page = await chromium.browser.newPage();
    page.on('console', (m) => log('page console:', m.text()));
    page.on('pageerror', (e) => events.push('page', { type: 'error', message: `page error: ${e.message}` }));
    await page.exposeFunction('tlToNode', (m) => {
      if (o.verbose || m.type !== 'candidate') log('chromium ->', summarize(m));
      events.push('page', m);
    });
    await page.setContent('<!doctype html><title>tallow interop</title>');
    await page.addScriptTag({ content: scriptSource });
    await page.addScriptTag({ content: pageSource });

    peer = startPeer(o, events);
    await negotiate(o, page, peer, events);
    const exp = await exchange(o, page, peer, events);
    await closeAll(o, page, peer, events, exp);
    log(`PASS (${o.offerer} offered)`);
    return 0;
  } catch (e) {
    log(`FAIL (${o.offerer} offered): ${e.message}`);
    return 1;
  } finally {
    if (peer) await children.stop(peer, 3000);
    if (chromium) await chromium.close();
  }
}

main().then(
  (rc) => process.exit(rc),
  (e) => {
    log(`FAIL: ${e.stack || e}`);
    process.exit(1);
  },
);
