'use strict';
// Page-side code for bench/browser-dc: two RTCPeerConnections in one page,
// connected to each other with in-page signaling (no ICE servers, trickle).
// Installed with page.addInitScript / page.evaluate; everything runs inside
// Chromium.

function pageMain() {
  const now = () => performance.now();

  // Connects a pair; resolves with { a, b, dcA, dcB, setupMs } once the
  // channel is open on both sides (offer creation to both 'open' events).
  async function connectPair(label) {
    const a = new RTCPeerConnection({ iceServers: [] });
    const b = new RTCPeerConnection({ iceServers: [] });
    a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate).catch(() => {});
    b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate).catch(() => {});
    const t0 = now();
    const dcA = a.createDataChannel(label, { ordered: true });
    dcA.binaryType = 'arraybuffer';
    const openA = new Promise((res) => (dcA.onopen = res));
    const gotB = new Promise((res) => {
      b.ondatachannel = (e) => {
        const ch = e.channel;
        ch.binaryType = 'arraybuffer';
        if (ch.readyState === 'open') res(ch);
        else ch.onopen = () => res(ch);
      };
    });
    const offer = await a.createOffer();
    await a.setLocalDescription(offer);
    await b.setRemoteDescription(offer);
    const answer = await b.createAnswer();
    await b.setLocalDescription(answer);
    await a.setRemoteDescription(answer);
    const [, dcB] = await Promise.all([openA, gotB]);
    return { a, b, dcA, dcB, setupMs: now() - t0 };
  }

  function closePair(p) {
    p.dcA.close();
    p.a.close();
    p.b.close();
  }

  // Setup time for n pairs connected concurrently: ms from the first offer
  // to the last channel open. Keeps the pairs open (idle) until
  // window.benchRelease() so the caller can measure memory.
  window.benchSetup = async (n) => {
    const t0 = now();
    const pairs = await Promise.all(Array.from({ length: n }, (_, i) => connectPair('s' + i)));
    const total = now() - t0;
    window.benchHeld = (window.benchHeld || []).concat(pairs);
    return { n, totalMs: total, perPairMs: pairs.map((p) => p.setupMs) };
  };
  window.benchRelease = () => {
    for (const p of window.benchHeld || []) closePair(p);
    window.benchHeld = [];
  };

  // One reliable ordered channel, msg-byte messages, size bytes in total.
  // The sender keeps bufferedAmount between low and high using
  // bufferedAmountLowThreshold. Time runs from the first send to the last
  // byte received.
  window.benchTransfer = async (size, msg, low, high) => {
    const p = await connectPair('bench');
    const buf = new Uint8Array(msg);
    crypto.getRandomValues(buf.subarray(0, Math.min(msg, 65536)));
    const nMsgs = Math.ceil(size / msg);
    const lastLen = size - (nMsgs - 1) * msg;
    let received = 0;
    let receivedMsgs = 0;
    let tEnd = 0;
    const done = new Promise((res, rej) => {
      p.dcB.onmessage = (e) => {
        received += e.data.byteLength;
        receivedMsgs++;
        if (received >= size) {
          tEnd = now();
          res();
        }
      };
      p.dcB.onclose = () => rej(new Error('receiver channel closed early'));
      p.dcA.onerror = (e) => rej(new Error('sender error: ' + (e.error && e.error.message)));
    });
    p.dcA.bufferedAmountLowThreshold = low;
    let sent = 0;
    const tStart = now();
    await new Promise((res) => {
      const pump = () => {
        while (sent < nMsgs && p.dcA.bufferedAmount <= high) {
          p.dcA.send(sent === nMsgs - 1 ? buf.subarray(0, lastLen) : buf);
          sent++;
        }
        if (sent >= nMsgs) {
          p.dcA.onbufferedamountlow = null;
          res();
        }
      };
      p.dcA.onbufferedamountlow = pump;
      pump();
    });
    await done;
    const stats = { received, receivedMsgs, ms: tEnd - tStart, setupMs: p.setupMs };
    closePair(p);
    return stats;
  };
}

module.exports = { pageMain };
