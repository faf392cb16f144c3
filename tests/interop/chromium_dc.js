'use strict';
// Browser interop test: headless Chromium <-> libtallow (interop_peer) data
// channel, inside the network namespace made by netns_run.sh.
//
//   node chromium_dc.js --offerer chromium|tallow --peer PATH/interop_peer
//                       [--bind 10.201.0.2] [--verbose] [--ice-restart]
//                       [--bulk BYTES [--msg BYTES]]
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
// With --ice-restart, between 3 and 4 the offerer restarts ICE on the live
// connection (new ufrag/pwd, new candidates trickled) and both scripts are
// sent and checked again over the same channel.
// With --bulk (used by bench/browser-dc), after the checks each side sends
// BYTES in --msg byte messages to the other (libtallow first), paced by
// bufferedAmountLowThreshold (1..4 MiB); the receiver times first to last
// byte, and a JSON line {"bulk":{...}} with both MB/s goes to stdout.
// Exit 0 on success, 1 on failure. Every process started is killed by PID.

const path = require('path');
const readline = require('readline');

const root = path.resolve(__dirname, '..', '..');
const children = require(path.join(root, 'bench', 'lib', 'children.js'));
const { launchChromium } = require('./chromium_launch.js');
const { scriptSource, expectedDigest, seeds } = require('./interop_script.js');
const { pageSource } = require('./interop_page.js');

