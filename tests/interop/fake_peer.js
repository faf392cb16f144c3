'use strict';
// A stand-in for interop_peer that speaks the same JSON-lines protocol but is
// a second headless Chromium sending libtallow's script. Used to check the
// harness itself (chromium_dc.js --peer-node fake_peer.js) without libtallow.
//   node fake_peer.js --role offer|answer [--bind ADDR]   (ADDR is ignored)

const path = require('path');
const readline = require('readline');
const children = require(path.join(__dirname, '..', '..', 'bench', 'lib', 'children.js'));
const { launchChromium } = require('./chromium_launch.js');
const { scriptSource, seeds } = require('./interop_script.js');
const { pageSource } = require('./interop_page.js');

const role = process.argv[process.argv.indexOf('--role') + 1];
const out = (m) => process.stdout.write(JSON.stringify(m) + '\n');

async function main() {
  const c = await launchChromium();
  children.atSignal(() => {
    try {
      process.kill(c.pid, 'SIGKILL');
    } catch (_) {
      /* already gone */
    }
  });
  let quitting = false;
  const done = new Promise((resolve) => {
    (async () => {
      const page = await c.browser.newPage();
      await page.exposeFunction('tlToNode', (m) => {
        if (m.type === 'closed' && quitting) return;
        out(m);
      });
      await page.setContent('<!doctype html><title>fake peer</title>');
      await page.addScriptTag({ content: scriptSource });
      await page.addScriptTag({ content: pageSource });
      await page.evaluate((s) => window.tlPage.setSeed(s), seeds().tallow);
      const offer = await page.evaluate((off) => window.tlPage.start(off), role === 'offer');
      if (offer) out({ type: 'offer', sdp: offer });
      let chain = Promise.resolve();
      readline.createInterface({ input: process.stdin }).on('line', (line) => {
        const m = JSON.parse(line);
        chain = chain.then(async () => {
          if (m.type === 'offer') {
            out({ type: 'answer', sdp: await page.evaluate(([s]) => window.tlPage.setRemote('offer', s), [m.sdp]) });
          } else if (m.type === 'answer') {
            await page.evaluate(([s]) => window.tlPage.setRemote('answer', s), [m.sdp]);
          } else if (m.type === 'candidate') {
            await page.evaluate(([x, mid]) => window.tlPage.addCandidate(x, mid), [m.candidate, m.mid]);
          } else if (m.type === 'end-of-candidates') {
            await page.evaluate(() => window.tlPage.endOfCandidates()).catch(() => {});
          } else if (m.type === 'close') {
            await page.evaluate(() => window.tlPage.closeChannel());
          } else if (m.type === 'quit') {
            const stats = await page.evaluate(() => window.tlPage.counters());
            quitting = true;
            out({ type: 'bye', stats });
            await page.evaluate(() => window.tlPage.closePc());
            resolve();
          }
        }).catch((e) => out({ type: 'error', message: e.message }));
      });
    })().catch((e) => {
      out({ type: 'error', message: e.message });
      resolve();
    });
  });
  await done;
  await c.close();
}

main().then(() => process.exit(0), () => process.exit(1));
