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

  // Incremental SHA-256 (FIPS 180-4). The page is about:blank, which is not
  // a secure context, so crypto.subtle is unavailable there.
  const K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]);
  class Sha256 {
    constructor() {
      this.h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
      this.buf = new Uint8Array(64);
      this.used = 0;
      this.total = 0;
      this.w = new Uint32Array(64);
    }
    block(b, off) {
      const w = this.w;
      const h = this.h;
      for (let i = 0; i < 16; i++) {
        const j = off + 4 * i;
        w[i] = (b[j] << 24) | (b[j + 1] << 16) | (b[j + 2] << 8) | b[j + 3];
      }
      for (let i = 16; i < 64; i++) {
        const x = w[i - 15];
        const y = w[i - 2];
        const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
      }
      let [a, bb, c, d, e, f, gg, hh] = h;
      for (let i = 0; i < 64; i++) {
        const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        const ch = (e & f) ^ (~e & gg);
        const t1 = (hh + S1 + ch + K[i] + w[i]) | 0;
        const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        const maj = (a & bb) ^ (a & c) ^ (bb & c);
        const t2 = (S0 + maj) | 0;
        hh = gg;
        gg = f;
        f = e;
        e = (d + t1) | 0;
        d = c;
        c = bb;
        bb = a;
        a = (t1 + t2) | 0;
      }
      h[0] += a; h[1] += bb; h[2] += c; h[3] += d;
      h[4] += e; h[5] += f; h[6] += gg; h[7] += hh;
    }
    update(data) {
      let p = 0;
      this.total += data.length;
      if (this.used) {
        const n = Math.min(64 - this.used, data.length);
        this.buf.set(data.subarray(0, n), this.used);
        this.used += n;
        p = n;
        if (this.used < 64) return this;
        this.block(this.buf, 0);
        this.used = 0;
      }
      for (; p + 64 <= data.length; p += 64) this.block(data, p);
      this.buf.set(data.subarray(p), 0);
      this.used = data.length - p;
      return this;
    }
    hex() {
      const bits = this.total * 8;
      const pad = new Uint8Array(((this.used < 56 ? 56 : 120) - this.used) + 8);
      pad[0] = 0x80;
      const dv = new DataView(pad.buffer);
      dv.setUint32(pad.length - 8, Math.floor(bits / 0x100000000));
      dv.setUint32(pad.length - 4, bits >>> 0);
      this.update(pad);
      return Array.from(this.h, (x) => x.toString(16).padStart(8, '0')).join('');
    }
  }

  g.interopScript = { SEED_TALLOW, SEED_CHROMIUM, BURST, BIG, count, message, frame, Sha256 };
}

const scriptSource = `(${installScript.toString()})(globalThis);`;

// Node side: expected { count, bytes, sha256 } of a whole script.
function expectedDigest(seed) {
  const crypto = require('crypto');
  const g = {};
  installScript(g);
  const s = g.interopScript;
  const h = crypto.createHash('sha256');
  const own = new s.Sha256(); // the page's implementation, checked here
  let bytes = 0;
  for (let i = 0; i < s.count(); i++) {
    const m = s.message(seed, i);
    const f = s.frame(m.text, m.data);
    h.update(f);
    own.update(f);
    bytes += m.data.length;
  }
  const sha256 = h.digest('hex');
  if (own.hex() !== sha256) throw new Error('interop_script.js Sha256 disagrees with node:crypto');
  return { count: s.count(), bytes, sha256 };
}

function seeds() {
  const g = {};
  installScript(g);
  return { tallow: g.interopScript.SEED_TALLOW, chromium: g.interopScript.SEED_CHROMIUM };
}

module.exports = { installScript, scriptSource, expectedDigest, seeds };
