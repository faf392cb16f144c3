#!/usr/bin/env node
// An independent implementation of tallow's hybrid handshake and chunk
// framing (docs/CRYPTO.md §2-§5) using only what a browser has: WebCrypto
// (SHA-256, SHA-512, HMAC, X25519, AES-GCM) and @noble/post-quantum for
// ML-KEM-768, plus BigInt for the join-code PAKE's hash to curve25519.
//   node hybrid_webcrypto.mjs PATH/TO/hs_transcript [COUNT=20]
// For each transcript the C library printed, it recomputes the four
// handshake messages (protocol version 2: HELLO, REPLY, FINISH, CONFIRM) from
// the random bytes each side drew and the sender's identity seed, and
// requires them byte for byte, then the sender identity hash, the traffic
// keys and the SAS, and opens both chunk frames (epoch 0 and, after one
// ratchet step, epoch 1). Exits 1 on any mismatch.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [tool, countArg] = process.argv.slice(2);
const COUNT = Number(countArg ?? 20);
if (!tool || !(COUNT > 0)) {
  console.error('usage: hybrid_webcrypto.mjs HS_TRANSCRIPT [COUNT]');
  process.exit(2);
}
const here = path.dirname(fileURLToPath(import.meta.url));
const root = process.env.TL_SOURCE_DIR ?? path.resolve(here, '../../..');
const nobleDir = path.join(root, 'node_modules', '@noble', 'post-quantum');
const { ml_kem768 } = await import(pathToFileURL(path.join(nobleDir, 'ml-kem.js')).href);
const subtle = globalThis.crypto.subtle;
const te = new TextEncoder();

const fromHex = (h) => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));
const toHex = (b) => Buffer.from(b).toString('hex');
const cat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};
const str = (s) => te.encode(s);

const sha256 = async (b) => new Uint8Array(await subtle.digest('SHA-256', b));
async function hmac(key, data) {
  const k = await subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle.sign('HMAC', k, data));
}
const extract = (salt, ikm) => hmac(salt, ikm);
// Every Expand in the protocol is at most 32 bytes: one HMAC block.
const expand = async (prk, info, len) => (await hmac(prk, cat(info, [1]))).slice(0, len);

// X25519 private key -> CryptoKey and public key (via PKCS#8 and JWK export).
async function x25519Key(priv) {
  const pkcs8 = cat(fromHex('302e020100300506032b656e04220420'), priv);
  const key = await subtle.importKey('pkcs8', pkcs8, { name: 'X25519' }, true, ['deriveBits']);
  const jwk = await subtle.exportKey('jwk', key);
  return { key, pub: new Uint8Array(Buffer.from(jwk.x, 'base64url')) };
}
async function x25519(key, peerPub) {
  const peer = await subtle.importKey('raw', peerPub, { name: 'X25519' }, false, []);
  return new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: peer }, key, 256));
}

// ---- join-code PAKE generator (docs/CRYPTO.md §3): RFC 9380 encode_to_curve,
// suite curve25519_XMD:SHA-512_ELL2_NU_, written from the RFC with BigInt
// and affine formulas (libtallow uses limbs and projective doubling).
const P = 2n ** 255n - 19n, A = 486662n;
const mod = (a) => ((a % P) + P) % P;
function powmod(b, e) {
  let r = 1n;
  b = mod(b);
  for (; e > 0n; e >>= 1n) {
    if (e & 1n) r = (r * b) % P;
    b = (b * b) % P;
  }
  return r;
}
const inv = (a) => powmod(a, P - 2n);
const beInt = (b) => b.reduce((n, x) => (n << 8n) | BigInt(x), 0n);
const leBytes = (n) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 255n));
const sha512 = async (b) => new Uint8Array(await subtle.digest('SHA-512', b));

// expand_message_xmd with SHA-512 (RFC 9380 §5.3.1), len <= 64 here.
async function expandXmd512(msg, dst, len) {
  const dstPrime = cat(dst, [dst.length]);
  const b0 = await sha512(cat(new Uint8Array(128), msg, [len >> 8, len & 255, 0], dstPrime));
  const b1 = await sha512(cat(b0, [1], dstPrime));
  return b1.slice(0, len);
}

