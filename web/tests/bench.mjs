// Figures of the web app, measured in a real browser against real daemons on loopback. Not a
// test: it prints figures with their targets and asserts nothing.
//
//   node tests/bench.mjs [--only a,b,c,d] [--households N]
//
// (a) bytes a phone downloads for the household form (everything included), raw and as
//     transferred with gzip, and requests to other origins;
// (b) tap "Lưu" → fresh [data-saved-at]: 30 saves;
// (c) an edit in A's browser → visible on B's open board, two daemons on loopback: 20 rounds;
// (d) server time to render the board of a 3,000-household area (node http GET, logged-in
//     cookie) against `kdc --json status` as a whole process, in the same run;
// (e) the ward page: 30 files / 3,000 households → report (server time), against
//     `kdc report --format json` of the same files; (f) the same for a district: 125 files /
//     50,000 households, with the daemon's RSS before, at the peak and after;
// (g) Lighthouse (npm `lighthouse`, the same Chromium, its default mobile settings: Moto G
//     screen, simulated slow 4G and 4× CPU slowdown) on the home page, the board, the household
//     form and the worklist of the 3,000-household area: performance and accessibility scores
//     and FCP, LCP, TBT, CLS.
// Environment: as for the tests (KDCD, KDC, KDC_SYNTH, CHROMIUM). 1 KB = 1024 bytes.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

import * as H from './harness.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const only = new Set(String(opt('--only', 'a,b,c,d,e,f,g')).split(','));
const HOUSEHOLDS = Number(opt('--households', '3000'));
const BIG = 'bench';
const SMALL = 'small';
const HH = 'S-1';

const rows = [];
const row = (figure, measured, target) => {
  rows.push([figure, measured, target]);
  console.log(`  ${figure}: ${measured}   (target ${target})`);
};
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const ms = (n) => `${n.toFixed(1)} ms`;
function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(p * s.length) - 1)];
}
const median = (xs) => pct(xs, 0.5);

H.requireDaemonBinaries();
const browser = await H.launchBrowser();
const A = await H.startDaemon({ name: 'bench-A' });
let B = null;

/** Runs one figure; a failure is printed as that figure's row and the others still run. */
async function section(name, fn) {
  if (!only.has(name)) return;
  const keep = new Set(H.openContexts);
  try {
    await fn();
  } catch (e) {
    console.error(`(${name}) failed: ${e.stack || e}`);
    for (const d of H.daemons) console.error(`--- ${d.name} stderr tail ---\n${d.tail(30)}`);
    row(`(${name})`, `FAILED: ${String(e.message).split('\n')[0]}`, '');
  } finally {
    await H.closeContextsExcept(keep);
  }
}

let seededBig = false;
/** The big area (kdc-synth), imported on first use. */
function seedBig() {
  if (seededBig) return;
  H.requireBinary(H.KDC_SYNTH, 'kdc-synth (env KDC_SYNTH)');
  const file = path.join(A.dir, 'bench.snapshot');
  const t0 = performance.now();
  const r = spawnSync(H.KDC_SYNTH, ['--seed', '7', '--households', String(HOUSEHOLDS), '--id', BIG, '--peer', A.id().peer_id, '-o', file], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`kdc-synth exited ${r.status}: ${r.stderr || r.error}`);
  H.assertOk(A.kdc('snapshot', 'import', file), 'kdc snapshot import');
  seededBig = true;
  console.log(`seeded ${BIG} with ${HOUSEHOLDS} households in ${(performance.now() - t0).toFixed(0)} ms`);
}

async function loggedIn(daemon, opts) {
  const phone = await H.newPhone(browser, opts);
  await H.login(phone.page, daemon);
  return phone;
}