function parseArgs(argv) {
  const o = { offerer: null, peer: null, bind: '10.201.0.2', verbose: false, iceRestart: false, bulk: 0, msg: 65536 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--offerer') o.offerer = argv[++i];
    else if (a === '--peer') o.peer = argv[++i];
    else if (a === '--bind') o.bind = argv[++i];
    else if (a === '--verbose') o.verbose = true;
    else if (a === '--ice-restart') o.iceRestart = true;
    else if (a === '--bulk') o.bulk = parseInt(argv[++i], 10);
    else if (a === '--msg') o.msg = parseInt(argv[++i], 10);
    else throw new Error(`unknown argument ${a}`);
  }
  if (!['chromium', 'tallow'].includes(o.offerer) || !o.peer) {
    throw new Error('usage: chromium_dc.js --offerer chromium|tallow --peer PATH [--bind ADDR] [--verbose] [--ice-restart] [--bulk BYTES [--msg BYTES]]');
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
    ev.seq = this.list.length + 1;
    this.list.push({ side, ev });
    for (const w of [...this.waiters]) this.check(w);
  }
  check(w) {
    for (const { side, ev } of this.list) {
      if (ev.type === 'error' && !w.ignoreErrors) {
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
  // Sequence number of the last event; wait(..., (e) => e.seq > mark) skips
  // everything seen so far.
  mark() {
    return this.list.length;
  }
  wait(side, type, ms, pred, ignoreErrors) {
    const p = new Promise((resolve, reject) => {
      const w = { side, type, pred, resolve, reject, ignoreErrors };
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

// Routes descriptions and trickled candidates between the page and the peer.
// Candidates from the page go to the peer only after the page's description
// did; candidates from the peer go to the page only after the description
// they belong to is applied there (the peer itself holds its candidates until
// its own description is printed). Both gates close again for an ICE restart.
function makeSignaling(o, page, peer, events) {
  const ev = (fn, ...args) => children.deadline(page.evaluate(fn, ...args), 20000, 'page call');
  const toPeerGate = { open: false, held: [] };
  let toPageGate = null;
  const closeGates = () => {
    toPeerGate.open = false;
    let open;
    toPageGate = new Promise((res) => (open = res));
    toPageGate.open = open;
  };
  closeGates();
  const pageSdpDelivered = () => {
    toPeerGate.open = true;
    for (const m of toPeerGate.held.splice(0)) peer.sendLine(m);
  };
  events.onPage = (ev) => {
    if (ev.type !== 'candidate' && ev.type !== 'end-of-candidates') return;
    const { seq, ...m } = ev; // seq is the driver's own bookkeeping
    if (toPeerGate.open) peer.sendLine(m);
    else toPeerGate.held.push(m);
  };
  // libtallow gathers only on --bind (tl_pc_config.allowed): every candidate
  // it emits, trickled or inside its description, must carry that address.
  const checkCand = (c) => {
    const f = c.replace(/^a=/, '').split(' ');
    if (f[4] !== o.bind) {
      events.push('tallow', { type: 'error', message: `candidate outside --bind ${o.bind}: ${c}` });
    }
  };
  let chain = Promise.resolve();
  events.onTallow = (m) => {
    if (m.sdp) m.sdp.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:')).forEach(checkCand);
    const gate = toPageGate;
    if (m.type === 'candidate') {
      checkCand(m.candidate);
      chain = chain.then(() => gate).then(() => page.evaluate(([c, mid]) => window.tlPage.addCandidate(c, mid), [m.candidate, m.mid])
        .catch((e) => events.push('page', { type: 'error', message: `addIceCandidate(${m.candidate}): ${e.message}` })));
    } else if (m.type === 'end-of-candidates') {
      chain = chain.then(() => gate).then(() => page.evaluate(() => window.tlPage.endOfCandidates())
        .catch((e) => log(`note: Chromium rejected end-of-candidates: ${e.message}`)));
    }
  };

  // One offer/answer round. start: the page's first call (create the
  // connection) or null for a renegotiation; restart: ICE restart.
  async function round(first, restart) {
    const mark = events.mark();
    closeGates();
    const gate = toPageGate;
    let offerSdp;
    if (o.offerer === 'chromium') {
      offerSdp = first ? await ev((off) => window.tlPage.start(off), true) : await ev(() => window.tlPage.restartOffer());
      peer.sendLine({ type: 'offer', sdp: offerSdp });
      pageSdpDelivered();
      const answer = await events.wait('tallow', 'answer', 30000, (e) => e.seq > mark);
      await ev(([sdp]) => window.tlPage.setRemote('answer', sdp), [answer.sdp]);
      gate.open();
    } else {
      if (first) await ev((off) => window.tlPage.start(off), false);
      else peer.sendLine({ type: 'restart' });
      const offer = await events.wait('tallow', 'offer', 30000, (e) => e.seq > mark);
      offerSdp = offer.sdp;
      const answer = await ev(([sdp]) => window.tlPage.setRemote('offer', sdp), [offer.sdp]);
      gate.open();
      peer.sendLine({ type: 'answer', sdp: answer });
      pageSdpDelivered();
    }
    return offerSdp;
  }
  return { round };
}

const ufragOf = (sdp) => (/^a=ice-ufrag:(\S+)/m.exec(sdp) || [])[1];

// ICE restart initiated by the offerer on the live connection, then both
// scripts again over the same channel.
async function iceRestart(o, page, peer, events, sig, firstOffer, exp) {
  const mark = events.mark();
  const offer = await sig.round(false, true);
  if (!ufragOf(offer) || ufragOf(offer) === ufragOf(firstOffer)) {
    throw new Error(`restart offer keeps ICE ufrag ${ufragOf(offer)}`);
  }
  log(`ok: ICE restart offer/answer done (ufrag ${ufragOf(firstOffer)} -> ${ufragOf(offer)})`);
  peer.sendLine({ type: 'send' });
  await page.evaluate(() => window.tlPage.sendAgain());
  const after = (e) => e.seq > mark;
  const [tSent, tRecv, pSent, pRecv] = await Promise.all([
    events.wait('tallow', 'sent', 30000, after),
    events.wait('tallow', 'received', 60000, after),
    events.wait('page', 'sent', 30000, after),
    events.wait('page', 'received', 60000, after),
  ]);
  checkDigest('after restart: libtallow sent', tSent, exp.tallow);
  checkDigest('after restart: Chromium received', pRecv, exp.tallow);
  checkDigest('after restart: Chromium sent', pSent, exp.chromium);
  checkDigest('after restart: libtallow received', tRecv, exp.chromium);
  const pair = await children.deadline(page.evaluate(() => window.tlPage.selectedPair()), 10000, 'getStats');
  log(`Chromium selected pair after restart: ${JSON.stringify(pair)}`);
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

async function bulk(o, page, peer, events, chromiumPid) {
  const { treeUsage } = require(path.join(root, 'bench', 'lib', 'proc_stats.js'));
  const res = { bytes: o.bulk, msg: o.msg };
  // CPU seconds used by each side during a direction (where the time goes).
  // UDP datagrams received in this namespace (data packets plus SACKs).
  const udpIn = () => {
    const l = require('fs').readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((x) => x.startsWith('Udp:'));
    return parseInt(l[1].split(' ')[l[0].split(' ').indexOf('InDatagrams')], 10);
  };
  const cpu = () => ({ chromium: treeUsage(chromiumPid).cpu_s, tallow: treeUsage(peer.pid).cpu_s, udp: udpIn() });
  const cpuDelta = (a, b) => ({ chromium_cpu_s: +(b.chromium - a.chromium).toFixed(2),
    tallow_cpu_s: +(b.tallow - a.tallow).toFixed(2), udp_datagrams: b.udp - a.udp });
  // libtallow -> Chromium
  let mark = events.mark();
  await page.evaluate((n) => window.tlPage.expectBulk(n), o.bulk);
  let c0 = cpu();
  peer.sendLine({ type: 'bulk', bytes: o.bulk, msg: o.msg });
  let r = await events.wait('page', 'bulk-received', 600000, (e) => e.seq > mark);
  res.tallow_to_chromium = cpuDelta(c0, cpu());
  res.tallow_to_chromium_mbps = r.bytes / 1e6 / (r.ms / 1000);
  log(`bulk libtallow -> Chromium: ${r.bytes} bytes in ${r.ms.toFixed(0)} ms = ${res.tallow_to_chromium_mbps.toFixed(1)} MB/s`);
  // Chromium -> libtallow
  mark = events.mark();
  peer.sendLine({ type: 'expect-bulk', bytes: o.bulk });
  c0 = cpu();
  await page.evaluate(([n, m]) => window.tlPage.bulkSend(n, m), [o.bulk, o.msg]);
  r = await events.wait('tallow', 'bulk-received', 600000, (e) => e.seq > mark);
  res.chromium_to_tallow = cpuDelta(c0, cpu());
  res.chromium_to_tallow_mbps = r.bytes / 1e6 / (r.ms / 1000);
  log(`bulk Chromium -> libtallow: ${r.bytes} bytes in ${r.ms} ms = ${res.chromium_to_tallow_mbps.toFixed(1)} MB/s`);
  process.stdout.write(JSON.stringify({ bulk: res }) + '\n');
}

async function closeAll(o, page, peer, events, exp) {
  // The answerer closes the channel: with Chromium offering that is
  // libtallow (tl_dc_close), with libtallow offering it is Chromium.
  if (o.offerer === 'chromium') peer.sendLine({ type: 'close' });
  else await page.evaluate(() => window.tlPage.closeChannel());
  await Promise.all([events.wait('tallow', 'closed', 20000), events.wait('page', 'closed', 20000)]);
  log('ok: channel closed on both sides');
  if (o.offerer === 'tallow') {
    // Chromium closes its connection first: libtallow must notice (DTLS
    // close_notify / SCTP ABORT) and reach state "closed".
    await page.evaluate(() => window.tlPage.closePc());
    await events.wait('tallow', 'state', 10000, (e) => e.state === 'closed');
    log('ok: libtallow saw Chromium close the connection');
  }
  peer.sendLine({ type: 'quit' });
  const bye = await events.wait('tallow', 'bye', 20000);
  const st = bye.stats;
  if (!st) throw new Error('interop_peer sent no stats');
  // Exact counts, +1 for the end marker each way (tl_pc_stats counts
  // data-channel payload bytes and messages).
  const rounds = o.iceRestart ? 2 : 1;
  const bulkMsgs = o.bulk ? Math.ceil(o.bulk / o.msg) : 0;
  const want = {
    messages_received: rounds * (exp.chromium.count + 1) + bulkMsgs,
    messages_sent: rounds * (exp.tallow.count + 1) + bulkMsgs,
    bytes_received: rounds * (exp.chromium.bytes + END_LEN) + o.bulk,
    // Payload only: an empty message is one byte on the wire but counts 0.
    bytes_sent: rounds * (exp.tallow.bytes + END_LEN) + o.bulk,
  };
  for (const [k, v] of Object.entries(want)) {
    if (st[k] !== v) throw new Error(`libtallow stats ${k} = ${st[k]}, want ${v}: ${JSON.stringify(st)}`);
  }
  log(`libtallow stats: ${JSON.stringify(st)}`);
  const ex = await events.wait('tallow', 'exit', 20000);
  if (ex.code !== 0) throw new Error(`interop_peer exited with ${ex.code} (signal ${ex.signal})`);
  if (o.offerer === 'chromium') {
    // libtallow closed first (tl_pc_close): Chromium's DTLS transport must
    // see the close_notify.
    await events.wait('page', 'dtls-state', 10000, (e) => e.state === 'closed');
    log('ok: Chromium saw libtallow close the DTLS association');
    await page.evaluate(() => window.tlPage.closePc());
  }
}

// After a failure: both sides' view of the connection, to tell where bytes
// stopped (sender queue, in flight, receiver). Best effort, short deadlines.
async function diagnose(page, peer, events) {
  try {
    if (peer && peer.exitCode == null) {
      const mark = events.mark();
      peer.sendLine({ type: 'stats' });
      const st = await events.wait('tallow', 'stats', 3000, (e) => e.seq > mark, true);
      log(`diag libtallow: ${JSON.stringify(st.stats)}`);
    }
  } catch (e) {
    log(`diag libtallow: ${e.message}`);
  }
  try {
    if (page) {
      const d = await children.deadline(page.evaluate(() => window.tlPage.diag()), 3000, 'page diag');
      log(`diag Chromium: ${JSON.stringify(d)}`);
    }
  } catch (e) {
    log(`diag Chromium: ${e.message}`);
  }
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
  let page = null;
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
    page = await chromium.browser.newPage();
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
    const sig = makeSignaling(o, page, peer, events);
    const firstOffer = await sig.round(true, false);
    const exp = await exchange(o, page, peer, events);
    if (o.iceRestart) await iceRestart(o, page, peer, events, sig, firstOffer, exp);
    if (o.bulk) await bulk(o, page, peer, events, pid);
    await closeAll(o, page, peer, events, exp);
    log(`PASS (${o.offerer} offered)`);
    return 0;
  } catch (e) {
    log(`FAIL (${o.offerer} offered): ${e.message}`);
    await diagnose(page, peer, events);
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
