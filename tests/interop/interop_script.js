'use strict';
// The scripted exchange of the browser interop tests; byte-identical to
// interop_script.c for the same seed (see interop_script.h for the layout).
// scriptSource is also injected into the page, so this file must stay plain
// browser-compatible JavaScript inside installScript().

function installScript(g) {
  const SEED_TALLOW = 0x7a11c0de;
  const SEED_CHROMIUM = 0xc4c0b10b;
  const BURST = 1000;
  const BIG = 262144;
  const enc = new TextEncoder();
  const TOKENS = ['a', 'b', 'Z', ' ', '\u00e9', '\u20ac', '\u{1F600}', '\n', '0'].map((t) => enc.encode(t));

  function rng(seed) {
    let x = seed >>> 0;
    return () => {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      return x;
    };
  }

  function count() {
    return 5 + BURST;
  }

  // { text: bool, data: Uint8Array } (text messages as UTF-8 bytes).
  function message(seed, i) {
    const next = rng(((seed ^ Math.imul(i, 0x9e3779b1)) | 1) >>> 0);
    if (i === 0) return { text: true, data: enc.encode('hello from ' + (seed >>> 0).toString(16).padStart(8, '0')) };
    let text;
    let len;
    if (i <= 4) {
      text = i === 2 || i === 4;
      len = i <= 2 ? BIG : 0;
    } else {
      const k = i - 5;
      text = (k & 1) === 1;
      if (k % 97 === 0) len = 0;
      else if (k % 250 === 249) len = 65536;
      else len = (next() % 1500) + 1;
    }
    const data = new Uint8Array(len);
    if (text) {
      let pos = 0;
      while (pos < len) {
        let t = TOKENS[next() % TOKENS.length];
        if (t.length > len - pos) t = TOKENS[0];
        data.set(t, pos);
        pos += t.length;
      }
    } else {
      for (let p = 0; p < len; p++) data[p] = next() & 0xff;
    }
    return { text, data };
  }

  // Framing hashed by both sides: 't'|'b', u32 BE length, bytes.
  function frame(text, data) {
    const out = new Uint8Array(5 + data.length);
    out[0] = text ? 0x74 : 0x62;
    new DataView(out.buffer).setUint32(1, data.length);
    out.set(data, 5);
    return out;
  }

  g.interopScript = { SEED_TALLOW, SEED_CHROMIUM, BURST, BIG, count, message, frame };
}

const scriptSource = `(${installScript.toString()})(globalThis);`;

// Node side: expected { count, bytes, sha256 } of a whole script.
function expectedDigest(seed) {
  const crypto = require('crypto');
  const g = {};
  installScript(g);
  const s = g.interopScript;
  const h = crypto.createHash('sha256');
  let bytes = 0;
  for (let i = 0; i < s.count(); i++) {
    const m = s.message(seed, i);
    h.update(s.frame(m.text, m.data));
    bytes += m.data.length;
  }
  return { count: s.count(), bytes, sha256: h.digest('hex') };
}

function seeds() {
  const g = {};
  installScript(g);
  return { tallow: g.interopScript.SEED_TALLOW, chromium: g.interopScript.SEED_CHROMIUM };
}

module.exports = { installScript, scriptSource, expectedDigest, seeds };