try {
  console.log(`web bench on ${os.cpus().length} cores; kdcd ${H.KDCD}`);

  // The small area, one household with consent and counts.
  H.assertOk(A.kdc('area', 'create', SMALL, '--name', 'Nhỏ', '--ward', 'W'), 'kdc area create small');
  H.addHousehold(
    A,
    SMALL,
    HH,
    { members: 4, members_14plus: 4, smartphone_users: 4, eid_accounts: 0, payment_accounts: 4, internet: 'no', business: 'no' },
    { group: 'Tổ 1', address: '1 Lê Lợi' },
  );

  // ---- (a) bytes for the household form ----
  await section('a', async () => {
    seedBig();
    const bigHH = A.kdcJson('household', 'list', BIG).find((h) => !h.archived).id;
    for (const [area, hh] of [
      [SMALL, HH],
      [BIG, bigHH],
    ]) {
      const { context, page } = await loggedIn(A);
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
      const responses = [];
      const requested = [];
      page.on('response', (r) => responses.push(r));
      page.on('request', (r) => requested.push(r.url()));
      const url = `${A.base}/a/${area}/h/${hh}`;
      await page.goto(url, { waitUntil: 'load' });
      await page.waitForLoadState('networkidle', { timeout: 3_000 }).catch(() => {});
      let raw = 0;
      const foreign = requested.filter((x) => {
        const u = new URL(x);
        return ['http:', 'https:', 'ws:', 'wss:'].includes(u.protocol) && !H.daemonOrigins.has(u.origin);
      }).length;
      const urls = [];
      for (const r of responses) {
        const u = new URL(r.url());
        if (!['http:', 'https:'].includes(u.protocol)) continue;
        const type = r.headers()['content-type'] || '';
        if (type.includes('text/event-stream')) continue; // a live-update stream has no end
        const body = await Promise.race([r.body().catch(() => Buffer.alloc(0)), H.sleep(2_000).then(() => Buffer.alloc(0))]);
        raw += body.length;
        if (r.request().method() === 'GET') urls.push(r.url());
      }
      const cookie = await H.cookieHeader(context, A.base);
      let transferred = 0;
      let gzipped9 = 0;
      const encodings = new Set();
      for (const u of urls) {
        const res = await H.httpRequest(u, { headers: { cookie, 'accept-encoding': 'gzip' } });
        transferred += res.body.length;
        encodings.add(res.headers['content-encoding'] || 'identity');
        const plain = res.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(res.body) : res.body;
        gzipped9 += zlib.gzipSync(plain, { level: 9 }).length;
      }
      console.log(`(a) ${url}: ${responses.length} responses: ${urls.map((u) => new URL(u).pathname).join(' ')}`);
      row(`household form (${area}), every response body, uncompressed`, kb(raw), '≤ 60 KB');
      row(
        `household form (${area}), as transferred with Accept-Encoding: gzip [${[...encodings].join(',')}]`,
        `${kb(transferred)} (gzip -9 would be ${kb(gzipped9)})`,
        '≤ 20 KB',
      );
      row(`household form (${area}), requests to other origins`, String(foreign), '0');
      await context.close();
    }
  });

  // ---- (b) tap "Lưu" → fresh [data-saved-at] ----
  await section('b', async () => {
    const { context, page } = await loggedIn(A);
    await page.goto(`${A.base}/a/${SMALL}/h/${HH}`);
    await H.giveConsentIfAsked(page);
    const times = [];
    const outside = [];
    for (let i = 1; i <= 30; i++) {
      await page.fill('input[name="eid_accounts"]', String(i % 5));
      const r = await H.submitAndWait(page);
      times.push(r.pageMs ?? r.ms);
      outside.push(r.ms);
    }
    row(
      'tap "Lưu" → [data-saved-at], 30 saves, in the page: p50 / p90 / max',
      `${ms(median(times))} / ${ms(pct(times, 0.9))} / ${ms(Math.max(...times))}`,
      'p50 ≤ 60 ms',
    );
    console.log(`    (as seen from the test driver, Playwright overhead included: p50 ${ms(median(outside))})`);
    await context.close();
  });

  // ---- (c) edit on A's browser → B's open board ----
  await section('c', async () => {
    B = await H.startDaemon({ name: 'bench-B' });
    await H.inviteAndJoin(A, B, SMALL);
    await H.waitFor(() => B.kdc('--json', 'household', 'show', SMALL, HH).code === 0, {
      timeout: 60_000,
      interval: 200,
      what: `${HH} on B`,
    });
    const onB = await loggedIn(B);
    await onB.page.goto(`${B.base}/a/${SMALL}`);
    await onB.page.locator('[data-criterion="internet"]').first().waitFor({ state: 'attached', timeout: 15_000 });
    // An observer in B's page notes when the board shows the wanted numerator (epoch ms).
    await onB.page.evaluate(() => {
      window.__want = null;
      window.__seenAt = null;
      const check = () => {
        if (window.__want == null || window.__seenAt != null) return;
        const e = document.querySelector('[data-criterion="internet"]');
        if (e && e.getAttribute('data-numerator') === window.__want) window.__seenAt = performance.timeOrigin + performance.now();
      };
      new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
      window.__check = check;
    });
    const onA = await loggedIn(A);
    await onA.page.goto(`${A.base}/a/${SMALL}/h/${HH}`);
    await H.giveConsentIfAsked(onA.page);
    const times = [];
    let current = A.kdcJson('household', 'show', SMALL, HH).fields.internet;
    for (let i = 0; i < 20; i++) {
      const next = current === 'yes' ? 'no' : 'yes';
      const want = next === 'yes' ? '1' : '0';
      await H.checkRadio(onA.page, 'internet', next);
      await onB.page.evaluate((w) => {
        window.__seenAt = null;
        window.__want = w;
        window.__check();
      }, want);
      const saved = await H.submitAndWait(onA.page);
      const seenAt = await onB.page
        .waitForFunction(() => window.__seenAt || (typeof window.__check !== 'function' ? -1 : null), null, {
          timeout: 30_000,
          polling: 100,
        })
        .then((h) => h.jsonValue());
      if (seenAt === -1) throw new Error("B's board reloaded instead of updating in place");
      times.push(seenAt - (saved.clickAt ?? seenAt));
      current = next;
    }
    row("edit in A's browser → B's open board, 20 rounds: p50 / p90", `${ms(median(times))} / ${ms(pct(times, 0.9))}`, 'p50 ≤ 250 ms');
    await onA.context.close();
    await onB.context.close();
  });

  // ---- (d) server time to render the board of the big area ----
  await section('d', async () => {
    seedBig();
    const { context } = await loggedIn(A);
    const cookie = await H.cookieHeader(context, A.base);
    const url = `${A.base}/a/${BIG}`;
    const warm = await H.httpRequest(url, { headers: { cookie } });
    if (warm.status !== 200) console.log(`note: GET ${url} answered ${warm.status}`);
    const gets = [];
    const status = [];
    for (let i = 0; i < 30; i++) {
      const r = await H.httpRequest(url, { headers: { cookie } });
      gets.push(r.ms);
    }
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now();
      H.assertOk(A.kdc('--json', 'status', BIG), 'kdc status');
      status.push(performance.now() - t0);
    }
    const g = median(gets);
    const s = median(status);
    row(`GET /a/${BIG} (${HOUSEHOLDS} households, ${kb(warm.body.length)}), median of 30`, ms(g), '≤ 30 ms');
    row(`kdc --json status ${BIG} (whole process), median of 30`, ms(s), 'baseline');
    row('board GET / kdc status', `${(g / s).toFixed(2)}×`, '≤ 2×');
    await context.close();
  });
  // (e) and (f): the ward page. Files from kdc-synth; the page's server time (POST of every file
  // → the 303 to the result, through node's fetch with a logged-in cookie) against
  // `kdc report --format json` of the same files as a whole process, in the same run; and the
  // daemon's RSS before, at the peak and after.
  const wardFigure = async (name, files, perFile, runs, target) => {
    await section(name, async () => {
      const dir = fs.mkdtempSync(path.join(A.dir, `ward-${name}-`));
      const paths = [];
      const t0 = performance.now();
      for (let i = 0; i < files; i++) {
        const p = path.join(dir, `khu-${i}.kdcsnap`);
        const r = spawnSync(H.KDC_SYNTH, ['--seed', String(1000 + i), '--households', String(perFile), '--id', `khu-${i}`, '--peer', A.id().peer_id, '-o', p], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`kdc-synth exited ${r.status}: ${r.stderr}`);
        paths.push(p);
      }
      console.log(`(${name}) ${files} files of ${perFile} households made in ${(performance.now() - t0).toFixed(0)} ms`);
      const { context, page } = await H.newPhone(browser);
      await H.login(page, A);
      const cookie = await H.cookieHeader(context, A.base);
      const form = await H.httpRequest(`${A.base}/ward`, { headers: { cookie } });
      const csrf = (String(form.body).match(/name="csrf" value="([^"]+)"/) || [])[1];
      if (!csrf) throw new Error('no CSRF token on /ward');
      const blobs = paths.map((p) => [path.basename(p), new Blob([fs.readFileSync(p)])]);
      const rss = () => Number((fs.readFileSync(`/proc/${A.proc.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/) || [])[1]) / 1024;
      const before = rss();
      let peak = before;
      const sampler = setInterval(() => { peak = Math.max(peak, rss()); }, 20);
      const pageTimes = [];
      for (let i = 0; i < runs; i++) {
        const body = new FormData();
        body.append('csrf', csrf);
        for (const [n, b] of blobs) body.append('files', b, n);
        const t = performance.now();
        const resp = await fetch(`${A.base}/ward`, { method: 'POST', body, headers: { cookie }, redirect: 'manual' });
        await resp.arrayBuffer();
        pageTimes.push(performance.now() - t);
        if (resp.status !== 303) throw new Error(`POST /ward answered ${resp.status}`);
      }
      clearInterval(sampler);
      await new Promise((r) => setTimeout(r, 2000));
      const after = rss();
      const cli = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        const r = spawnSync(H.KDC, ['report', '--format', 'json', ...paths], { encoding: 'utf8', maxBuffer: 1 << 28 });
        cli.push(performance.now() - t);
        if (r.status !== 0) throw new Error(`kdc report exited ${r.status}: ${r.stderr}`);
      }
      const pm = median(pageTimes);
      const cm = median(cli);
      row(`ward page: ${files} files / ${files * perFile} households → report (server), median of ${runs}`, ms(pm), target);
      row(`kdc report --format json, same files (whole process), median of ${runs}`, ms(cm), 'baseline');
      row(`ward page / kdc report (${name})`, `${(pm / cm).toFixed(2)}×`, name === 'e' ? '≤ 1.5×' : '');
      row(`kdcd RSS during (${name}): before → peak → 2 s after`, `${before.toFixed(0)} → ${peak.toFixed(0)} → ${after.toFixed(0)} MB`, name === 'f' ? 'growth ≤ 300 MB, back down' : '');
      await context.close();
    });
  };
  await wardFigure('e', 30, 100, 5, 'printed');
  await wardFigure('f', 125, 400, 3, '≤ 4 s');
  // ---- (g) Lighthouse, mobile ----
  await section('g', async () => {
    seedBig();
    let lighthouse;
    let launcher;
    try {
      lighthouse = (await import('lighthouse')).default;
      launcher = await import('chrome-launcher');
    } catch (e) {
      row('(g) Lighthouse', `not installed (${e.code || e.message}): run npm ci in web/`, 'performance and accessibility 100');
      return;
    }
    const { context } = await loggedIn(A);
    const cookie = await H.cookieHeader(context, A.base);
    const flags = ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
    const hh = A.kdcJson('household', 'list', BIG).find((h) => !h.archived).id;
    for (const [name, url] of [
      ['home', `${A.base}/`],
      ['board (3,000 households)', `${A.base}/a/${BIG}`],
      ['household form', `${A.base}/a/${BIG}/h/${hh}`],
      ['worklist (e_citizen)', `${A.base}/a/${BIG}/worklist?missing=e_citizen`],
    ]) {
      // A fresh browser per page: nothing of one run (cache, connections) helps the next.
      const chrome = await launcher.launch({ chromePath: H.CHROMIUM, chromeFlags: flags });
      try {
        const r = await lighthouse(url, {
          port: chrome.port,
          output: 'json',
          logLevel: 'error',
          onlyCategories: ['performance', 'accessibility'],
          extraHeaders: { Cookie: cookie },
        });
        const lhr = r.lhr;
        if (lhr.runtimeError) throw new Error(`${name}: ${lhr.runtimeError.message}`);
        const score = (c) => Math.round((lhr.categories[c]?.score ?? 0) * 100);
        const v = (id) => lhr.audits[id]?.numericValue ?? NaN;
        row(
          `(g) Lighthouse mobile: ${name}`,
          `performance ${score('performance')}, accessibility ${score('accessibility')}; FCP ${ms(v('first-contentful-paint'))}, LCP ${ms(v('largest-contentful-paint'))}, TBT ${ms(v('total-blocking-time'))}, CLS ${v('cumulative-layout-shift').toFixed(3)}`,
          'performance and accessibility 100',
        );
      } finally {
        await chrome.kill();
      }
    }
  });
} finally {
  await browser.close().catch(() => {});
  for (const d of H.daemons) if (d.running()) await d.stop().catch(() => {});
}

console.log('\n| figure | measured | target |\n|---|---|---|');
for (const [f, m, t] of rows) console.log(`| ${f} | ${m} | ${t} |`);