async function pakeGenerator(code, ctx) {
  const dst = str('tallow-v1 CPace curve25519_XMD:SHA-512_ELL2_NU_');
  const msg = cat([code.length >> 8, code.length & 255], code, ctx);
  const u = beInt(await expandXmd512(msg, dst, 48)) % P;      // hash_to_field, L = 48
  const g = (x) => mod(x * x * x + A * x * x + x);
  let x1 = mod(-A * inv(1n + 2n * u * u));                     // Elligator 2, Z = 2
  if (x1 === 0n) x1 = mod(-A);
  const square = powmod(g(x1), (P - 1n) / 2n) !== P - 1n;      // Euler's criterion
  let x = square ? x1 : mod(-x1 - A);
  for (let i = 0; i < 3; i++)                                  // clear_cofactor: 8Q
    x = x === 0n ? 0n : mod((x * x - 1n) ** 2n * inv(4n * x * (x * x + A * x + 1n)));
  return leBytes(x);
}

// Protocol constants (src/crypto/handshake_internal.h).
const VERSION = 2;
const MSG = { hello: 1, reply: 2, finish: 3, confirm: 4 };
const LABEL = 'tallow-v1 hybrid handshake ML-KEM-768+X25519';

// The sender's static identity from its 96-byte seed d || z || s:
// ML-KEM-768 key pair (ek_S, dk_S), X25519 key pair (s, S) and the public
// identity hash id = SHA-256("tallow-v2 sender identity" || ek_S || S).
async function senderIdentity(seed) {
  const kem = ml_kem768.keygen(seed.slice(0, 64));
  const x = await x25519Key(seed.slice(64, 96));
  const id = await sha256(cat(str('tallow-v2 sender identity'), kem.publicKey, x.pub));
  return { kem, x, id };
}

// Traffic keys and SAS from the final PRK and transcript hash.
async function trafficKeys(prk, th) {
  const kI2R = await expand(prk, cat(str('tallow-v1 traffic i2r'), th), 32);
  const kR2I = await expand(prk, cat(str('tallow-v1 traffic r2i'), th), 32);
  const sasBytes = await expand(prk, cat(str('tallow-v1 sas'), th), 8);
  const n = Buffer.from(sasBytes).readBigUInt64BE(0) % 1000000n;
  const d = n.toString().padStart(6, '0');
  return { kI2R, kR2I, sas: `${d.slice(0, 3)} ${d.slice(3)}` };
}

// Replays one handshake from the recorded inputs. Both roles are computed;
// where a secret is derived on both sides, both derivations are compared.
async function handshake(v) {
  const gid = fromHex(v.group_id), code = fromHex(v.code);
  const ri = fromHex(v.rng_i), rr = fromHex(v.rng_r);
  const ctx = cat(str(LABEL), [0], [gid.length], gid, fromHex(v.fp_i), fromHex(v.fp_r),
    [code.length ? 1 : 0]);
  const ident = await senderIdentity(fromHex(v.identity_seed));
  const transcript = (...msgs) => sha256(cat(ctx, ...msgs));

  // HELLO (initiator draws d || z, n_I, x_I, e_I, in this order).
  const kp = ml_kem768.keygen(ri.slice(0, 64));
  const nI = ri.slice(64, 96);
  const xi = await x25519Key(ri.slice(96, 128));
  const ei = await x25519Key(ri.slice(128, 160)); // ephemeral on base 9 for the static DH
  // Join code: the X25519 shares are X25519(x, G) instead of X25519(x, 9).
  const gen = code.length ? await pakeGenerator(code, ctx) : null;
  const share = async (k) => (gen ? x25519(k.key, gen) : k.pub);
  const xiShare = await share(xi);
  const commit = await sha256(cat(str('tallow-v1 sas commit'), nI));
  const hello = cat([MSG.hello, VERSION], commit, kp.publicKey, xiShare, ei.pub);

  // REPLY (responder draws m, x_R).
  const { cipherText: ct, sharedSecret: ssM } = ml_kem768.encapsulate(kp.publicKey, rr.slice(0, 32));
  const xr = await x25519Key(rr.slice(32, 64));
  const xrShare = await share(xr);
  const ssX = await x25519(xr.key, xiShare);
  const ssSX = await x25519(ident.x.key, ei.pub); // X25519(s, E_I)
  const psk = code.length ? await extract(str('tallow-v1 join code'), code) : new Uint8Array(32);
  const replyPrefix = cat([MSG.reply, VERSION], ct, xrShare, ident.kem.publicKey, ident.x.pub);
  const th1 = await transcript(hello, replyPrefix);
  const prk1 = await extract(th1, cat(ssM, ssX, psk, ssSX));
  const mkR = await expand(prk1, str('tallow-v1 confirm responder'), 32);
  const mkI = await expand(prk1, str('tallow-v1 confirm initiator'), 32);
  const reply = cat(replyPrefix, await hmac(mkR, th1));

  // The initiator's view of the same secrets: Decaps with its dk,
  // X25519(x_I, X_R), X25519(e_I, S) with S from REPLY.
  const same = (a, b) => toHex(a) === toHex(b);
  const secretsAgree = same(ssM, ml_kem768.decapsulate(ct, kp.secretKey)) &&
    same(ssX, await x25519(xi.key, xrShare)) && same(ssSX, await x25519(ei.key, ident.x.pub));

  // FINISH (initiator draws m for the ciphertext to the identity's ek_S).
  const { cipherText: cS, sharedSecret: ssSM } =
    ml_kem768.encapsulate(ident.kem.publicKey, ri.slice(160, 192));
  const finPrefix = cat([MSG.finish, VERSION], nI, cS);
  const th2 = await transcript(hello, reply, finPrefix);
  const finish = cat(finPrefix, await hmac(mkI, th2));

  // CONFIRM (responder, after decapsulating c_S with dk_S).
  const ssSM2 = ml_kem768.decapsulate(cS, ident.kem.secretKey);
  const prk2 = await extract(th2, cat(prk1, ssSM));
  const mkS = await expand(prk2, str('tallow-v2 confirm sender'), 32);
  const confPrefix = Uint8Array.from([MSG.confirm, VERSION]);
  const th3 = await transcript(hello, reply, finish, confPrefix);
  const confirm = cat(confPrefix, await hmac(mkS, th3));

  const keys = await trafficKeys(prk2, th3);
  return { hello, reply, finish, confirm, id: ident.id, ...keys,
    same: secretsAgree && same(ssSM, ssSM2) };
}

