'use strict';
// Launches Debian's headless Chromium through playwright-core for the interop
// tests and bench/browser-dc. Meant to run inside the network namespace made
// by netns_run.sh (Chromium gathers no candidates with only `lo` up).
//
// - executablePath /usr/bin/chromium; `npx playwright install` is never used.
// - A fresh, temporary --user-data-dir per launch (Playwright's launchServer
//   makes one and deletes it on close).
// - Chromium keeps only the LAST --disable-features switch, so adding our own
//   would silently drop Playwright's list. Playwright's own switch is removed
//   with ignoreDefaultArgs and a merged one (Playwright's features +
//   WebRtcHideLocalIpsWithMdns) is passed instead. The spawned command line
//   is checked afterwards so a Playwright upgrade cannot undo this silently.
// - launchServer (not launch) so the caller gets the browser's PID and can
//   kill it by PID whatever happens.

const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const pwDir = path.join(root, 'node_modules', 'playwright-core');
const { chromium } = require(pwDir);

const EXTRA_DISABLED = ['WebRtcHideLocalIpsWithMdns'];

// Playwright's default "--disable-features=..." switch, read from the
// installed playwright-core so it follows upgrades. Throws if not found.
function playwrightDisableFeatures() {
  const src = fs.readFileSync(path.join(pwDir, 'lib', 'coreBundle.js'), 'utf8');
  const m = /disabledFeatures = \[([\s\S]*?)\]\.filter\(Boolean\)/.exec(src);
  if (!m) throw new Error('cannot find Playwright disabledFeatures list');
  const body = m[1].replace(/\/\/[^\n]*/g, '');
  const feats = [];
  for (const entry of body.split(',')) {
    const e = entry.trim();
    if (!e) continue;
    const lit = /^"([A-Za-z0-9_]+)"$/.exec(e);
    if (lit) {
      feats.push(lit[1]);
      continue;
    }
    // Conditional entries look like: process.env.X ? "" : "Feature"
    const cond = /^process\.env\.([A-Z0-9_]+) \? "([A-Za-z0-9_]*)" : "([A-Za-z0-9_]*)"$/.exec(e);
    if (!cond) throw new Error(`unexpected Playwright disabledFeatures entry: ${e}`);
    const v = process.env[cond[1]] ? cond[2] : cond[3];
    if (v) feats.push(v);
  }
  return feats;
}

function chromiumArgs(extra) {
  return [
    '--headless=new',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--allow-loopback-in-peer-connection',
    ...(extra || []),
  ];
}

// Returns { server, browser, pid, close() }. close() never throws and kills
// the browser by PID if the polite close does not finish.
async function launchChromium(opts = {}) {
  const pwFeatures = playwrightDisableFeatures();
  const pwSwitch = '--disable-features=' + pwFeatures.join(',');
  const merged = '--disable-features=' + [...pwFeatures, ...EXTRA_DISABLED].join(',');
  const server = await chromium.launchServer({
    executablePath: opts.executablePath || '/usr/bin/chromium',
    headless: true,
    args: [...chromiumArgs(opts.extraArgs), merged],
    ignoreDefaultArgs: [pwSwitch],
    timeout: opts.timeoutMs || 30000,
    // Playwright must not download or look for its own browsers.
    env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
  });
  const proc = server.process();
  const pid = proc.pid;
  const spawned = proc.spawnargs || [];
  const df = spawned.filter((a) => a.startsWith('--disable-features='));
  if (df.length !== 1 || !df[0].split(/[=,]/).includes('WebRtcHideLocalIpsWithMdns')) {
    await server.kill().catch(() => {});
    throw new Error(`Chromium command line has ${df.length} --disable-features switches: ${df}`);
  }
  let browser;
  try {
    browser = await chromium.connect(server.wsEndpoint(), { timeout: opts.timeoutMs || 30000 });
  } catch (e) {
    await server.kill().catch(() => {});
    throw e;
  }
  let closed = false;
  async function close() {
    if (closed) return;
    closed = true;
    const killTimer = setTimeout(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch (_) {
        /* already gone */
      }
    }, 5000);
    try {
      await browser.close();
    } catch (_) {
      /* the server side closes below */
    }
    try {
      await server.close();
    } catch (_) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch (__) {
        /* already gone */
      }
    }
    clearTimeout(killTimer);
  }
  return { server, browser, pid, close };
}

module.exports = { launchChromium, chromiumArgs, playwrightDisableFeatures };
