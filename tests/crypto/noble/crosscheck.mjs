#!/usr/bin/env node
// Cross-checks libtallow's ML-KEM-768 against @noble/post-quantum, both ways.
//   node crosscheck.mjs PATH/TO/mlkem_xcheck [COUNT=1000]
// 1. noble -> C: COUNT random (d, z, m); noble's ek, dk, c, K must equal C's
//    KeyGen_internal / Encaps_internal byte for byte, C's Decaps must give K,
//    and a modified c must give noble's implicit-rejection key in C too.
// 2. C -> noble: COUNT key pairs and encapsulations made by C from getrandom;
//    noble decapsulates C's c with C's dk to C's K, and C decapsulates
//    noble's encapsulation to C's ek to noble's K.
// Exits 1 on any mismatch (printing the first few), 2 on setup errors.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [tool, countArg] = process.argv.slice(2);
const COUNT = Number(countArg ?? 1000);
if (!tool || !(COUNT > 0)) {
  console.error('usage: crosscheck.mjs MLKEM_XCHECK [COUNT]');
  process.exit(2);
}

// node_modules is found from the project root (TL_SOURCE_DIR or this file's tree).
const here = path.dirname(fileURLToPath(import.meta.url));
const root = process.env.TL_SOURCE_DIR ?? path.resolve(here, '../../..');
const nobleDir = path.join(root, 'node_modules', '@noble', 'post-quantum');
const { version } = JSON.parse(readFileSync(path.join(nobleDir, 'package.json'), 'utf8'));
const { ml_kem768 } = await import(pathToFileURL(path.join(nobleDir, 'ml-kem.js')).href);

const hex = (b) => Buffer.from(b).toString('hex');
const unhex = (s) => new Uint8Array(Buffer.from(s, 'hex'));

function runTool(lines) {
  const r = spawnSync(tool, [], { input: lines.join('\n') + '\n', maxBuffer: 1 << 30 });
  if (r.status !== 0) {
    console.error(`mlkem_xcheck failed (status ${r.status}): ${r.stderr}`);
    process.exit(2);
  }
  const out = r.stdout.toString().split('\n');
  out.pop();
  if (out.length !== lines.length) {
    console.error(`mlkem_xcheck answered ${out.length} of ${lines.length} commands`);
    process.exit(2);
  }
  return out;
}

let failures = 0;
function check(ok, what) {
  if (!ok && failures++ < 10) console.error(`MISMATCH: ${what}`);
}

// Phase 1: noble generates.
const cases = [];
const cmds = [];
for (let i = 0; i < COUNT; i++) {
  const d = randomBytes(32), z = randomBytes(32), m = randomBytes(32);
  const { publicKey, secretKey } = ml_kem768.keygen(new Uint8Array(Buffer.concat([d, z])));
  const { cipherText, sharedSecret } = ml_kem768.encapsulate(publicKey, new Uint8Array(m));
  const bad = cipherText.slice();
  bad[i % bad.length] ^= 1 << (i % 8);
  const rejected = ml_kem768.decapsulate(bad, secretKey);
  cases.push({ publicKey, secretKey, cipherText, sharedSecret, rejected });
  cmds.push(`K ${hex(d)} ${hex(z)}`, `E ${hex(publicKey)} ${hex(m)}`,
            `D ${hex(secretKey)} ${hex(cipherText)}`, `D ${hex(secretKey)} ${hex(bad)}`);
}
let out = runTool(cmds);
cases.forEach((c, i) => {
  const [ek, dk] = out[4 * i].split(' ');
  const [ct, ss] = out[4 * i + 1].split(' ');
  check(ek === hex(c.publicKey), `case ${i}: ek`);
  check(dk === hex(c.secretKey), `case ${i}: dk`);
  check(ct === hex(c.cipherText), `case ${i}: ciphertext`);
  check(ss === hex(c.sharedSecret), `case ${i}: encaps shared secret`);
  check(out[4 * i + 2] === hex(c.sharedSecret), `case ${i}: decaps shared secret`);
  check(out[4 * i + 3] === hex(c.rejected), `case ${i}: implicit rejection key`);
});
const phase1 = failures;

// Phase 2: C generates.
out = runTool(Array(COUNT).fill('R'));
const back = [];
const cmds2 = [];
out.forEach((line, i) => {
  const [ek, dk, ct, ss] = line.split(' ').map(unhex);
  if (ek?.length !== 1184 || dk?.length !== 2400 || ct?.length !== 1088 || ss?.length !== 32) {
    check(false, `C case ${i}: malformed answer`);
    back.push(null);
    cmds2.push('R');
    return;
  }
  check(hex(ml_kem768.decapsulate(ct, dk)) === hex(ss), `C case ${i}: noble decaps of C's c`);
  const { cipherText, sharedSecret } = ml_kem768.encapsulate(ek);
  back.push(sharedSecret);
  cmds2.push(`D ${hex(dk)} ${hex(cipherText)}`);
});
runTool(cmds2).forEach((ss, i) => {
  if (back[i] !== null) check(ss === hex(back[i]), `C case ${i}: C decaps of noble's encapsulation`);
});

console.log(`@noble/post-quantum ${version}: ${COUNT} noble-generated cases (${phase1} mismatches), ` +
            `${COUNT} C-generated cases (${failures - phase1} mismatches)`);
process.exit(failures === 0 ? 0 : 1);
