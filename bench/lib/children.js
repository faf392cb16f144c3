'use strict';
// Child processes started by the interop tests and benchmarks, tracked by PID
// so they are always stopped: on normal exit, on exceptions and on SIGTERM /
// SIGINT (ctest timeout, Ctrl-C).

const { spawn } = require('child_process');

const live = new Set();
const cleanups = new Set();

function killAll(sig) {
  for (const cp of live) {
    try {
      process.kill(cp.pid, sig || 'SIGKILL');
    } catch (_) {
      /* already gone */
    }
  }
}

function onSignal(sig) {
  killAll('SIGKILL');
  for (const fn of cleanups) {
    try {
      fn();
    } catch (_) {
      /* best effort */
    }
  }
  process.exit(sig === 'SIGINT' ? 130 : 143);
}
process.on('SIGTERM', () => onSignal('SIGTERM'));
process.on('SIGINT', () => onSignal('SIGINT'));
process.on('exit', () => killAll('SIGKILL'));

// Registers a synchronous function to run if we are killed by a signal.
function atSignal(fn) {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

// spawn() + tracking; the entry is removed when the process exits.
function start(cmd, args, opts) {
  const cp = spawn(cmd, args, opts || {});
  live.add(cp);
  cp.exitPromise = new Promise((res) => {
    cp.on('exit', (code, signal) => {
      live.delete(cp);
      res({ code, signal });
    });
    cp.on('error', (err) => {
      live.delete(cp);
      res({ code: -1, signal: null, error: err });
    });
  });
  return cp;
}

// Stops cp by PID: SIGTERM, then SIGKILL if it has not exited within ms.
async function stop(cp, ms) {
  if (!live.has(cp)) return cp.exitPromise;
  try {
    process.kill(cp.pid, 'SIGTERM');
  } catch (_) {
    /* already gone */
  }
  const t = setTimeout(() => {
    try {
      process.kill(cp.pid, 'SIGKILL');
    } catch (_) {
      /* already gone */
    }
  }, ms || 3000);
  const r = await cp.exitPromise;
  clearTimeout(t);
  return r;
}

// Rejects after ms with a message naming what was awaited.
function deadline(promise, ms, what) {
  let t;
  const timeout = new Promise((_, rej) => {
    t = setTimeout(() => rej(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(t));
}

// Runs cmd to completion (with a deadline), collecting stdout/stderr.
async function run(cmd, args, ms, opts) {
  const cp = start(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(opts || {}) });
  let out = '';
  let err = '';
  cp.stdout.on('data', (d) => (out += d));
  cp.stderr.on('data', (d) => (err += d));
  try {
    const r = await deadline(cp.exitPromise, ms, `${cmd} ${args.join(' ')}`);
    return { ...r, stdout: out, stderr: err };
  } finally {
    await stop(cp, 1000);
  }
}

module.exports = { start, stop, run, deadline, atSignal, killAll };
