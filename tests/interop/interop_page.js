'use strict';
// Page side of the interop test: one RTCPeerConnection (no ICE servers) and
// one data channel, driven by chromium_dc.js through page.evaluate(); events
// go back to Node through the exposed function window.tlToNode. Needs
// interop_script.js's scriptSource installed first.

function installPage(g) {
  const S = g.interopScript;
  // Seed of the script this page sends (fake_peer.js plays libtallow's part).
  let seed = S.SEED_CHROMIUM;
  const enc = new TextEncoder();
  const dec = new TextDecoder('utf-8', { fatal: true });
  const END = '__end__';
  const send = (m) => g.tlToNode(m);
  const st = { pc: null, dc: null, rx: new S.Sha256(), rxCount: 0, rxBytes: 0, rxDone: false, rxLate: 0, opened: 0,
    txMsgs: 0, txBytes: 0, rxMsgs: 0, rxAll: 0 };

  function sendScript(dc) {
    // libtallow announces a=max-message-size:262144; Chromium must refuse
    // one byte more in send() (it throws) and keep the channel open.
    let refused = false;
    try {
      dc.send(new Uint8Array(S.BIG + 1));
    } catch (_) {
      refused = true;
    }
    if (!refused || dc.readyState !== 'open') {
      send({ type: 'error', message: `send of ${S.BIG + 1} bytes: refused=${refused} state=${dc.readyState}` });
      return;
    }
    const h = new S.Sha256();
    let bytes = 0;
    for (let i = 0; i < S.count(); i++) {
      const m = S.message(seed, i);
      if (m.text) dc.send(dec.decode(m.data));
      else dc.send(m.data);
      st.txMsgs++;
      st.txBytes += m.data.length;
      h.update(S.frame(m.text, m.data));
      bytes += m.data.length;
    }
    dc.send(END);
    st.txMsgs++;
    st.txBytes += END.length;
    send({ type: 'sent', count: S.count(), bytes, sha256: h.hex(), buffered: dc.bufferedAmount });
  }

  function wire(dc) {
    st.dc = dc;
    dc.binaryType = 'arraybuffer';
    dc.onopen = () => {
      if (st.opened++) {
        send({ type: 'error', message: 'onopen fired twice' });
        return;
      }
      send({ type: 'open', label: dc.label, protocol: dc.protocol, id: dc.id, ordered: dc.ordered });
      try {
        sendScript(dc);
      } catch (e) {
        send({ type: 'error', message: 'send: ' + e });
      }
    };
    dc.onmessage = (e) => {
      st.rxMsgs++;
      st.rxAll += typeof e.data === 'string' ? enc.encode(e.data).length : e.data.byteLength;
      if (st.rxDone) {
        if (!st.rxLate++) send({ type: 'error', message: 'message after the end marker' });
        return;
      }
      if (typeof e.data === 'string') {
        if (e.data === END) {
          st.rxDone = true;
          send({ type: 'received', count: st.rxCount, bytes: st.rxBytes, sha256: st.rx.hex() });
          return;
        }
        const b = enc.encode(e.data);
        st.rx.update(S.frame(true, b));
        st.rxCount++;
        st.rxBytes += b.length;
      } else {
        const b = new Uint8Array(e.data);
        st.rx.update(S.frame(false, b));
        st.rxCount++;
        st.rxBytes += b.length;
      }
    };
    dc.onclose = () => send({ type: 'closed' });
    dc.onerror = (e) => send({ type: 'error', message: 'channel error: ' + (e.error ? e.error.message : e) });
  }

  g.tlPage = {
    secure: () => g.isSecureContext,
    setSeed(v) {
      seed = v;
    },
    // Creates the connection; as offerer also the channel and the offer
    // (returned after setLocalDescription).
    async start(offerer) {
      const pc = new RTCPeerConnection({ iceServers: [] });
      st.pc = pc;
      pc.onicecandidate = (e) =>
        send(e.candidate && e.candidate.candidate
          ? { type: 'candidate', candidate: e.candidate.candidate, mid: e.candidate.sdpMid }
          : { type: 'end-of-candidates' });
      pc.onconnectionstatechange = () => send({ type: 'state', state: pc.connectionState });
      if (!offerer) {
        pc.ondatachannel = (e) => wire(e.channel);
        return null;
      }
      wire(pc.createDataChannel('interop', { protocol: 'tl-interop' }));
      await pc.setLocalDescription(await pc.createOffer());
      return pc.localDescription.sdp;
    },
    // Applies the remote description; for an offer returns our answer.
    async setRemote(type, sdp) {
      await st.pc.setRemoteDescription({ type, sdp });
      if (type !== 'offer') return null;
      await st.pc.setLocalDescription(await st.pc.createAnswer());
      return st.pc.localDescription.sdp;
    },
    async addCandidate(candidate, mid) {
      await st.pc.addIceCandidate({ candidate, sdpMid: mid });
    },
    async endOfCandidates() {
      await st.pc.addIceCandidate();
    },
    closeChannel() {
      st.dc.close();
    },
    closePc() {
      st.pc.close();
    },
    // Message and byte counters (end markers included), like tl_pc_stats.
    counters() {
      return { messages_sent: st.txMsgs, bytes_sent: st.txBytes, messages_received: st.rxMsgs,
        bytes_received: st.rxAll };
    },
    async selectedPair() {
      const stats = await st.pc.getStats();
      let pair = null;
      stats.forEach((r) => {
        if (r.type === 'transport' && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId);
      });
      if (!pair) return null;
      const l = stats.get(pair.localCandidateId);
      const r = stats.get(pair.remoteCandidateId);
      return { local: l && l.candidateType, remote: r && r.candidateType, state: pair.state,
        localAddr: l && `${l.address}:${l.port}`, remoteAddr: r && `${r.address}:${r.port}` };
    },
  };
}

const pageSource = `(${installPage.toString()})(globalThis);`;

module.exports = { pageSource };
