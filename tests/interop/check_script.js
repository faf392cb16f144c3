'use strict';
// Checks that interop_script.c and interop_script.js generate the same
// scripts (the interop tests compare both sides' hashes with Node's own).
//   node check_script.js PATH/TO/interop_script_digest
const { execFileSync } = require('child_process');
const { expectedDigest, seeds } = require('./interop_script.js');

const tool = process.argv[2];
let bad = 0;
for (const [name, seed] of Object.entries(seeds())) {
  const c = JSON.parse(execFileSync(tool, [String(seed)], { timeout: 30000 }).toString());
  const js = expectedDigest(seed);
  const same = c.count === js.count && c.bytes === js.bytes && c.sha256 === js.sha256;
  console.log(`${name}: C ${JSON.stringify(c)} JS ${JSON.stringify(js)} ${same ? 'same' : 'DIFFERENT'}`);
  if (!same) bad++;
}
process.exit(bad ? 1 : 0);