async function openFrame(key, tid, frame) {
  const hdr = frame.slice(0, 14);
  const k = await subtle.importKey('raw', key, 'AES-GCM', false, ['decrypt']);
  const pt = await subtle.decrypt({ name: 'AES-GCM', iv: frame.slice(2, 14), additionalData: cat(tid, hdr),
    tagLength: 128 }, k, frame.slice(14));
  return { pt: new Uint8Array(pt), epoch: Buffer.from(hdr).readUInt32BE(2), final: hdr[1] & 1 };
}

async function chunks(v, kI2R) {
  const tid = fromHex(v.transfer_id);
  const key0 = await expand(kI2R, cat(str('tallow-v1 chunk key'), tid), 32);
  const key1 = await expand(key0, str('tallow-v1 chunk ratchet'), 32);
  const f0 = await openFrame(key0, tid, fromHex(v.frame0));
  const f1 = await openFrame(key1, tid, fromHex(v.frame1));
  return f0.epoch === 0 && f1.epoch === 1 && f0.final === 0 && f1.final === 1 &&
    toHex(f0.pt) === v.plain && toHex(f1.pt) === v.plain;
}

const run = spawnSync(tool, [String(COUNT)], { encoding: 'utf8', maxBuffer: 64 << 20 });
if (run.status !== 0) {
  console.error(`hs_transcript failed: ${run.stderr}`);
  process.exit(2);
}
const lines = run.stdout.trim().split('\n');
let ok = 0, bad = 0;
for (const [i, line] of lines.entries()) {
  const v = JSON.parse(line);
  const r = await handshake(v);
  const sasC = Buffer.from(fromHex(v.sas)).toString();
  const checks = {
    hello: toHex(r.hello) === v.hello, reply: toHex(r.reply) === v.reply,
    finish: toHex(r.finish) === v.finish, confirm: toHex(r.confirm) === v.confirm,
    identity: toHex(r.id) === v.identity, secrets: r.same,
    k_i2r: toHex(r.kI2R) === v.k_i2r, k_r2i: toHex(r.kR2I) === v.k_r2i, sas: r.sas === sasC,
    chunks: await chunks(v, r.kI2R).catch(() => false),
  };
  const failed = Object.entries(checks).filter(([, pass]) => !pass).map(([k]) => k);
  if (failed.length) {
    bad++;
    console.error(`transcript ${i} (${v.code ? 'join code' : 'invite'}): mismatch in ${failed.join(', ')}`);
  } else {
    ok++;
  }
}
console.log(`hybrid handshake, WebCrypto + noble vs libtallow: ${ok} transcripts identical, ${bad} mismatched`);
process.exit(bad === 0 && ok === COUNT ? 0 : 1);
