'use strict';
// CPU time and memory of a process tree from /proc (Linux only). Chromium is
// multi-process (browser, renderer, network service, ...), so its cost is the
// sum over the browser process and all its descendants.

const fs = require('fs');
const { execFileSync } = require('child_process');

let clkTck = 0;
function ticksPerSecond() {
  if (!clkTck) {
    try {
      clkTck = parseInt(execFileSync('getconf', ['CLK_TCK']).toString(), 10) || 100;
    } catch (_) {
      clkTck = 100;
    }
  }
  return clkTck;
}

function readStat(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parentheses: split after the last ')'.
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { ppid: parseInt(rest[1], 10), utime: +rest[11], stime: +rest[12] };
  } catch (_) {
    return null;
  }
}

function readStatusKiB(pid, field) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(s);
    return m ? parseInt(m[1], 10) : 0;
  } catch (_) {
    return 0;
  }
}

// PIDs of root and every live descendant.
function treePids(root) {
  const children = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const st = readStat(d);
    if (!st) continue;
    if (!children.has(st.ppid)) children.set(st.ppid, []);
    children.get(st.ppid).push(parseInt(d, 10));
  }
  const out = [];
  const todo = [root];
  while (todo.length) {
    const p = todo.pop();
    out.push(p);
    for (const c of children.get(p) || []) todo.push(c);
  }
  return out;
}

// { cpu_s, rss_kib, hwm_kib, procs } summed over the tree. cpu_s is user +
// system time consumed so far by live processes; rss_kib the current resident
// set; hwm_kib the sum of each process's peak RSS (an upper bound of the
// tree's peak).
function treeUsage(root) {
  let ticks = 0;
  let rss = 0;
  let hwm = 0;
  const pids = treePids(root);
  for (const p of pids) {
    const st = readStat(p);
    if (!st) continue;
    ticks += st.utime + st.stime;
    rss += readStatusKiB(p, 'VmRSS');
    hwm += readStatusKiB(p, 'VmHWM');
  }
  return { cpu_s: ticks / ticksPerSecond(), rss_kib: rss, hwm_kib: hwm, procs: pids.length };
}

module.exports = { treeUsage, treePids };
