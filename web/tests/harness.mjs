// Helpers for the real-browser tests of the KDC Sync web app (the "Web app" section of the
// project's contract): real `kdcd` processes in temporary data directories, driven through the
// real `kdc` binary, and Chromium (the system one) through playwright-core.
//
// Every wait has a deadline; nothing sleeps for a fixed time and hopes. Nothing is skipped: a
// missing browser, missing node_modules or missing binary is an error with a clear message.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// ---- paths and the environment ---------------------------------------------------------------

export const WEB_DIR = fileURLToPath(new URL('..', import.meta.url));
export const OUT_DIR = fileURLToPath(new URL('./out/', import.meta.url));
export const KDCD = process.env.KDCD || fileURLToPath(new URL('../../target/debug/kdcd', import.meta.url));
export const KDC = process.env.KDC || fileURLToPath(new URL('../../target/debug/kdc', import.meta.url));
export const KDC_SYNTH =
  process.env.KDC_SYNTH || fileURLToPath(new URL('../../target/debug/kdc-synth', import.meta.url));
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const AXE_PATH = path.join(WEB_DIR, 'node_modules', 'axe-core', 'axe.min.js');

export const LAUNCH_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const PHONE = {
  viewport: { width: 360, height: 800 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  locale: 'vi-VN',
};

/** The CI rule: the browser and node_modules must be there. Never skip silently. */
function checkEnvironment() {
  const problems = [];
  if (!isExecutable(CHROMIUM)) {
    problems.push(
      `Chromium not found at ${CHROMIUM} (set CHROMIUM, or: apt-get install -y chromium)`,
    );
  }
  for (const pkg of ['playwright-core', 'axe-core']) {
    if (!fs.existsSync(path.join(WEB_DIR, 'node_modules', pkg, 'package.json'))) {
      problems.push(`node_modules/${pkg} is missing: run \`npm ci\` in ${WEB_DIR}`);
    }
  }
  if (problems.length) {
    throw new Error(`the web test environment is incomplete:\n  - ${problems.join('\n  - ')}`);
  }
}

function isExecutable(p) {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Throws a clear error when a binary the tests need is missing. */
export function requireBinary(p, what, how) {
  if (!isExecutable(p)) {
    throw new Error(
      `${what} not found at ${p}: ${how || 'build it with `cargo build` in the workspace, or point the environment variable at it'}`,
    );
  }
  return p;
}

/** Checks kdcd and kdc (at the start of a test run). */
export function requireDaemonBinaries() {
  requireBinary(KDCD, 'kdcd (env KDCD)', 'run `cargo build -p kdc-daemon -p kdc-cli` or set KDCD');
  requireBinary(KDC, 'kdc (env KDC)', 'run `cargo build -p kdc-daemon -p kdc-cli` or set KDC');
}

checkEnvironment();
const { chromium } = await import('playwright-core');
export { chromium };

// ---- cleanup at process end ------------------------------------------------------------------

const liveProcs = new Set();
const tempDirs = new Set();
/** Every daemon started in this process (running or not), for logs on failure. */
export const daemons = [];
/** Every origin a daemon of this process served the app on (API and --ui-listen addresses,
 * across restarts): the only origins pages may load anything from. */
export const daemonOrigins = new Set();

function cleanup() {
  for (const p of liveProcs) {
    try {
      p.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  liveProcs.clear();
  if (process.env.KDC_KEEP_DIRS) {
    if (tempDirs.size) console.error(`kept data directories: ${[...tempDirs].join(' ')}`);
    return;
  }
  for (const d of tempDirs) {
    try {
      fs.rmSync(d, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
  tempDirs.clear();
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    cleanup();
    process.exit(128 + (os.constants.signals[sig] || 1));
  });
}

// ---- small utilities -------------------------------------------------------------------------

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `fn` (sync or async) until it returns a truthy value, which is returned. Exceptions
 * thrown by `fn` count as "not yet" and the last one is reported on timeout.
 */
export async function waitFor(fn, { timeout = 15_000, interval = 50, what = 'a condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  let lastErr;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
      lastErr = undefined;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() >= deadline) {
      const detail = lastErr ? `last error: ${lastErr.stack || lastErr}` : `last value: ${safeJson(last)}`;
      throw new Error(`timed out after ${timeout} ms waiting for ${what}; ${detail}`);
    }
    await sleep(interval);
  }
}

function safeJson(v) {
  try {
    const s = JSON.stringify(v);
    return s && s.length > 500 ? `${s.slice(0, 500)}…` : s;
  } catch {
    return String(v);
  }
}

/** A TCP port that is free on `host` right now (bind :0, read, close). */
export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function tcpConnects(host, port, timeout = 1000) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeout, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** Splits `HOST:PORT` (`[::1]:PORT` too). */
export function splitAddr(addr) {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(addr);
  if (!m) throw new Error(`not a HOST:PORT address: ${JSON.stringify(addr)}`);
  return { host: m[1], port: Number(m[2]) };
}

/**
 * One HTTP request with node:http (no redirects followed, no browser involved).
 * Returns `{status, headers, body: Buffer, ms}`.
 */
export function httpRequest(url, { method = 'GET', headers = {}, body = null, timeout = 30_000 } = {}) {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(
      {
        host: u.hostname.replace(/^\[|\]$/g, ''),
        port: u.port || 80,
        path: u.pathname + u.search,
        method,
        headers: {
          ...(body != null ? { 'content-length': Buffer.byteLength(body) } : {}),
          ...headers,
        },
        timeout,
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode,
            headers: res.headers,
            body: Buffer.concat(chunks),
            ms: performance.now() - t0,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer within ${timeout} ms`)));
    req.on('error', reject);
    if (body != null) req.write(body);
    req.end();
  });
}

/** `Cookie:` header value for `base` from a Playwright context. */
export async function cookieHeader(context, base) {
  const cookies = await context.cookies(base);
  return cookies.map((c) => `${c.name}=${c.value}`).join('; ');
}

// ---- daemons ---------------------------------------------------------------------------------

function runKdc(dir, args, { timeout = 120_000, input } = {}) {
  const env = { ...process.env, LANG: 'en_US.UTF-8', LC_ALL: 'en_US.UTF-8' };
  delete env.KDC_DATA_DIR;
  const r = spawnSync(KDC, ['--data-dir', dir, ...args.map(String)], {
    encoding: 'utf8',
    env,
    timeout,
    input,
    stdio: [input == null ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) throw new Error(`running ${KDC} ${args.join(' ')}: ${r.error.message}`);
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}

let daemonSeq = 0;

/**
 * Starts `kdcd` on a new temporary data directory (or on `dir`, e.g. to restart one), with the
 * control API on a free loopback port, libp2p on loopback, no mDNS. Resolves when `api.addr`
 * holds the bound address and that address accepts connections.
 */
export async function startDaemon({ name = 'test-device', peers = [], uiListen = null, extraArgs = [], dir = null, api = '127.0.0.1:0', env: extraEnv = {}, bin = KDCD } = {}) {
  requireDaemonBinaries();
  const seq = ++daemonSeq;
  if (!dir) {
    const safe = String(name).replace(/[^A-Za-z0-9_-]/g, '_');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `kdc-web-${safe}-`));
    tempDirs.add(dir);
  }
  const d = {
    name,
    dir,
    log: path.join(dir, 'kdcd.stderr.log'),
    addr: null,
    host: null,
    port: null,
    base: null,
    proc: null,
    peers,
    uiListen,
    extraArgs,
    /** `kdc --data-dir DIR ARGS...` → `{code, stdout, stderr}` (synchronous). */
    kdc: (...args) => runKdc(dir, args),
    /** `kdc --data-dir DIR --json ARGS...`, parsed; throws with stderr when it fails. */
    kdcJson: (...args) => kdcJsonIn(dir, args),
    /** SIGTERM, then waits (30 s) for the exit; resolves with the exit code. */
    stop: () => stopDaemon(d),
    /** SIGKILL. */
    kill: () => {
      if (d.proc && d.proc.exitCode === null && d.proc.signalCode === null) d.proc.kill('SIGKILL');
    },
    /** Starts kdcd again on the same data directory; `addr`/`base` change (new API port). */
    restart: async (opts = {}) => {
      if (d.running()) await d.stop();
      const nd = await startDaemon({ name, peers: d.peers, uiListen: d.uiListen, extraArgs: d.extraArgs, ...opts, dir });
      Object.assign(d, { addr: nd.addr, host: nd.host, port: nd.port, base: nd.base, proc: nd.proc, peers: nd.peers, uiListen: nd.uiListen });
      // The restart registered a second entry for the same directory: keep the first only.
      const i = daemons.indexOf(nd);
      if (i >= 0) daemons.splice(i, 1);
      return d;
    },
    running: () => !!d.proc && d.proc.exitCode === null && d.proc.signalCode === null,
    /** The last `lines` lines of the daemon's stderr log. */
    tail: (lines = 60) => tailFile(d.log, lines),
    /** `{peer_id, name, listen}` */
    id: () => kdcJsonIn(dir, ['id']),
    /** A multiaddr other daemons on this machine can dial, ending in /p2p/PEER_ID. */
    dialAddr: () => dialAddr(d),
  };

  try {
    fs.rmSync(path.join(dir, 'api.addr'), { force: true });
  } catch {
    /* not there */
  }
  const args = [
    '--data-dir', dir,
    '--api', api,
    '--listen', '/ip4/127.0.0.1/tcp/0',
    '--no-mdns',
    '--name', name,
  ];
  for (const p of peers) args.push('--peer', p);
  if (uiListen) args.push('--ui-listen', uiListen);
  args.push(...extraArgs);

  const fd = fs.openSync(d.log, 'a');
  fs.writeSync(fd, `\n===== [${new Date().toISOString()}] #${seq} ${bin} ${args.join(' ')}\n`);
  const env = { ...process.env, RUST_LOG: process.env.RUST_LOG || 'info', ...extraEnv };
  delete env.KDC_DATA_DIR;
  const proc = spawn(bin, args, { stdio: ['ignore', fd, fd], env });
  fs.closeSync(fd);
  d.proc = proc;
  liveProcs.add(proc);
  proc.once('exit', () => liveProcs.delete(proc));
  daemons.push(d);

  const addrFile = path.join(dir, 'api.addr');
  await waitFor(
    async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw Object.assign(new Error(`kdcd exited during start (${proc.exitCode ?? proc.signalCode}):\n${d.tail(40)}`), { fatal: true });
      }
      let text;
      try {
        text = fs.readFileSync(addrFile, 'utf8').trim();
      } catch {
        return false;
      }
      if (!/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d+$/.test(text)) return false;
      const { host, port } = splitAddr(text);
      if (!(await tcpConnects(host, port))) return false;
      Object.assign(d, { addr: text, host, port, base: `http://${text}` });
      // The daemon's own address, and the loopback names its Host check accepts.
      for (const h of [text, `127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) daemonOrigins.add(new URL(`http://${h}`).origin);
      if (uiListen) daemonOrigins.add(new URL(`http://${uiListen}`).origin);
      return true;
    },
    { timeout: 30_000, interval: 50, what: `${name}: ${addrFile} holding HOST:PORT` },
  ).catch((e) => {
    d.kill();
    throw new Error(`kdcd ${name} did not start: ${e.message}\n--- ${d.log} ---\n${d.tail(60)}`);
  });
  return d;
}

function kdcJsonIn(dir, args) {
  const r = runKdc(dir, ['--json', ...args]);
  if (r.code !== 0) {
    const e = new Error(`kdc --json ${args.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
    e.exitCode = r.code;
    e.stderr = r.stderr;
    throw e;
  }
  try {
    return JSON.parse(r.stdout);
  } catch (err) {
    throw new Error(`kdc --json ${args.join(' ')}: stdout is not JSON (${err.message}): ${r.stdout.slice(0, 2000)}`);
  }
}

async function stopDaemon(d) {
  const p = d.proc;
  if (!p || p.exitCode !== null || p.signalCode !== null) return p ? p.exitCode : null;
  const exited = new Promise((resolve) => p.once('exit', (code, signal) => resolve(code ?? signal)));
  p.kill('SIGTERM');
  const timer = sleep(30_000).then(() => 'timeout');
  const res = await Promise.race([exited, timer]);
  if (res === 'timeout') {
    p.kill('SIGKILL');
    await exited;
    throw new Error(`kdcd ${d.name} did not stop within 30 s of SIGTERM\n${d.tail(40)}`);
  }
  return res;
}

function dialAddr(d) {
  const id = d.id();
  const listen = id.listen || [];
  const addr = listen.find((a) => a.startsWith('/ip4/127.0.0.1/tcp/')) || listen[0];
  if (!addr) throw new Error(`${d.name} has no listen address: ${JSON.stringify(id)}`);
  return addr.includes('/p2p/') ? addr : `${addr}/p2p/${id.peer_id}`;
}

export function tailFile(file, lines = 60) {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.split('\n').slice(-lines - 1).join('\n');
  } catch (e) {
    return `(no log: ${e.message})`;
  }
}

// ---- browser ---------------------------------------------------------------------------------

/** Every request any page of any context made: `{url, from}`. */
export const requestLog = [];
/** Console errors and page errors, per page, for diagnostics. */
const pageProblems = new WeakMap();
/** Open contexts, for diagnostics and closing. */
export const openContexts = new Set();

export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
}

/** Attaches request recording and error collection to a page. */
function watchPage(page) {
  pageProblems.set(page, []);
  page.on('request', (r) => requestLog.push({ url: r.url(), from: page.url() }));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') pageProblems.get(page)?.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => pageProblems.get(page)?.push(`pageerror: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) pageProblems.get(page)?.push(`HTTP ${r.status()} for ${r.request().method()} ${r.url()}`);
  });
  page.on('requestfailed', (r) => pageProblems.get(page)?.push(`request failed: ${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
}

/**
 * A new phone-sized context and its page. `bypassCSP: true` only for contexts that inject
 * axe-core (the app's CSP is `script-src 'self'`).
 */
export async function newPhone(browser, { bypassCSP = false, ...extra } = {}) {
  const context = await browser.newContext({ ...PHONE, bypassCSP, ...extra });
  openContexts.add(context);
  context.on('close', () => openContexts.delete(context));
  context.on('page', watchPage);
  const page = await context.newPage();
  return { context, page };
}

/**
 * Logs `page` in to `daemon` with a one-time URL from `kdc --json ui [--lan] --no-open` and
 * asserts the browser ended on `/`. `host` replaces the URL's host (LAN mode). Returns the URL.
 */
export async function login(page, daemon, { lan = false, host = null } = {}) {
  const out = daemon.kdcJson('ui', ...(lan ? ['--lan'] : []), '--no-open');
  assert.equal(typeof out.url, 'string', `kdc --json ui gave no url: ${JSON.stringify(out)}`);
  let url = out.url;
  if (host) {
    const u = new URL(url);
    if (u.host !== host) {
      u.host = host;
      url = u.toString();
    }
  }
  const resp = await page.goto(url);
  const landed = new URL(page.url());
  assert.equal(landed.pathname, '/', `login URL ${url} ended on ${page.url()} (status ${resp && resp.status()})`);
  assert.equal(
    await page.locator('[data-login-required]').count(),
    0,
    `after login at ${url}, / still shows the login page`,
  );
  return url;
}

/** Full-page screenshot to web/tests/out/NAME.png. */
export async function shot(page, name) {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, scale: 'css' });
  const width = await page.evaluate(() => document.documentElement.scrollWidth).catch(() => 0);
  const vw = page.viewportSize()?.width || 0;
  if (vw && width > vw) console.log(`note: ${name} (${page.url()}) is ${width} px wide on a ${vw} px screen`);
  return file;
}

/**
 * axe-core on the current page: no violation of impact `serious` or `critical`. The page's
 * context must have been created with `bypassCSP: true`.
 */
export async function axeCheck(page, { label = page.url(), options = {} } = {}) {
  try {
    await page.addScriptTag({ path: AXE_PATH });
  } catch (e) {
    throw new Error(`injecting axe-core into ${page.url()} failed (was the context created with bypassCSP: true?): ${e.message}`);
  }
  const result = await page.evaluate(async (opts) => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'], ...opts });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      targets: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
    }));
  }, options);
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const minor = result.filter((v) => !bad.includes(v));
  if (minor.length) {
    console.log(`axe ${label}: minor/moderate: ${minor.map((v) => `${v.id} (${v.impact}, ${v.targets.length})`).join(', ')}`);
  }
  if (bad.length) {
    const text = bad
      .map(
        (v) =>
          `  [${v.impact}] ${v.id}: ${v.help}\n` +
          v.targets
            .slice(0, 10)
            .map((t) => `      ${t.target}${t.summary ? `\n        ${t.summary.replace(/\n/g, '\n        ')}` : ''}`)
            .join('\n') +
          (v.targets.length > 10 ? `\n      … and ${v.targets.length - 10} more` : ''),
      )
      .join('\n');
    assert.fail(`axe: ${bad.length} serious/critical violation(s) on ${label}:\n${text}`);
  }
  return result;
}

/**
 * Tap targets smaller than `min` × `min` CSS pixels on the current page: visible links,
 * buttons, summaries, selects, text inputs and the labels of radio and check boxes (which a
 * thumb hits instead of the box). Returns `["selector-ish (w×h)", …]`.
 */
export async function smallTapTargets(page, min = 44) {
  return page.evaluate((min) => {
    const out = [];
    const sel = 'a[href], button, summary, select, input:not([type=hidden]):not([type=radio]):not([type=checkbox]), label.choice, label.check';
    for (const e of document.querySelectorAll(sel)) {
      if (e.closest('[hidden], .sr, .skip, .print-only')) continue;
      // Inside a closed <details>, only its summary can be tapped.
      const closed = e.closest('details:not([open])');
      if (closed && !(e.tagName === 'SUMMARY' && e.parentElement === closed)) continue;
      const r = e.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue; // not rendered (closed details, display:none)
      const st = getComputedStyle(e);
      if (st.visibility === 'hidden' || st.display === 'none') continue;
      if (r.width + 0.5 < min || r.height + 0.5 < min) {
        const what = `${e.tagName.toLowerCase()}${e.getAttribute('data-action') ? `[data-action=${e.getAttribute('data-action')}]` : ''}`;
        out.push(`${what} "${(e.innerText || e.value || e.getAttribute('aria-label') || '').trim().slice(0, 40)}" (${Math.round(r.width)}×${Math.round(r.height)})`);
      }
    }
    return out;
  }, min);
}

// ---- page helpers ----------------------------------------------------------------------------

/**
 * Checks a radio (or checkbox) input that may be visually replaced by a styled label: forced
 * check, then its label, then a DOM click; asserts it ended checked.
 */
export async function checkRadio(page, name, value, { within = page } = {}) {
  const sel = `input[name="${name}"][value="${value}"]`;
  const input = within.locator(sel).first();
  await input.waitFor({ state: 'attached', timeout: 10_000 });
  try {
    await input.check({ force: true, timeout: 3_000 });
  } catch {
    /* try its label */
  }
  if (!(await input.isChecked())) {
    const label = within.locator(`label:has(${sel})`).first();
    const id = await input.getAttribute('id');
    const byFor = id ? within.locator(`label[for="${id}"]`).first() : null;
    for (const l of [byFor, label]) {
      if (l && (await l.count()) && !(await input.isChecked())) {
        await l.click({ timeout: 3_000 }).catch(() => {});
      }
    }
  }
  if (!(await input.isChecked())) await input.evaluate((el) => el.click());
  assert.ok(await input.isChecked(), `${sel} could not be checked`);
}

/** Whether the question `name` is shown: one of its inputs, or one of their labels, is rendered. */
export async function questionVisible(page, name) {
  return page.evaluate((n) => {
    const opts = { visibilityProperty: true, checkVisibilityCSS: true };
    const rendered = (el) =>
      (el.checkVisibility ? el.checkVisibility(opts) : el.getClientRects().length > 0) &&
      el.getClientRects().length > 0;
    return [...document.querySelectorAll(`input[name="${n}"]`)].some(
      (i) => rendered(i) || [...(i.labels || [])].some(rendered),
    );
  }, name);
}

/**
 * The household form's "save": clicks `[data-action=save]` and waits for a fresh
 * `[data-saved-at]` (or a `[data-error-for]`), across a reload or an in-place update.
 * Returns `{savedAt | errors, ms, pageMs, clickAt, seenAt}`: `ms` is measured here (includes
 * Playwright's own overhead), `pageMs` inside the browser from the click event to the first time
 * the new element was seen (epoch ms in `clickAt`/`seenAt`, comparable across pages).
 */
export async function submitAndWait(page, { timeout = 15_000, expectError = false, click = null } = {}) {
  // Mark what is there now, so a re-rendered or updated element can be told apart, and note
  // the click's time where it survives a navigation.
  const before = await page.evaluate(() => {
    const s = document.querySelector('[data-saved-at]');
    document.querySelectorAll('[data-saved-at], [data-error-for]').forEach((e) => e.setAttribute('data-test-stale', ''));
    sessionStorage.removeItem('__kdcTestClickAt');
    const note = (e) => {
      if (e.target instanceof Element && e.target.closest('[data-action="save"]')) {
        sessionStorage.setItem('__kdcTestClickAt', String(performance.timeOrigin + e.timeStamp));
      }
    };
    document.addEventListener('click', note, { capture: true, once: false });
    // An in-place update may write the same (second-precision) time again: any write counts.
    if (!window.__kdcTestSavedObserver) {
      window.__kdcTestSavedObserver = new MutationObserver(() => {
        window.__kdcTestSavedWrites = (window.__kdcTestSavedWrites || 0) + 1;
      });
      window.__kdcTestSavedObserver.observe(document, { subtree: true, attributes: true, attributeFilter: ['data-saved-at'] });
    }
    window.__kdcTestSavedWrites = 0;
    return s ? s.getAttribute('data-saved-at') : null;
  });
  const t0 = performance.now();
  await (click ? click() : page.locator('[data-action="save"]').first().click());
  const handle = await page
    .waitForFunction(
      (prev) => {
        const now = performance.timeOrigin + performance.now();
        const clickAt = Number(sessionStorage.getItem('__kdcTestClickAt')) || null;
        const err = [...document.querySelectorAll('[data-error-for]')].filter((e) => !e.hasAttribute('data-test-stale'));
        if (err.length) {
          return { errors: err.map((e) => ({ field: e.getAttribute('data-error-for'), text: e.textContent.trim() })), clickAt, seenAt: now };
        }
        const s = [...document.querySelectorAll('[data-saved-at]')].find(
          (e) => !e.hasAttribute('data-test-stale') || e.getAttribute('data-saved-at') !== prev || window.__kdcTestSavedWrites > 0,
        );
        return s ? { savedAt: s.getAttribute('data-saved-at'), clickAt, seenAt: now } : null;
      },
      before,
      { timeout, polling: 'raf' },
    )
    .catch((e) => {
      throw new Error(
        `after clicking save on ${page.url()}, neither a new [data-saved-at] nor a [data-error-for] appeared within ` +
          `${timeout} ms (a refused request, see the page's HTTP errors below, or a native min/max validation ` +
          `bubble that blocks the submit without a [data-error-for]): ${e.message}`,
      );
    });
  const res = await handle.jsonValue();
  res.ms = performance.now() - t0;
  res.pageMs = res.clickAt ? res.seenAt - res.clickAt : null;
  if (!expectError && res.errors) {
    throw new Error(`save refused on ${page.url()}: ${JSON.stringify(res.errors)}`);
  }
  return res;
}

export const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Gives consent on the page when the profile asks for it (radio `consent=verbal`). */
export async function giveConsentIfAsked(page) {
  if (await page.locator('input[name="consent"]').count()) {
    await checkRadio(page, 'consent', 'verbal');
    return true;
  }
  return false;
}

/** Diagnostics for a failure: daemon log tails and every open page's URL, problems and HTML. */
export async function diagnostics(label, { only = daemons, print = console.error } = {}) {
  const parts = [`######## diagnostics for: ${label}`];
  for (const d of only) {
    parts.push(`--- kdcd ${d.name} (${d.dir}, ${d.running() ? `running on ${d.addr}` : 'stopped'}) stderr tail ---\n${d.tail(80)}`);
  }
  let i = 0;
  for (const ctx of openContexts) {
    for (const page of ctx.pages()) {
      i += 1;
      if (page.isClosed()) continue;
      let html = '';
      try {
        html = await page.evaluate(() => document.documentElement.outerHTML);
      } catch (e) {
        html = `(no HTML: ${e.message})`;
      }
      const problems = pageProblems.get(page) || [];
      parts.push(
        `--- page ${i}: ${page.url()} ---\n` +
          (problems.length ? `problems:\n  ${problems.slice(-20).join('\n  ')}\n` : '') +
          `html (${html.length} chars): ${html.slice(0, 4000)}${html.length > 4000 ? '…' : ''}`,
      );
      try {
        const safe = label.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 60);
        parts.push(`screenshot: ${await shot(page, `FAIL-${safe}-${i}`)}`);
      } catch {
        /* page gone */
      }
    }
  }
  const text = parts.join('\n');
  print(text);
  try {
    fs.mkdirSync(OUT_DIR, { recursive: true });
    fs.appendFileSync(path.join(OUT_DIR, 'failures.log'), `${text}\n`);
  } catch {
    /* best effort */
  }
  return text;
}

/** Closes every context opened after `keep` (a snapshot of `openContexts`). */
export async function closeContextsExcept(keep) {
  for (const ctx of [...openContexts]) {
    if (!keep.has(ctx)) await ctx.close().catch(() => {});
  }
}

// ---- kdc conveniences ------------------------------------------------------------------------

/**
 * `kdc household add` with FIELD=VALUE arguments; gives verbal consent when the daemon asks for
 * it (the default profile requires consent; older profiles do not know the flag).
 */
export function addHousehold(d, area, hh, fields = {}, { group, address } = {}) {
  const args = ['household', 'add', area, hh];
  if (group != null) args.push('--group', group);
  if (address != null) args.push('--address', address);
  const kv = Object.entries(fields).map(([k, v]) => `${k}=${v}`);
  let r = d.kdc(...args, ...kv);
  if (r.code !== 0 && /consent/i.test(r.stderr + r.stdout)) r = d.kdc(...args, '--consent', 'verbal', ...kv);
  if (r.code !== 0) throw new Error(`kdc ${args.join(' ')} ${kv.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

/** `kdc invite AREA` on `from`, `kdc join TOKEN` on `to`, waits until `to` lists the area. */
export async function inviteAndJoin(from, to, area, { timeout = 60_000 } = {}) {
  const { token } = from.kdcJson('invite', area);
  assert.match(token, /^kdc1-/, `kdc invite gave ${token}`);
  const r = to.kdc('join', token);
  assert.equal(r.code, 0, `kdc join on ${to.name} exited ${r.code}: ${r.stderr}`);
  await waitFor(() => to.kdcJson('area', 'list').some((a) => a.id === area), {
    timeout,
    interval: 200,
    what: `${to.name} to list area ${area} after joining`,
  });
  return token;
}

/** The run's failure-safe exit code helper for scripts. */
export function assertOk(r, what) {
  assert.equal(r.code, 0, `${what} exited ${r.code}: ${r.stderr}`);
  return r;
}
