// The web app of KDC Sync in a real browser (Chromium, phone-sized), against real `kdcd`
// daemons driven and checked through the real `kdc` CLI. Selectors are the contract's data-*
// hooks and input names; styling and texts are free. Run: web/tests/run.sh
//
// Environment: KDCD, KDC, KDC_SYNTH (binaries; default target/debug/…), CHROMIUM
// (default /usr/bin/chromium), KDC_KEEP_DIRS=1 keeps the daemons' data directories.
// Screenshots of every screen go to web/tests/out/NAME.png; failures add FAIL-*.png and
// out/failures.log (daemon log tails, page URL and HTML).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import * as H from './harness.mjs';

const AREA = 'tam-giac-3';
const HH = 'T1-001';
const SEEDED = 'seeded-area';

/** @type {import('playwright-core').Browser} */
let browser;
/** The device most tests use. */
let A;
let bDevice = null;

before(async () => {
  H.requireDaemonBinaries();
  browser = await H.launchBrowser();
  A = await H.startDaemon({ name: 'may-A' });
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  for (const d of H.daemons) {
    if (d.running()) await d.stop().catch((e) => console.error(e.message));
  }
});

/**
 * One test: its own deadline (shorter than node's, so diagnostics are printed on a timeout),
 * daemon logs, page URLs/HTML and a screenshot of every open page on failure, and every browser
 * context it opened closed afterwards.
 */
function scenario(name, fn, timeout = 120_000) {
  test(name, { timeout: timeout + 30_000 }, async (t) => {
    const keep = new Set(H.openContexts);
    const firstDaemon = H.daemons.length;
    let timer;
    try {
      await Promise.race([
        fn(t),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`"${name}" did not finish within ${timeout} ms`)), timeout);
        }),
      ]);
    } catch (e) {
      // The logs of the daemons this test started, and of those still running.
      const only = H.daemons.filter((d, i) => i >= firstDaemon || d.running());
      await H.diagnostics(name, { only, print: (text) => text.split('\n').forEach((l) => t.diagnostic(l)) });
      throw e;
    } finally {
      clearTimeout(timer);
      await H.closeContextsExcept(keep);
    }
  });
}

// ---- helpers ---------------------------------------------------------------------------------

/** A phone logged in to `daemon`. */
async function phoneOn(daemon, opts = {}) {
  const phone = await H.newPhone(browser, opts);
  await H.login(phone.page, daemon);
  return phone;
}

/** Navigates and asserts an answer below 400. */
async function open(page, url) {
  const resp = await page.goto(url);
  const status = resp ? resp.status() : 0;
  if (status >= 400) {
    const text = await page.evaluate(() => document.body && document.body.innerText).catch(() => '');
    assert.fail(`GET ${url} answered ${status}: ${String(text).slice(0, 500)}`);
  }
  return resp;
}

const pathIs = (p) => (u) => decodeURIComponent(u.pathname) === p;

function ensureArea(d, id, name = `Khu ${id}`, ward = 'Phường Tân Định') {
  if (!d.kdcJson('area', 'list').some((a) => a.id === id)) {
    H.assertOk(d.kdc('area', 'create', id, '--name', name, '--ward', ward), `kdc area create ${id}`);
  }
}

function showHousehold(d, area, hh) {
  return d.kdcJson('household', 'show', area, hh);
}

function householdExists(d, area, hh) {
  const r = d.kdc('--json', 'household', 'show', area, hh);
  return r.code === 0;
}

function ensureHousehold(d, area, hh, fields = {}, opts = {}) {
  if (!householdExists(d, area, hh)) H.addHousehold(d, area, hh, fields, opts);
  else if (Object.keys(fields).length) {
    const kv = Object.entries(fields).map(([k, v]) => `${k}=${v}`);
    H.assertOk(d.kdc('household', 'set', area, hh, ...kv), `kdc household set ${area} ${hh}`);
  }
}

/** The second device, started on first use. */
async function deviceB() {
  if (!bDevice) bDevice = await H.startDaemon({ name: 'may-B' });
  return bDevice;
}

let seededStatus = null;
/** The area `seeded-area` (kdc-synth, 300 households) imported into A, once. */
async function seeded() {
  if (seededStatus) return seededStatus;
  if (!A.kdcJson('area', 'list').some((a) => a.id === SEEDED)) {
    H.requireBinary(H.KDC_SYNTH, 'kdc-synth (env KDC_SYNTH)', 'build the workspace (cargo build --workspace) or set KDC_SYNTH');
    const file = path.join(A.dir, 'seeded-area.snapshot');
    const r = spawnSync(H.KDC_SYNTH, ['--seed', '7', '--households', '300', '--id', SEEDED, '--peer', A.id().peer_id, '-o', file], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 0, `kdc-synth exited ${r.status}: ${r.stderr || r.error}`);
    assert.ok(fs.existsSync(file), `kdc-synth wrote no ${file}`);
    H.assertOk(A.kdc('snapshot', 'import', file), 'kdc snapshot import');
    await H.waitFor(() => A.kdcJson('area', 'list').some((a) => a.id === SEEDED), { what: `${SEEDED} in kdc area list` });
  }
  seededStatus = A.kdcJson('status', SEEDED);
  return seededStatus;
}

/** The first form that holds `actionSel`, or the page itself. */
async function formOf(page, actionSel) {
  const form = page.locator(`form:has(${actionSel})`).first();
  return (await form.count()) ? form : page;
}

/** What the browser would send for the form of `actionSel` (hidden inputs and submitter too). */
async function formEntries(page, actionSel) {
  return page.evaluate((sel) => {
    const btn = document.querySelector(sel);
    const form = btn && (btn.form || btn.closest('form'));
    if (!form) return null;
    let fd;
    try {
      fd = new FormData(form, btn);
    } catch {
      fd = new FormData(form);
    }
    return {
      action: form.action,
      enctype: form.enctype,
      entries: [...fd.entries()].filter(([, v]) => typeof v === 'string'),
    };
  }, actionSel);
}

function encodeForm(entries, enctype) {
  if (enctype === 'multipart/form-data') {
    const boundary = `----kdcweb${Date.now().toString(16)}`;
    const body =
      entries
        .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
        .join('') + `--${boundary}--\r\n`;
    return { body, type: `multipart/form-data; boundary=${boundary}` };
  }
  return { body: new URLSearchParams(entries).toString(), type: 'application/x-www-form-urlencoded' };
}

function setEntry(entries, name, value) {
  const out = entries.filter(([k]) => k !== name);
  out.push([name, value]);
  return out;
}

async function boardAttributes(page) {
  return page.evaluate(() => {
    const crit = {};
    const counts = {};
    for (const el of document.querySelectorAll('[data-criterion]')) {
      const id = el.getAttribute('data-criterion');
      counts[id] = (counts[id] || 0) + 1;
      if (crit[id]) continue; // the first one in document order is the board's
      crit[id] = {
        numerator: el.getAttribute('data-numerator'),
        denominator: el.getAttribute('data-denominator'),
        met: el.getAttribute('data-met'),
        applicable: el.getAttribute('data-applicable'),
        needed: el.getAttribute('data-needed'),
      };
    }
    const s = document.querySelector('[data-required-met]');
    const summary = s && {
      requiredMet: s.getAttribute('data-required-met'),
      requiredTotal: s.getAttribute('data-required-total'),
      certified: s.getAttribute('data-certified'),
    };
    return { crit, counts, summary };
  });
}

async function householdIdsOnPage(page) {
  return page.$$eval('[data-household]', (els) => [...new Set(els.map((e) => e.getAttribute('data-household')))]);
}

/** The households of a paged list: this page and every next one (rel=next), back to the first. */
async function householdIdsOnAllPages(page) {
  const start = page.url();
  const ids = await householdIdsOnPage(page);
  for (let i = 0; i < 100; i++) {
    const next = page.locator('a[rel="next"]').first();
    if (!(await next.count())) break;
    await Promise.all([page.waitForNavigation(), next.click()]);
    ids.push(...(await householdIdsOnPage(page)));
  }
  if (page.url() !== start) await page.goto(start);
  return ids;
}

const sorted = (xs) => [...xs].sort();

// ---- 1. login --------------------------------------------------------------------------------

scenario('login: the one-time URL logs in once and lands on /; a second use is refused', async () => {
  ensureArea(A, 'vung-truoc', 'Vùng trước', 'Phường 1');
  const one = await H.newPhone(browser);
  const url = await H.login(one.page, A);
  assert.match(url, /^http:\/\/[^/]+\/login\?code=/, `kdc ui url: ${url}`);
  await one.page.locator('[data-area="vung-truoc"]').first().waitFor({ state: 'attached', timeout: 10_000 });
  await H.shot(one.page, 'home');

  const two = await H.newPhone(browser);
  const resp = await two.page.goto(url);
  const status = resp ? resp.status() : 0;
  const hasError = (await two.page.locator('[data-login-error]').count()) > 0;
  assert.ok(status === 403 || hasError, `a second use of ${url} answered ${status} and shows no [data-login-error]`);
  await H.shot(two.page, 'login-refused');

  await two.page.goto(`${A.base}/`);
  await two.page.locator('[data-login-required]').first().waitFor({ state: 'attached', timeout: 10_000 });
  assert.equal(await two.page.locator('[data-area]').count(), 0, 'the refused browser sees areas on /');
  await H.shot(two.page, 'login-required');

  // The first browser stays logged in.
  await open(one.page, `${A.base}/`);
  assert.ok((await one.page.locator('[data-area="vung-truoc"]').count()) > 0, 'the logged-in browser lost its session');
});

// ---- 2. create an area -----------------------------------------------------------------------

scenario('create an area on / and land on its board', async () => {
  const { page } = await phoneOn(A);
  const action = '[data-action="create-area"]';
  const form = await formOf(page, action);
  await form.locator('input[name="id"]').first().fill(AREA);
  await form.locator('input[name="name"]').first().fill('Tam Giác 3');
  await form.locator('input[name="ward"]').first().fill('Phường Tân Định');
  await H.shot(page, 'home-create-area');
  await page.locator(action).first().click();
  await page.waitForURL(pathIs(`/a/${AREA}`), { timeout: 20_000 });
  await page.locator('[data-required-met]').first().waitFor({ state: 'attached', timeout: 10_000 });
  await H.shot(page, 'board-new-area');
  const listed = A.kdcJson('area', 'list').find((a) => a.id === AREA);
  assert.ok(listed, `kdc area list has no ${AREA}`);
  assert.equal(listed.name, 'Tam Giác 3');
  assert.equal(listed.ward, 'Phường Tân Định');
});

// ---- 3. new household ------------------------------------------------------------------------

scenario('new household: /new creates it and opens its form; an existing id opens that form', async () => {
  ensureArea(A, AREA, 'Tam Giác 3');
  const { page } = await phoneOn(A);
  await open(page, `${A.base}/a/${AREA}/new`);
  await page.locator('input[name="id"]').first().waitFor({ timeout: 10_000 });
  await H.shot(page, 'new-household');
  await page.fill('input[name="id"]', HH);
  await page.fill('input[name="group"]', 'Tổ 1');
  await page.fill('input[name="address"]', '12 Trần Quang Khải');
  await H.giveConsentIfAsked(page);
  await page.locator('[data-action="save"]').first().click();
  await page.waitForURL(pathIs(`/a/${AREA}/h/${HH}`), { timeout: 20_000 });
  await H.shot(page, 'household-form');
  const h = showHousehold(A, AREA, HH);
  assert.equal(h.group, 'Tổ 1');
  assert.equal(h.address, '12 Trần Quang Khải');

  // The same id again: its form, not a duplicate.
  await open(page, `${A.base}/a/${AREA}/new`);
  await page.fill('input[name="id"]', HH);
  await H.giveConsentIfAsked(page);
  await page.locator('[data-action="save"]').first().click();
  await page.waitForURL(pathIs(`/a/${AREA}/h/${HH}`), { timeout: 20_000 });
  await H.shot(page, 'household-existing');
  const list = A.kdcJson('household', 'list', AREA);
  assert.deepEqual(list.map((x) => x.id), [HH], `households of ${AREA}: ${JSON.stringify(list)}`);
  assert.equal(showHousehold(A, AREA, HH).group, 'Tổ 1', 'opening the existing household changed its group');
});

// ---- 3b. consent ------------------------------------------------------------------------------

scenario('consent: the notice comes before the first question; a refusal keeps only the house code', async () => {
  ensureArea(A, AREA, 'Tam Giác 3');
  const { page } = await phoneOn(A);
  await open(page, `${A.base}/a/${AREA}/new`);
  const notice = page.locator('blockquote.notice');
  assert.match(await notice.innerText(), /91\/2025\/QH15/, 'the notice names the law');
  assert.equal(await notice.getAttribute('data-notice-version'), '2026-12');
  for (const v of ['verbal', 'written', 'refused']) {
    assert.equal(await page.locator(`input[name="consent"][value="${v}"]`).count(), 1, `consent=${v} radio`);
  }
  // Saved without an answer to the consent question: nothing stored, a message beside it.
  await page.fill('input[name="id"]', 'T1-050');
  await page.fill('input[name="address"]', 'Số 50');
  await page.locator('[data-action="save"]').first().click();
  await page.locator('[data-error-for="consent"]').waitFor({ timeout: 10_000 });
  assert.equal(A.kdc('household', 'show', AREA, 'T1-050').code, 4, 'a household was stored without consent');

  // Declined at the door: the house code and group, no address.
  await page.fill('input[name="group"]', 'Tổ 5');
  await H.checkRadio(page, 'consent', 'refused');
  await page.locator('[data-action="save"]').first().click();
  await page.waitForURL(pathIs(`/a/${AREA}/h/T1-050`), { timeout: 20_000 });
  await page.locator('[data-consent="refused"]').waitFor({ timeout: 10_000 });
  await H.shot(page, 'household-declined');
  let h = showHousehold(A, AREA, 'T1-050');
  assert.equal(h.consent.state, 'refused');
  assert.equal(h.address, null, 'a refusal stored the address');
  assert.equal(h.group, 'Tổ 5');

  // The resident changes their mind: the form asks again, and consent goes with the answers.
  await H.checkRadio(page, 'consent', 'verbal');
  await page.fill('input[name="members"]', '3');
  await H.submitAndWait(page);
  h = showHousehold(A, AREA, 'T1-050');
  assert.equal(h.consent.state, 'given');
  assert.equal(h.consent.method, 'verbal');
  assert.equal(h.fields.members, 3);

  // Withdrawal, confirmed: the answers are deleted, the house code stays.
  await page.locator('[data-action="withdraw"]').click();
  await page.locator('input[name="confirm"]').first().check();
  await page.locator('[data-action="withdraw-confirm"]').click();
  await page.locator('[data-consent="withdrawn"]').waitFor({ timeout: 10_000 });
  h = showHousehold(A, AREA, 'T1-050');
  assert.equal(h.consent.state, 'withdrawn');
  assert.deepEqual(h.fields, {});
});

scenario('erasure: the head erases a household on request; the team page shows which devices hold the new epoch', async () => {
  const area = 'khu-xoa';
  ensureArea(A, area, 'Khu xóa');
  for (const hh of ['X-1', 'X-2']) {
    H.assertOk(A.kdc('household', 'add', area, hh, '--consent', 'verbal', '--address', `Số ${hh}`, 'members=2'), `add ${hh}`);
  }
  const { page } = await phoneOn(A);
  await open(page, `${A.base}/a/${area}/h/X-1`);
  // Asked for the confirmation before anything goes.
  await page.locator('[data-action="erase"]').click();
  await H.shot(page, 'household-erase');
  await page.locator('[data-erase] input[name="confirm"]').check();
  await page.locator('[data-action="erase-confirm"]').click();
  await page.waitForURL(pathIs(`/a/${area}/team`), { timeout: 20_000 });
  await page.locator('[data-erased="X-1"]').waitFor({ timeout: 10_000 });
  const section = page.locator('[data-erasure-epoch="1"]');
  await section.waitFor({ timeout: 10_000 });
  assert.equal(await section.getAttribute('data-erasure-pending'), '0', 'this device alone, and it adopted');
  assert.equal(await page.locator(`[data-epoch-member="${A.id().peer_id}"][data-adopted="true"]`).count(), 1);
  await H.shot(page, 'team-erasure');
  assert.equal(householdExists(A, area, 'X-1'), false, 'the erased household is still there');
  assert.equal(householdExists(A, area, 'X-2'), true, 'another household went too');
  const status = A.kdcJson('erasure', 'status', area);
  assert.equal(status.epoch, 1);
  assert.deepEqual(status.erased, ['X-1']);
  // Its page is gone; the list does not show it.
  await open(page, `${A.base}/a/${area}/worklist`);
  assert.equal(await page.locator('[data-household="X-1"]').count(), 0);
});

scenario('an area on the profile from before consent: its head moves it to the new profile from the board', async () => {
  const toml = fs.readFileSync(new URL('../../crdt-model/profiles/kdc-so-v1.toml', import.meta.url), 'utf8');
  const start = toml.indexOf('\n[consent]\n');
  const end = toml.indexOf('\n[[fields]]', start);
  const v1 = (toml.slice(0, start) + toml.slice(end)).replace('version = 2', 'version = 1');
  const file = path.join(A.dir, 'v1.toml');
  fs.writeFileSync(file, v1);
  const made = A.kdc('area', 'create', 'khu-cu', '--name', 'Khu cũ', '--ward', 'Phường Tân Định', '--profile', file);
  assert.equal(made.code, 0, made.stderr);
  assert.equal(A.kdc('household', 'add', 'khu-cu', 'C-1', 'members=3').code, 0, 'the old profile needs no consent');
  const { page } = await phoneOn(A);
  await open(page, `${A.base}/a/khu-cu`);
  const offer = page.locator('[data-profile-upgrade="2"]');
  await offer.waitFor({ timeout: 10_000 });
  await H.shot(page, 'board-profile-upgrade');
  await page.locator('[data-action="upgrade-profile"]').click();
  await page.waitForURL(pathIs('/a/khu-cu'), { timeout: 20_000 });
  assert.equal(await page.locator('[data-profile-upgrade]').count(), 0, 'the offer stays after the upgrade');
  const r = A.kdc('household', 'set', 'khu-cu', 'C-1', 'members=4');
  assert.equal(r.code, 2, 'a change without consent was taken after the upgrade');
  assert.match(r.stderr, /consent/);
});

// ---- 4. record through the form --------------------------------------------------------------

scenario('record a household through the form; business questions follow the business answer', async () => {
  ensureArea(A, AREA, 'Tam Giác 3');
  ensureHousehold(A, AREA, HH, {}, { group: 'Tổ 1' });
  const { page } = await phoneOn(A);
  const formUrl = `${A.base}/a/${AREA}/h/${HH}`;
  await open(page, formUrl);
  await H.giveConsentIfAsked(page);
  await page.fill('input[name="members"]', '4');
  await page.fill('input[name="members_14plus"]', '3');
  await page.fill('input[name="smartphone_users"]', '3');
  await page.fill('input[name="eid_accounts"]', '2');
  await page.fill('input[name="payment_accounts"]', '3');
  await H.checkRadio(page, 'internet', 'yes');
  await H.checkRadio(page, 'business', 'no');
  await H.checkRadio(page, 'digital_signature', 'unknown');
  const saved = await H.submitAndWait(page);
  assert.match(saved.savedAt, H.RFC3339, `data-saved-at="${saved.savedAt}" is not an RFC 3339 time`);
  await H.shot(page, 'household-saved');

  const f = showHousehold(A, AREA, HH).fields;
  assert.equal(f.members, 4);
  assert.equal(f.members_14plus, 3);
  assert.equal(f.smartphone_users, 3);
  assert.equal(f.eid_accounts, 2);
  assert.equal(f.payment_accounts, 3);
  assert.equal(f.internet, 'yes');
  assert.equal(f.business, 'no');
  assert.equal(f.digital_signature, 'unknown');

  // A fresh load shows what is stored.
  await open(page, formUrl);
  assert.equal(await page.inputValue('input[name="members"]'), '4');
  assert.equal(await page.inputValue('input[name="eid_accounts"]'), '2');
  assert.ok(await page.isChecked('input[name="internet"][value="yes"]'), 'internet=yes is not checked after reload');
  assert.ok(await page.isChecked('input[name="business"][value="no"]'), 'business=no is not checked after reload');

  // Business-only questions.
  assert.equal(await H.questionVisible(page, 'ecommerce'), false, 'ecommerce is shown while business=no');
  assert.equal(await H.questionVisible(page, 'qr_payment'), false, 'qr_payment is shown while business=no');
  await H.checkRadio(page, 'business', 'yes');
  await H.waitFor(async () => (await H.questionVisible(page, 'ecommerce')) && (await H.questionVisible(page, 'qr_payment')), {
    timeout: 5_000,
    what: 'ecommerce and qr_payment to be shown after business=yes',
  });
  await H.shot(page, 'household-business');
  await H.checkRadio(page, 'ecommerce', 'yes');
  const saved2 = await H.submitAndWait(page);
  assert.match(saved2.savedAt, H.RFC3339);
  const g = showHousehold(A, AREA, HH).fields;
  assert.equal(g.business, 'yes');
  assert.equal(g.ecommerce, 'yes');
  assert.equal(g.members, 4, 'saving the business answers changed members');
});

// ---- 5. a refused value ----------------------------------------------------------------------

scenario('a refused value names the field and its range, and nothing is written', async () => {
  ensureArea(A, AREA, 'Tam Giác 3');
  ensureHousehold(A, AREA, HH, {}, { group: 'Tổ 1' });
  if (showHousehold(A, AREA, HH).fields.members !== 4) ensureHousehold(A, AREA, HH, { members: 4, members_14plus: 3 });
  const beforeFields = showHousehold(A, AREA, HH).fields;
  const { page } = await phoneOn(A);
  const formUrl = `${A.base}/a/${AREA}/h/${HH}`;

  for (const [field, value, range, screen] of [
    ['members_14plus', '9', /\b4\b/, 'household-error'],
    ['members', '99', /\b60\b/, 'household-error-members'],
  ]) {
    await open(page, formUrl);
    await page.fill(`input[name="${field}"]`, value);
    const res = await H.submitAndWait(page, { expectError: true });
    assert.ok(res.errors, `saving ${field}=${value} was accepted (data-saved-at=${res.savedAt})`);
    const el = page.locator(`[data-error-for="${field}"]`).first();
    await el.waitFor({ state: 'attached', timeout: 5_000 });
    const msg = (await el.textContent()).trim();
    assert.ok(msg.length > 0, `[data-error-for=${field}] is empty`);
    assert.match(msg, range, `the message for ${field}=${value} does not name the allowed range: "${msg}"`);
    await H.shot(page, screen);
    assert.deepEqual(showHousehold(A, AREA, HH).fields, beforeFields, `a refused ${field}=${value} changed the stored fields`);
  }
});

// ---- 6. board = kdc status -------------------------------------------------------------------

scenario('with JavaScript off: create a household, record it, a refusal, the board', async () => {
  const phone = await H.newPhone(browser, { javaScriptEnabled: false });
  const { page } = phone;
  await H.login(page, A);
  await open(page, `${A.base}/a/${AREA}/new`);
  await page.fill('input[name="id"]', 'NOJS-1');
  await page.fill('input[name="group"]', 'Tổ 2');
  await H.giveConsentIfAsked(page);
  await Promise.all([page.waitForURL(/\/a\/[^/]+\/h\/NOJS-1/), page.click('[data-action="save"]')]);
  await H.giveConsentIfAsked(page);
  await page.fill('input[name="members"]', '3');
  await page.fill('input[name="members_14plus"]', '2');
  // Tapped on their labels as a person would (a forced click may land on the sticky save bar).
  await page.locator('label:has(input[name="internet"][value="yes"])').click();
  await page.locator('label:has(input[name="business"][value="no"])').click();
  assert.ok(await page.isChecked('input[name="internet"][value="yes"]'), 'internet=yes not checked');
  // Without the script there is no stepper and every question is a plain form input.
  assert.equal(await page.locator('button[data-step]:visible').count(), 0, 'steppers need the script');
  await Promise.all([page.waitForURL(/saved=/), page.click('[data-action="save"]')]);
  await page.waitForSelector('[data-saved-at]');
  const f = showHousehold(A, AREA, 'NOJS-1').fields;
  assert.deepEqual([f.members, f.members_14plus, f.internet, f.business], [3, 2, 'yes', 'no']);
  await page.fill('input[name="members"]', '61');
  await Promise.all([page.waitForLoadState('load'), page.click('[data-action="save"]')]);
  await page.waitForSelector('[data-error-for="members"]');
  assert.equal(showHousehold(A, AREA, 'NOJS-1').fields.members, 3, 'a refused value is not stored');
  await H.shot(page, 'nojs-household-error');
  await open(page, `${A.base}/a/${AREA}`);
  assert.ok(await page.locator('[data-criterion="internet"]').count(), 'the board renders without the script');
});

scenario('the board of a seeded area shows exactly what kdc status computes', async () => {
  const status = await seeded();
  const { page } = await phoneOn(A);
  await open(page, `${A.base}/a/${SEEDED}`);
  await page.locator('[data-required-met]').first().waitFor({ state: 'attached', timeout: 15_000 });
  await H.shot(page, 'board');
  const { crit, counts, summary } = await boardAttributes(page);

  const problems = [];
  const notes = [];
  for (const c of status.criteria) {
    const b = crit[c.id];
    if (!b) {
      problems.push(`${c.id}: no [data-criterion="${c.id}"] on the board`);
      continue;
    }
    if (counts[c.id] > 1) notes.push(`${c.id}: ${counts[c.id]} elements, compared the first`);
    const want = {
      numerator: String(c.numerator),
      denominator: String(c.denominator),
      met: String(c.met),
      applicable: String(c.applicable),
    };
    for (const k of Object.keys(want)) {
      if (b[k] !== want[k]) problems.push(`${c.id}: data-${k}="${b[k]}", kdc status says ${want[k]}`);
    }
    if ('needed' in c) {
      const wantNeeded = c.needed == null ? null : String(c.needed);
      if (b.needed !== wantNeeded) problems.push(`${c.id}: data-needed=${JSON.stringify(b.needed)}, kdc status needed=${JSON.stringify(c.needed)}`);
    } else if (c.met || !c.applicable) {
      if (b.needed !== null) problems.push(`${c.id}: data-needed="${b.needed}" on a met or not applicable criterion`);
    } else if (!/^(-1|\d+)$/.test(b.needed || '')) {
      problems.push(`${c.id}: data-needed=${JSON.stringify(b.needed)} on an unmet criterion`);
    }
  }
  const extra = Object.keys(crit).filter((id) => !status.criteria.some((c) => c.id === id));
  if (extra.length) problems.push(`criteria on the board that kdc status does not have: ${extra.join(', ')}`);

  const required = status.criteria.filter((c) => c.required);
  const reqMet = status.required_met ?? required.filter((c) => c.met).length;
  const reqTotal = status.required_total ?? required.length;
  if (!summary) problems.push('no [data-required-met] element');
  else {
    if (summary.requiredMet !== String(reqMet)) problems.push(`data-required-met="${summary.requiredMet}", kdc: ${reqMet}`);
    if (summary.requiredTotal !== String(reqTotal)) problems.push(`data-required-total="${summary.requiredTotal}", kdc: ${reqTotal}`);
    if (summary.certified !== String(status.certified)) problems.push(`data-certified="${summary.certified}", kdc: ${status.certified}`);
  }
  if (notes.length) console.log(`board notes: ${notes.join('; ')}`);
  assert.deepEqual(problems, [], `board vs kdc --json status ${SEEDED}:\n  ${problems.join('\n  ')}`);
});

// ---- 7. worklist = kdc household list --missing ----------------------------------------------

scenario('the worklist shows exactly the households kdc lists as missing a criterion', async () => {
  const status = await seeded();
  const missingOf = (criterion, group) =>
    A.kdcJson('household', 'list', SEEDED, '--missing', criterion, ...(group != null ? ['--group', group] : [])).filter(
      (h) => !h.archived,
    );
  let criterion = 'e_citizen';
  let list = missingOf(criterion);
  if (!list.length) {
    // Not expected with the seeded data; keep the test meaningful anyway.
    const other = status.criteria.find((c) => missingOf(c.id).length);
    assert.ok(other, `no household of ${SEEDED} misses any criterion`);
    console.log(`no household misses e_citizen; using ${other.id}`);
    criterion = other.id;
    list = missingOf(criterion);
  }
  const { page } = await phoneOn(A);
  await open(page, `${A.base}/a/${SEEDED}/worklist?missing=${criterion}`);
  await page.locator('[data-household]').first().waitFor({ state: 'attached', timeout: 15_000 });
  await H.shot(page, 'worklist');
  assert.deepEqual(sorted(await householdIdsOnAllPages(page)), sorted(list.map((h) => h.id)), `worklist ?missing=${criterion}`);

  const groups = [...new Set(list.map((h) => h.group).filter((g) => g))];
  assert.ok(groups.length > 0, 'the households of the worklist have no group');
  const group = groups[Math.floor(groups.length / 2)];
  const inGroup = missingOf(criterion, group);
  await open(page, `${A.base}/a/${SEEDED}/worklist?missing=${criterion}&group=${encodeURIComponent(group)}`);
  if (inGroup.length) await page.locator('[data-household]').first().waitFor({ state: 'attached', timeout: 15_000 });
  await H.shot(page, 'worklist-group');
  assert.deepEqual(
    sorted(await householdIdsOnAllPages(page)),
    sorted(inGroup.map((h) => h.id)),
    `worklist ?missing=${criterion}&group=${group}`,
  );

  // The first household's link opens its form.
  const link = page.locator('a[data-household], [data-household] a[href]').first();
  const hh = await link.evaluate((a) => a.closest('[data-household]').getAttribute('data-household'));
  await link.click();
  await page.waitForURL(pathIs(`/a/${SEEDED}/h/${hh}`), { timeout: 15_000 });
  await H.shot(page, 'worklist-household');
});

// ---- 8. live update across devices -----------------------------------------------------------

scenario('an edit on one device shows on another device\'s open board without a reload', async () => {
  const B = await deviceB();
  ensureArea(A, 'live', 'Live', 'W');
  await H.inviteAndJoin(A, B, 'live');

  const onB = await phoneOn(B);
  await open(onB.page, `${B.base}/a/live`);
  const crit = onB.page.locator('[data-criterion="internet"]').first();
  await crit.waitFor({ state: 'attached', timeout: 15_000 });
  await onB.page.evaluate(() => {
    window.__marker = 1;
  });
  await H.shot(onB.page, 'live-board-b-before');

  const onA = await phoneOn(A);
  await open(onA.page, `${A.base}/a/live/new`);
  await onA.page.fill('input[name="id"]', 'L-001');
  await onA.page.fill('input[name="group"]', 'Tổ 1');
  await H.giveConsentIfAsked(onA.page);
  await onA.page.locator('[data-action="save"]').first().click();
  await onA.page.waitForURL(pathIs('/a/live/h/L-001'), { timeout: 20_000 });
  await H.giveConsentIfAsked(onA.page);
  await onA.page.fill('input[name="members"]', '2');
  await onA.page.fill('input[name="members_14plus"]', '2');
  await onA.page.fill('input[name="smartphone_users"]', '2');
  await onA.page.fill('input[name="eid_accounts"]', '2');
  await onA.page.fill('input[name="payment_accounts"]', '2');
  await H.checkRadio(onA.page, 'internet', 'yes');
  await H.checkRadio(onA.page, 'business', 'no');

  const seen = onB.page.waitForFunction(
    () => {
      const e = document.querySelector('[data-criterion="internet"]');
      return !!e && e.getAttribute('data-denominator') === '1' && e.getAttribute('data-numerator') === '1';
    },
    null,
    { timeout: 15_000, polling: 'raf' },
  );
  let tSeen = null;
  seen.then(() => (tSeen = performance.now())).catch(() => {}); // awaited below
  const t0 = performance.now();
  await H.submitAndWait(onA.page);
  const tSaved = performance.now();
  await seen.catch(async (e) => {
    const attrs = await crit.evaluate((el) => ({ ...el.dataset })).catch(() => null);
    throw new Error(`B's board did not show internet 1/1 within 15 s of the save on A (now ${JSON.stringify(attrs)}): ${e.message}`);
  });
  await H.waitFor(() => tSeen !== null, { timeout: 1_000, what: 'the time B saw the change' });
  console.log(
    `live update: save on A took ${(tSaved - t0).toFixed(0)} ms; visible on B's open board ${(tSeen - t0).toFixed(0)} ms after the tap`,
  );
  await H.shot(onB.page, 'live-board-b');
  assert.equal(await onB.page.evaluate(() => window.__marker), 1, "B's board reloaded instead of updating in place");
});

// ---- 9. a conflict resolved from the form ----------------------------------------------------

scenario(
  'a conflicting edit from two partitioned devices is shown and resolved from the household form',
  async () => {
    const cA = await H.startDaemon({ name: 'conf-A' });
    const cB = await H.startDaemon({ name: 'conf-B', peers: [cA.dialAddr()] });
    H.assertOk(cA.kdc('area', 'create', 'conf', '--name', 'Conflicts', '--ward', 'W'), 'kdc area create conf');
    await H.inviteAndJoin(cA, cB, 'conf');
    H.addHousehold(cA, 'conf', 'C-1', { members: 3 }, { group: 'Tổ 1' });
    await H.waitFor(() => showHousehold(cB, 'conf', 'C-1').fields.members === 3, {
      timeout: 60_000,
      interval: 200,
      what: 'C-1 with members=3 on B',
    });

    // Partition: each side changes members while the other is down.
    await cB.stop();
    await cA.stop();
    await cA.restart({ peers: [] });
    H.assertOk(cA.kdc('household', 'set', 'conf', 'C-1', 'members=4'), 'kdc household set members=4 on A');
    await cA.stop();
    await cB.restart({ peers: [] });
    H.assertOk(cB.kdc('household', 'set', 'conf', 'C-1', 'members=5'), 'kdc household set members=5 on B');
    await cA.restart({ peers: [] });
    H.assertOk(cB.kdc('peer', 'add', cA.dialAddr()), 'kdc peer add A on B');
    const conflicts = await H.waitFor(
      () => {
        const c = cA.kdcJson('conflicts', 'conf');
        return c.length ? c : null;
      },
      { timeout: 60_000, interval: 250, what: 'kdc conflicts conf on A to be non-empty' },
    );
    console.log(`conflicts on A: ${JSON.stringify(conflicts)}`);

    const { page } = await phoneOn(cA);
    await open(page, `${cA.base}/a/conf/conflicts`);
    await page.locator('[data-conflict="C-1/members"]').first().waitFor({ state: 'attached', timeout: 15_000 });
    await H.shot(page, 'conflicts');

    // Accessibility of both conflict screens while there is a conflict to show.
    const ax = await phoneOn(cA, { bypassCSP: true });
    await open(ax.page, `${cA.base}/a/conf/conflicts`);
    await H.axeCheck(ax.page, { label: 'conflicts (with a conflict)' });
    await open(ax.page, `${cA.base}/a/conf/h/C-1`);
    await H.axeCheck(ax.page, { label: 'household form (with a conflict)' });

    await open(page, `${cA.base}/a/conf/h/C-1`);
    // With the conflict tab present, no tab is cut or pushed off a 360 px screen.
    const tabs = await page.locator('nav.tabs a').evaluateAll((els) => els.map((e) => [e.textContent.trim(), e.getBoundingClientRect().right]));
    assert.ok(tabs.some(([t]) => /Xung đột/.test(t)), `a conflicts tab: ${JSON.stringify(tabs)}`);
    assert.ok(tabs.every(([, r]) => r <= 360), `every tab within 360 px: ${JSON.stringify(tabs)}`);
    const box = page.locator('[data-conflict="C-1/members"]').first();
    await box.waitFor({ state: 'attached', timeout: 15_000 });
    await H.shot(page, 'household-conflict');
    // A second volunteer has the same form open and is typing.
    const other = (await phoneOn(cA)).page;
    await open(other, `${cA.base}/a/conf/h/C-1`);
    await other.locator('[data-conflict="C-1/members"]').first().waitFor({ state: 'attached', timeout: 15_000 });
    await other.fill('input[name="members_14plus"]', '2');
    const choice = box.locator('[data-action="resolve"][value="5"]').first();
    assert.ok(await choice.count(), 'no [data-action=resolve][value="5"] inside [data-conflict="C-1/members"]');
    await choice.click();
    await H.waitFor(
      () => cA.kdcJson('conflicts', 'conf').length === 0 && showHousehold(cA, 'conf', 'C-1').fields.members === 5,
      { timeout: 20_000, interval: 200, what: 'no conflicts and members=5 on A after resolving' },
    );
    // The choice made elsewhere disappears from the open form; what was typed there stays.
    await other.locator('[data-conflict="C-1/members"]').waitFor({ state: 'detached', timeout: 15_000 });
    assert.equal(await other.inputValue('input[name="members_14plus"]'), '2', 'the typed answer stays');
    await page.locator('[data-conflict="C-1/members"]').waitFor({ state: 'detached', timeout: 15_000 }).catch(async () => {
      await page.reload();
    });
    await H.shot(page, 'household-resolved');
  },
  240_000,
);

// ---- 10. security ----------------------------------------------------------------------------

scenario('security: foreign Host and foreign Origin are refused; CSP and cookie flags', async () => {
  ensureArea(A, AREA, 'Tam Giác 3');
  const { context, page } = await phoneOn(A);
  const cookie = await H.cookieHeader(context, A.base);
  assert.ok(cookie, 'no cookie after login');

  // Host
  const evilHost = await H.httpRequest(`${A.base}/`, { headers: { host: 'evil.example', cookie } });
  assert.equal(evilHost.status, 403, `GET / with Host: evil.example answered ${evilHost.status}`);
  const local = await H.httpRequest(`${A.base}/`, { headers: { host: `localhost:${A.port}`, cookie } });
  assert.notEqual(local.status, 403, 'GET / with Host: localhost:PORT is refused');

  // Origin on a state-changing request: create an area on /.
  await open(page, `${A.base}/`);
  const home = await formEntries(page, '[data-action="create-area"]');
  assert.ok(home, 'no form around [data-action=create-area] on /');
  const post = async (entries, form, origin) => {
    const { body, type } = encodeForm(entries, form.enctype);
    return H.httpRequest(form.action, {
      method: 'POST',
      body,
      headers: { cookie, origin, 'content-type': type, host: A.addr },
    });
  };
  let entries = setEntry(setEntry(setEntry(home.entries, 'id', 'evil-area'), 'name', 'Evil'), 'ward', 'W');
  const evil = await post(entries, home, 'http://evil.example');
  assert.equal(evil.status, 403, `POST ${home.action} with Origin: http://evil.example answered ${evil.status}`);
  assert.ok(!A.kdcJson('area', 'list').some((a) => a.id === 'evil-area'), 'a foreign-Origin POST created an area');

  // …and a new household.
  await open(page, `${A.base}/a/${AREA}/new`);
  const nh = await formEntries(page, '[data-action="save"]');
  assert.ok(nh, `no form around [data-action=save] on /a/${AREA}/new`);
  let hhEntries = setEntry(nh.entries, 'id', 'EVIL-1');
  if (nh.entries.some(([k]) => k === 'consent') || (await page.locator('input[name="consent"]').count())) {
    hhEntries = setEntry(hhEntries, 'consent', 'verbal');
  }
  const evil2 = await post(hhEntries, nh, 'http://evil.example');
  assert.equal(evil2.status, 403, `POST ${nh.action} with Origin: http://evil.example answered ${evil2.status}`);
  assert.ok(!householdExists(A, AREA, 'EVIL-1'), 'a foreign-Origin POST created a household');

  // The same POST from the app's own origin is not refused.
  entries = setEntry(entries, 'id', 'same-origin-area');
  const ok = await post(entries, home, A.base);
  assert.notEqual(ok.status, 403, `POST ${home.action} with Origin: ${A.base} answered 403`);
  console.log(
    `same-origin POST ${home.action}: ${ok.status}; area created: ${A.kdcJson('area', 'list').some((a) => a.id === 'same-origin-area')}`,
  );

  // CSP
  for (const p of ['/', `/a/${AREA}`]) {
    const r = await H.httpRequest(`${A.base}${p}`, { headers: { cookie } });
    const csp = r.headers['content-security-policy'] || '';
    assert.match(csp, /default-src '(none|self)'/, `${p}: Content-Security-Policy is ${JSON.stringify(csp)}`);
  }

  // Cookie flags
  const cookies = await context.cookies(A.base);
  const session = cookies.filter((c) => !/lang|locale/i.test(c.name));
  assert.ok(session.length > 0, `no session cookie: ${JSON.stringify(cookies)}`);
  for (const c of session) {
    assert.equal(c.httpOnly, true, `cookie ${c.name} is not HttpOnly`);
    assert.equal(c.sameSite, 'Strict', `cookie ${c.name} is SameSite=${c.sameSite}`);
  }
});

// ---- 11. LAN mode ----------------------------------------------------------------------------

scenario('LAN mode: --ui-listen needs a login; kdc ui --lan logs in; --revoke logs out', async () => {
  const port = await H.freePort('127.0.0.2');
  const lanAddr = `127.0.0.2:${port}`;
  const L = await H.startDaemon({ name: 'may-lan', uiListen: lanAddr });
  const lan = `http://${lanAddr}`;
  H.assertOk(L.kdc('area', 'create', 'lan-area', '--name', 'LAN', '--ward', 'W'), 'kdc area create lan-area');
  H.addHousehold(L, 'lan-area', 'N-1', { members: 2, members_14plus: 2, internet: 'yes' }, { group: 'Tổ 1' });

  const { page } = await H.newPhone(browser);
  await page.goto(`${lan}/`);
  await page.locator('[data-login-required]').first().waitFor({ state: 'attached', timeout: 10_000 });
  assert.equal(await page.locator('[data-area]').count(), 0, 'the LAN address shows areas without a login');
  await H.shot(page, 'lan-login-required');
  await page.goto(`${lan}/a/lan-area`);
  assert.equal(await page.locator('[data-criterion]').count(), 0, 'the LAN address shows a board without a login');
  assert.ok((await page.locator('[data-login-required]').count()) > 0, `${lan}/a/lan-area shows no [data-login-required]`);

  const { url } = L.kdcJson('ui', '--lan', '--no-open');
  console.log(`kdc ui --lan url: ${url}`);
  assert.match(url, /\/login\?code=/, `kdc ui --lan url: ${url}`);
  if (new URL(url).host !== lanAddr) console.log(`note: the LAN url's host is not ${lanAddr}; replaced`);
  await H.login(page, L, { lan: true, host: lanAddr });
  await page.locator('[data-area="lan-area"]').first().waitFor({ state: 'attached', timeout: 10_000 });
  await H.shot(page, 'lan-home');

  const sessions = L.kdcJson('ui', '--sessions');
  assert.ok(Array.isArray(sessions) && sessions.length >= 1, `kdc ui --sessions: ${JSON.stringify(sessions)}`);
  for (const s of sessions) {
    assert.ok(s.id != null, `a session without id: ${JSON.stringify(s)}`);
    H.assertOk(L.kdc('ui', '--revoke', String(s.id)), `kdc ui --revoke ${s.id}`);
  }
  await page.reload();
  await page.locator('[data-login-required]').first().waitFor({ state: 'attached', timeout: 10_000 });
  assert.equal(await page.locator('[data-area]').count(), 0, 'a revoked session still sees areas');
  await H.shot(page, 'lan-revoked');
  await L.stop();
});

// ---- 12. team and invite ---------------------------------------------------------------------

scenario('team screen lists the roster; an invite QR/link lets device B join in its browser', async () => {
  ensureArea(A, AREA, 'Tam Giác 3');
  const roster = A.kdcJson('member', 'list', AREA).filter((m) => !m.removed);
  const { page } = await phoneOn(A);
  await open(page, `${A.base}/a/${AREA}/team`);
  await page.locator('[data-member]').first().waitFor({ state: 'attached', timeout: 15_000 });
  await H.shot(page, 'team');
  const shown = await page.$$eval('[data-member]', (els) => els.map((e) => e.getAttribute('data-member')));
  assert.deepEqual(sorted(shown), sorted(roster.map((m) => m.peer_id)), `[data-member] vs kdc member list ${AREA}`);

  // "Not syncing?" opens the connection check: the same advice as `kdc doctor AREA`.
  await page.locator('[data-action="doctor"]').first().click();
  await page.waitForURL(pathIs(`/a/${AREA}/doctor`), { timeout: 15_000 });
  // The two reads are a moment apart (a peer may connect in between): compare up to 3 times.
  let advice = [];
  let cli = [];
  for (let i = 0; i < 3; i++) {
    if (i > 0) await open(page, `${A.base}/a/${AREA}/doctor`);
    advice = await page.$$eval('[data-advice]', (els) => els.map((e) => e.getAttribute('data-advice')));
    cli = A.kdcJson('doctor', AREA).advice.map((a) => a.code);
    if (JSON.stringify(advice) === JSON.stringify(cli)) break;
  }
  assert.ok(advice.length > 0, 'no [data-advice] on the connection check');
  assert.deepEqual(advice, cli, '[data-advice] vs kdc doctor');
  await H.shot(page, 'doctor');
  await open(page, `${A.base}/a/${AREA}/team`);

  await page.locator('[data-action="invite"]').first().click();
  const tokenEl = page.locator('[data-invite-token]').first();
  await tokenEl.waitFor({ state: 'attached', timeout: 15_000 });
  const token = (await tokenEl.textContent()).trim();
  assert.match(token, /^kdc1-/, `[data-invite-token] holds "${token}"`);
  assert.ok((await page.locator('[data-invite-qr] svg').count()) > 0, 'no <svg> inside [data-invite-qr]');
  const href = await page.locator('[data-invite-link]').first().getAttribute('href');
  assert.ok(href && href.includes('/join?token=kdc1-'), `[data-invite-link] href="${href}"`);
  assert.equal(new URL(href, A.base).searchParams.get('token'), token, 'the invite link carries another token');
  await H.shot(page, 'team-invite');

  const B = await deviceB();
  const onB = await phoneOn(B);
  await open(onB.page, `${B.base}/join?token=${encodeURIComponent(token)}`);
  // The token field may be an <input> or a <textarea> (a token is long).
  const tokenField = onB.page.locator('input[name="token"], textarea[name="token"]').first();
  assert.equal((await tokenField.inputValue()).trim(), token, 'the join screen did not prefill the token');
  await H.shot(onB.page, 'join');
  await onB.page.locator('[data-action="join"]').first().click();
  await onB.page.waitForURL(pathIs(`/a/${AREA}`), { timeout: 60_000 });
  await onB.page.locator('[data-criterion]').first().waitFor({ state: 'attached', timeout: 30_000 });
  await H.shot(onB.page, 'board-joined');
  assert.ok(B.kdcJson('area', 'list').some((a) => a.id === AREA), `B does not list ${AREA} after joining in the browser`);
}, 150_000);

scenario('relays: the head adds and removes a relay on the team page, a bad one is refused at its field; each member shows how it is connected', async () => {
  const area = 'relay-area';
  ensureArea(A, area, 'Khu xa');
  const B = await deviceB();
  if (!B.kdcJson('area', 'list').some((a) => a.id === area)) {
    const token = A.kdcJson('invite', area).token;
    H.assertOk(B.kdc('join', token), 'kdc join');
  }
  const bId = B.id().peer_id;
  await H.waitFor(() => A.kdcJson('peers').some((p) => p.peer_id === bId && p.connected), { what: 'B connected to A' });
  const { page } = await phoneOn(A);
  await open(page, `${A.base}/a/${area}/team`);
  await page.locator('#relays').waitFor({ state: 'attached', timeout: 15_000 });
  assert.equal(await page.locator('[data-relay]').count(), 0, 'a relay listed before any was added');

  // No /p2p/: refused next to the field, what was typed kept, nothing stored.
  const bad = '/ip4/203.0.113.7/tcp/4001';
  await page.fill('input[name="relay"]', bad);
  await page.locator('[data-action="add-relay"]').click();
  const err = page.locator('[data-error-for="relay"]');
  await err.waitFor({ state: 'visible', timeout: 15_000 });
  assert.match(await err.textContent(), /\/p2p\//, 'the refusal does not say what is missing');
  assert.equal(await page.inputValue('input[name="relay"]'), bad, 'the typed address was lost');
  assert.deepEqual(A.kdcJson('area', 'relay', 'list', area), [], 'a refused relay was stored');
  await H.shot(page, 'team-relay-refused');

  // A good one (nothing answers there): listed, with its state as icon and text.
  const good = '/ip4/127.0.0.1/tcp/9/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN';
  await page.fill('input[name="relay"]', good);
  await page.locator('[data-action="add-relay"]').click();
  const row = page.locator(`[data-relay="${good}"]`);
  await row.waitFor({ state: 'attached', timeout: 15_000 });
  assert.deepEqual(A.kdcJson('area', 'relay', 'list', area).map((r) => r.addr), [good]);
  assert.ok(['yes', 'no', 'unknown'].includes(await row.getAttribute('data-reachable')));
  assert.match(await row.innerText(), /[✓✗…]/, 'the relay state has no icon');
  // Every member learns it by sync.
  await H.waitFor(() => B.kdcJson('area', 'relay', 'list', area).some((r) => r.addr === good), { what: 'the relay on B' });

  // Each connected member says how: the same as `kdc --json peers`.
  const member = page.locator(`[data-member="${bId}"] [data-via]`);
  await member.waitFor({ state: 'attached', timeout: 15_000 });
  const cliVia = A.kdcJson('peers').find((p) => p.peer_id === bId).via;
  assert.equal(await member.getAttribute('data-via'), cliVia, '[data-via] vs kdc --json peers');
  assert.equal(cliVia, 'direct', 'two devices on one machine are connected directly');
  assert.deepEqual(await H.smallTapTargets(page), [], 'tap targets under 44 px on the team page');
  await H.shot(page, 'team-relays');

  // B (a member, not the head) sees the relay but no form to change it.
  const onB = await phoneOn(B);
  await open(onB.page, `${B.base}/a/${area}/team`);
  await onB.page.locator(`[data-relay="${good}"]`).waitFor({ state: 'attached', timeout: 15_000 });
  assert.equal(await onB.page.locator('[data-action="add-relay"]').count(), 0, 'a member is offered to add relays');

  // The head removes it, after confirming.
  await row.locator('[data-action="remove-relay"]').click();
  await row.locator('input[name="confirm"]').check();
  await row.locator('[data-action="remove-relay-confirm"]').click();
  await page.locator(`[data-relay="${good}"]`).waitFor({ state: 'detached', timeout: 15_000 });
  assert.deepEqual(A.kdcJson('area', 'relay', 'list', area), []);
}, 150_000);

scenario('update: a teammate offers a newer release on the team page; one tap fetches, checks and installs it, and the device comes back on it', async () => {
  const os = await import('node:os');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kdc-web-update-'));
  const signer = path.join(path.dirname(H.KDC), 'kdc-release-sign');
  H.requireBinary(signer, 'kdc-release-sign', 'build the workspace (cargo build --workspace)');
  const run = (cmd, args) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  // A release key of the test's own (debug builds also take KDC_TEST_RELEASE_KEY's).
  const pk = run(signer, ['keygen', path.join(work, 'key')]).trim();
  const env = { KDC_TEST_RELEASE_KEY: pk };
  const B = await H.startDaemon({ name: 'may-Binh', env });
  const { current, target } = B.kdcJson('update', '--check');
  // The archive: this run's kdcd and kdc, debug information stripped, as scripts/dist lays it out.
  const folder = `kdc-sync-${current}-${target}`;
  fs.mkdirSync(path.join(work, folder));
  for (const b of [H.KDCD, H.KDC]) {
    const out = path.join(work, folder, path.basename(b));
    const r = spawnSync('strip', ['--strip-debug', '-o', out, b]);
    if (r.status !== 0) fs.copyFileSync(b, out);
  }
  const archive = path.join(work, `${folder}.tar.gz`);
  run('tar', ['-C', work, '-czf', archive, folder]);
  run(signer, ['sign', path.join(work, 'key', 'kdc-release.key'), archive, current, target]);
  H.assertOk(B.kdc('update', '--import', archive), 'kdc update --import');

  // The device on an older release runs from a folder of its own (the update replaces its files).
  const binDir = path.join(work, 'bin');
  fs.mkdirSync(binDir);
  const kdcd = path.join(binDir, 'kdcd');
  fs.copyFileSync(H.KDCD, kdcd);
  fs.chmodSync(kdcd, 0o755);
  const port = await H.freePort();
  const U = await H.startDaemon({ name: 'may-Uyen', env: { ...env, KDC_TEST_VERSION: '0.1.9' }, bin: kdcd, api: `127.0.0.1:${port}` });
  const area = 'khu-cap-nhat';
  ensureArea(B, area, 'Khu cập nhật');
  H.assertOk(B.kdc('member', 'add', area, U.id().peer_id, '--name', 'Uyên'), 'kdc member add');
  H.assertOk(U.kdc('peer', 'add', B.dialAddr()), 'kdc peer add');
  await H.waitFor(() => U.kdcJson('area', 'list').some((a) => a.id === area), { what: 'the area on U', timeout: 30_000 });
  await H.waitFor(() => U.kdcJson('update', '--check').offers.length > 0, { what: 'the offer on U', timeout: 30_000 });

  const { page } = await phoneOn(U);
  await open(page, `${U.base}/a/${area}/team`);
  const banner = page.locator('[data-update-offer]');
  await banner.waitFor({ state: 'visible', timeout: 15_000 });
  assert.equal(await banner.getAttribute('data-update-offer'), current);
  assert.match(await banner.innerText(), new RegExp(current.replace(/\./g, '\\.')), 'the banner does not name the release');
  assert.deepEqual(await H.smallTapTargets(page), [], 'tap targets under 44 px with the update banner');
  await H.shot(page, 'team-update-offered');
  await banner.locator('[data-action="update"]').click();
  await page.locator('[data-updated]').waitFor({ state: 'visible', timeout: 60_000 });
  assert.equal(await page.locator('[data-updated]').getAttribute('data-updated'), current);
  await H.shot(page, 'team-update-installed');

  // Back on the new release, same port, same session: no offer any more, and it syncs.
  await H.waitFor(() => {
    const r = U.kdc('--json', 'update', '--check');
    return r.code === 0 && JSON.parse(r.stdout).current === current;
  }, { what: 'U back on the new release', timeout: 30_000 });
  assert.ok(fs.existsSync(path.join(binDir, 'kdcd.previous')), 'the previous kdcd was not kept');
  await open(page, `${U.base}/a/${area}/team`);
  assert.equal(await page.locator('[data-update-offer]').count(), 0, 'an offer of the release it runs');
  H.assertOk(B.kdc('household', 'add', '--consent', 'verbal', area, 'U1', 'members=2'), 'kdc household add');
  await H.waitFor(() => householdExists(U, area, 'U1'), { what: 'U1 on the updated device', timeout: 30_000 });
}, 150_000);

scenario('ward office: the areas this device syncs are on the ward page, live, each with its figures and a link to its board', async () => {
  ensureArea(A, AREA, 'Tam Giác 3');
  const { page } = await phoneOn(A, { viewport: { width: 1366, height: 768 }, isMobile: false, hasTouch: false });
  await open(page, `${A.base}/ward`);
  const areas = A.kdcJson('area', 'list');
  const shown = await page.$$eval('[data-live-area]', (els) => els.map((e) => e.getAttribute('data-live-area')));
  assert.deepEqual(sorted(shown), sorted(areas.map((a) => a.id)), '[data-live-area] vs kdc area list');
  const row = page.locator(`[data-live-area="${AREA}"]`);
  const status = A.kdcJson('status', AREA);
  const text = await row.innerText();
  assert.ok(text.includes(`${status.required_met}/${status.required_total}`), `"${text}" lacks ${status.required_met}/${status.required_total}`);
  await row.locator('a').first().click();
  await page.waitForURL(pathIs(`/a/${AREA}`), { timeout: 15_000 });
}, 60_000);

// ---- 13. language ----------------------------------------------------------------------------

scenario('language: ?lang=en switches and is remembered; ?lang=vi back; Vietnamese decimal comma', async () => {
  await seeded();
  const { page } = await phoneOn(A);
  const lang = () => page.getAttribute('html', 'lang');
  await open(page, `${A.base}/?lang=en`);
  assert.equal(await lang(), 'en', '/?lang=en');
  await H.shot(page, 'home-en');
  await open(page, `${A.base}/`);
  assert.equal(await lang(), 'en', 'plain / after ?lang=en');
  await open(page, `${A.base}/a/${SEEDED}`);
  assert.equal(await lang(), 'en', 'the board after ?lang=en');
  await H.shot(page, 'board-en');
  await open(page, `${A.base}/?lang=vi`);
  assert.equal(await lang(), 'vi', '/?lang=vi');
  await open(page, `${A.base}/a/${SEEDED}`);
  assert.equal(await lang(), 'vi', 'the board after ?lang=vi');
  const text = await page.evaluate(() => document.body.innerText);
  assert.match(text, /\d+,\d{2}\s?%/, 'no percentage with a decimal comma on the Vietnamese board');
});

// ---- 13b. the ward office ----------------------------------------------------------------------

/** `kdc-synth` into `file`: a seeded area of `households`, with `peer` as its head. */
function synth(file, { seed, households, id, peer }) {
  H.requireBinary(H.KDC_SYNTH, 'kdc-synth (env KDC_SYNTH)', 'build the workspace (cargo build --workspace) or set KDC_SYNTH');
  const r = spawnSync(H.KDC_SYNTH, ['--seed', String(seed), '--households', String(households), '--id', id, '--peer', peer, '-o', file], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `kdc-synth exited ${r.status}: ${r.stderr || r.error}`);
  return file;
}

scenario('ward office: a file encrypted for the ward opens with the ward key chosen on the page, and only then', async () => {
  const dir = fs.mkdtempSync(path.join(A.dir, 'sealed-'));
  const key = path.join(dir, 'phuong.key');
  const made = A.kdcJson('ward', 'keygen', '-o', key);
  const team = await H.startDaemon({ name: 'sealed-team' });
  H.assertOk(team.kdc('area', 'create', 'khu-mk', '--name', 'Khu mã hóa', '--ward', 'Phường Tân Định'), 'create');
  H.addHousehold(team, 'khu-mk', 'MK-1', { members: 3 });
  H.assertOk(team.kdc('member', 'add', 'khu-mk', A.id().peer_id, '--name', 'UBND', '--role', 'ward', '--recipient', made.recipient), 'ward key');
  const file = path.join(dir, 'khu-mk.kdcsnap');
  H.assertOk(team.kdc('snapshot', 'export', 'khu-mk', '-o', file), 'export');
  await team.stop();
  assert.ok(fs.readFileSync(file).subarray(0, 21).toString() === 'age-encryption.org/v1', 'the export is not encrypted');

  const { page } = await phoneOn(A);
  await open(page, `${A.base}/ward`);
  await page.locator('input[type="file"][multiple]').setInputFiles([file]);
  await Promise.all([page.waitForURL(/\/ward\/r\/[0-9a-f]+$/), page.click('[data-action="ward-report"]')]);
  const row = page.locator('[data-file="khu-mk.kdcsnap"]');
  assert.equal(await row.getAttribute('data-refused'), 'true', 'an encrypted file opened without the key');
  assert.match(await row.innerText(), /mã hóa/);

  await open(page, `${A.base}/ward`);
  await page.locator('input[name="identity"]').setInputFiles([key]);
  await page.locator('input[type="file"][multiple]').setInputFiles([file]);
  await Promise.all([page.waitForURL(/\/ward\/r\/[0-9a-f]+$/), page.click('[data-action="ward-report"]')]);
  assert.equal(await page.locator('[data-file="khu-mk.kdcsnap"]').getAttribute('data-refused'), 'false');
  await page.locator('[data-area="khu-mk"]').first().waitFor({ timeout: 10_000 });
});

scenario('ward office: drop good, repeated, stale and corrupt files; the report matches kdc report; downloads; import', async () => {
  const dir = fs.mkdtempSync(path.join(A.dir, 'ward-'));
  const peer = A.id().peer_id;
  const f = (name) => path.join(dir, name);
  // ward-a is the scratch device's area, which writes a newer copy of it below.
  const scratch = await H.startDaemon({ name: 'ward-scratch' });
  const a1 = synth(f('ward-a.kdcsnap'), { seed: 31, households: 60, id: 'ward-a', peer: scratch.id().peer_id });
  const b = synth(f('ward-b.kdcsnap'), { seed: 32, households: 80, id: 'ward-b', peer });
  synth(f('ward-c.kdcsnap'), { seed: 33, households: 40, id: 'ward-c', peer });
  fs.copyFileSync(b, f('ward-b (1).kdcsnap')); // the same file forwarded twice
  // A newer copy of ward-a: imported into the scratch device, one more household, exported.
  H.assertOk(scratch.kdc('snapshot', 'import', a1), 'import ward-a on the scratch device');
  H.addHousehold(scratch, 'ward-a', 'NEW-001', { members: 2, internet: 'yes' });
  H.assertOk(scratch.kdc('snapshot', 'export', 'ward-a', '-o', f('ward-a-new.kdcsnap')), 'export the newer ward-a');
  await scratch.stop();
  const bytes = fs.readFileSync(b);
  fs.writeFileSync(f('broken.kdcsnap'), bytes.subarray(0, Math.floor(bytes.length / 2))); // truncated
  fs.writeFileSync(f('notes.kdcsnap'), 'Danh sách hộ cần hỗ trợ\n'); // not a snapshot at all
  const good = ['ward-a.kdcsnap', 'ward-a-new.kdcsnap', 'ward-b.kdcsnap', 'ward-b (1).kdcsnap', 'ward-c.kdcsnap'];
  const chosen = [...good.slice(0, 2), 'broken.kdcsnap', ...good.slice(2), 'notes.kdcsnap'];

  const { page } = await phoneOn(A);
  await open(page, `${A.base}/`);
  await Promise.all([page.waitForURL(pathIs('/ward')), page.click('[data-link="ward"]')]);
  const input = page.locator('input[type="file"][multiple]');
  assert.equal(await input.count(), 1, 'the ward page has one <input type="file" multiple>');
  await H.shot(page, 'ward-form');
  // Nothing chosen: said next to the input, nothing else happens.
  await page.click('[data-action="ward-report"]');
  await page.waitForSelector('[data-error-for="files"]');
  await page.locator('input[type="file"][multiple]').setInputFiles(chosen.map(f));
  await Promise.all([page.waitForURL(/\/ward\/r\/[0-9a-f]+$/), page.click('[data-action="ward-report"]')]);
  await H.shot(page, 'ward-report');

  // Every file named, with its state.
  const rows = await page.$$eval('[data-file]', (els) =>
    els.map((e) => ({ file: e.getAttribute('data-file'), refused: e.getAttribute('data-refused'), state: e.getAttribute('data-staleness'), text: e.innerText })),
  );
  for (const name of ['broken.kdcsnap', 'notes.kdcsnap']) {
    const row = rows.find((r) => r.file === name);
    assert.ok(row && row.refused === 'true', `${name} is named as left out: ${JSON.stringify(rows)}`);
  }
  for (const name of good) {
    assert.ok(rows.some((r) => r.file === name && r.refused === 'false'), `${name} is shown as used: ${JSON.stringify(rows)}`);
  }
  const state = (name) => rows.find((r) => r.file === name).state;
  assert.equal(state('ward-a.kdcsnap'), 'contained_in', 'the older ward-a file is stale');
  assert.match(rows.find((r) => r.file === 'ward-a.kdcsnap').text, /ward-a-new\.kdcsnap/, 'it names the file that contains it');
  assert.equal(state('ward-a-new.kdcsnap'), 'newest');
  assert.equal(state('ward-b (1).kdcsnap'), 'same_as', 'the repeated file is the same as the first');
  assert.equal(state('ward-c.kdcsnap'), 'only');
  assert.equal(await page.getAttribute('[data-files-refused]', 'data-files-refused'), '2');
  // The door remembers the four distinct area documents that passed it (the repeated file is
  // one of them), in the data directory, for the next report from the same files.
  const memory = fs.statSync(path.join(A.dir, 'door-passed')).size;
  assert.ok(memory >= 8 + 32 + 4 * 32 && (memory - 40) % 32 === 0, `door-passed holds ${memory} bytes`);

  // The figures are those of `kdc report --format json` over the intact files.
  const r = spawnSync(H.KDC, ['report', '--format', 'json', ...good.map(f)], { encoding: 'utf8' });
  assert.equal(r.status, 0, `kdc report: ${r.stderr}`);
  const expected = JSON.parse(r.stdout);
  assert.deepEqual(expected.areas.map((s) => s.area), ['ward-a', 'ward-b', 'ward-c']);
  assert.equal(expected.areas[0].households, 61, 'the merge holds the newer household');
  for (const s of expected.areas) {
    const el = page.locator(`[data-area="${s.area}"]`);
    assert.equal(await el.count(), 1, `one element for ${s.area}`);
    assert.equal(await el.getAttribute('data-required-met'), String(s.required_met), `${s.area} required met`);
    assert.equal(await el.getAttribute('data-certified'), String(s.certified), `${s.area} certified`);
    for (const c of s.criteria) {
      const ce = el.locator(`[data-criterion="${c.id}"]`);
      const got = {
        met: await ce.getAttribute('data-met'),
        applicable: await ce.getAttribute('data-applicable'),
        numerator: await ce.getAttribute('data-numerator'),
        denominator: await ce.getAttribute('data-denominator'),
      };
      assert.deepEqual(got, { met: String(c.met), applicable: String(c.applicable), numerator: String(c.numerator), denominator: String(c.denominator) }, `${s.area} ${c.id}`);
    }
  }
  assert.equal(await page.getAttribute('[data-certified-areas]', 'data-certified-areas'), String(expected.certified_areas));

  // Downloads: JSON and CSV are byte for byte what `kdc report` writes; the XLSX opens as a
  // workbook; the bundle is a snapshot file `kdc report` reads to the same figures.
  const download = async (kind) => {
    const [d] = await Promise.all([page.waitForEvent('download'), page.click(`[data-download="${kind}"]`)]);
    const to = f(`downloaded.${kind}`);
    await d.saveAs(to);
    return to;
  };
  assert.equal(fs.readFileSync(await download('json'), 'utf8'), r.stdout, 'the JSON download is kdc report --format json');
  const csv = spawnSync(H.KDC, ['report', '--format', 'csv', ...good.map(f)], { encoding: 'utf8' });
  assert.equal(fs.readFileSync(await download('csv'), 'utf8'), csv.stdout, 'the CSV download is kdc report --format csv');
  const xlsxPath = await download('xlsx');
  const xlsx = fs.readFileSync(xlsxPath);
  assert.equal(xlsx.subarray(0, 2).toString(), 'PK', 'the XLSX download is a zip (OOXML) file');
  // Read with openpyxl (Debian's python3-openpyxl): Vietnamese sheets and labels, and a page
  // setup that prints on A4 landscape, one page wide, with the header rows repeated.
  const py = spawnSync('/usr/bin/python3', ['-c', `
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb.worksheets[0]
print(json.dumps({"sheets": wb.sheetnames, "a1": ws["A1"].value, "orientation": ws.page_setup.orientation,
  "paper": ws.page_setup.paperSize, "fit": bool(ws.sheet_properties.pageSetUpPr and ws.sheet_properties.pageSetUpPr.fitToPage),
  "fit_height": ws.page_setup.fitToHeight, "titles": ws.print_title_rows, "area": ws.print_area}))
`, xlsxPath], { encoding: 'utf8' });
  assert.equal(py.status, 0, `openpyxl could not read the downloaded XLSX (apt-get install python3-openpyxl): ${py.stderr || py.error}`);
  const book = JSON.parse(py.stdout);
  assert.deepEqual(book.sheets, ['Tổng hợp', 'ward-a', 'ward-b', 'ward-c'], JSON.stringify(book));
  assert.match(String(book.a1), /^UBND PHƯỜNG/, JSON.stringify(book));
  assert.equal(book.orientation, 'landscape', JSON.stringify(book));
  assert.equal(book.paper, 9, `A4: ${JSON.stringify(book)}`);
  assert.ok(book.fit && book.fit_height === 0, `fit to one page wide: ${JSON.stringify(book)}`);
  assert.equal(book.titles, '$7:$8', `header rows repeated: ${JSON.stringify(book)}`);
  assert.ok(String(book.area).includes('$A$1:'), `print area: ${JSON.stringify(book)}`);
  const bundle = await download('bundle');
  const again = spawnSync(H.KDC, ['report', '--format', 'json', bundle], { encoding: 'utf8' });
  assert.equal(again.stdout, r.stdout, 'the merged bundle gives the same report');

  // Nothing was stored until "store on this device".
  assert.ok(!A.kdcJson('area', 'list').some((a) => a.id.startsWith('ward-')), 'the ward page stored nothing by itself');
  await page.click('[data-action="import"]');
  await page.waitForSelector('[data-imported="3"]');
  const stored = A.kdcJson('area', 'list').filter((a) => a.id.startsWith('ward-')).map((a) => [a.id, a.households]);
  assert.deepEqual(stored, [['ward-a', 61], ['ward-b', 80], ['ward-c', 40]]);
}, 240_000);

scenario('ward report prints as an official A4 landscape document; a 40-area ward fits the page width', async () => {
  const tool = (name) => H.requireBinary(`/usr/bin/${name}`, name, 'apt-get install poppler-utils');
  const [pdftotext, pdfinfo, pdftoppm] = ['pdftotext', 'pdfinfo', 'pdftoppm'].map(tool);
  const dir = fs.mkdtempSync(path.join(A.dir, 'ward40-'));
  const peer = A.id().peer_id;
  const files = [];
  for (let i = 0; i < 40; i++) {
    const id = `khu-${String(i + 1).padStart(2, '0')}`;
    files.push(synth(path.join(dir, `${id}.kdcsnap`), { seed: 100 + i, households: 6, id, peer }));
  }
  const { page } = await phoneOn(A);
  await open(page, `${A.base}/ward`);
  await page.locator('input[type="file"][multiple]').setInputFiles(files);
  await Promise.all([page.waitForURL(/\/ward\/r\/[0-9a-f]+$/), page.click('[data-action="ward-report"]')]);
  assert.equal(await page.locator('[data-area]').count(), 40);
  // The ward types its issuing body, place and signer once; the device remembers them.
  const result = page.url();
  await page.click('details[data-keep="ward-settings"] > summary');
  await page.fill('input[name="issuer"]', 'UBND PHƯỜNG THẠC GIÁN');
  await page.fill('input[name="place"]', 'Thạc Gián');
  await page.fill('input[name="signer_title"]', 'KT. CHỦ TỊCH');
  await page.fill('input[name="signer_name"]', 'Lê Văn Bình');
  await Promise.all([page.waitForURL(result), page.click('[data-action="ward-settings"]')]);
  assert.equal(await page.inputValue('input[name="issuer"]'), 'UBND PHƯỜNG THẠC GIÁN', 'the settings are remembered');

  const pdf = path.join(dir, 'bao-cao.pdf');
  await page.emulateMedia({ media: 'print' });
  await page.pdf({ path: pdf, preferCSSPageSize: true });
  const run = (cmd, args) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  // The first page as a picture (docs/screenshots/ward-print.png is a copy).
  fs.mkdirSync(H.OUT_DIR, { recursive: true });
  run(pdftoppm, ['-png', '-r', '70', '-f', '1', '-l', '1', '-singlefile', pdf, path.join(H.OUT_DIR, 'ward-print')]);
  const info = run(pdfinfo, [pdf]);
  const [, w, h] = info.match(/Page size:\s+([\d.]+) x ([\d.]+) pts/) || [];
  assert.ok(Math.abs(Number(w) - 841.89) < 1 && Math.abs(Number(h) - 595.28) < 1, `A4 landscape (841.89 x 595.28 pt): ${info}`);
  const pages = Number((info.match(/Pages:\s+(\d+)/) || [])[1]);
  const text = run(pdftotext, ['-layout', pdf, '-']);
  for (const want of ['UBND PHƯỜNG THẠC GIÁN', 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', 'Độc lập - Tự do - Hạnh phúc', 'BÁO CÁO TIẾN ĐỘ KHU DÂN CƯ CÔNG NGHỆ SỐ', 'NGƯỜI LẬP BIỂU', 'KT. CHỦ TỊCH', 'Lê Văn Bình']) {
    assert.ok(text.includes(want), `the printed report has "${want}":\n${text.slice(0, 2000)}`);
  }
  assert.match(text, /Thạc Gián, ngày \d{2} tháng \d{2} năm \d{4}/, 'the place and date line');
  // Nothing of the screen around the report is printed.
  for (const gone of ['Xem báo cáo', 'Lưu vào thiết bị này', 'Các tệp đã chọn']) {
    assert.ok(!text.includes(gone), `"${gone}" is not printed`);
  }
  // Every page that carries rows of the table starts them under the repeated header row.
  const sheets = text.split('\f').filter((p) => p.trim());
  assert.equal(sheets.length, pages);
  const rowsOn = sheets.map((p) => (p.match(/^\s*\d{1,2}\s+Khu/gm) || []).length);
  assert.equal(rowsOn.reduce((a, b) => a + b, 0), 40, `40 area rows in all: ${rowsOn}`);
  sheets.forEach((p, i) => {
    if (rowsOn[i] > 0) assert.match(p, /STT[\s\S]*Kết quả/, `page ${i + 1} repeats the table's header, to its last column`);
  });
  // The table fits the page's width: no word beyond the right edge, and the last column is there.
  const bbox = run(pdftotext, ['-bbox', pdf, '-']);
  const xMax = Math.max(...[...bbox.matchAll(/xMax="([\d.]+)"/g)].map((m) => Number(m[1])));
  assert.ok(xMax <= 841.89, `a word ends at x=${xMax}, beyond the A4 landscape width 841.89`);
  console.log(`printed the 40-area report: ${pages} A4 landscape pages, rightmost word at x=${xMax.toFixed(1)} pt`);
}, 240_000);


// ---- 21. in the lanes: nothing lost, honest counts -------------------------------------------

scenario('field: kdcd killed with a form half filled; "Lưu" waits with a banner; started again, every answer is stored', async () => {
  const port = await H.freePort();
  const F = await H.startDaemon({ name: 'may-field', api: `127.0.0.1:${port}` });
  const area = 'ngo-hep';
  ensureArea(F, area, 'Ngõ Hẹp');
  H.addHousehold(F, area, 'N1-001', {}, { group: 'Tổ 1' });
  const { page } = await phoneOn(F);
  await open(page, `${F.base}/a/${area}/h/N1-001`);
  assert.equal(await page.locator('[data-offline]').isVisible(), false, 'no offline banner while kdcd runs');
  await page.fill('input[name="members"]', '4');
  await page.fill('input[name="members_14plus"]', '3');
  await H.checkRadio(page, 'internet', 'yes');
  F.kill();
  await H.waitFor(() => !F.running(), { what: 'kdcd to die' });
  // The open page says so by itself (the live stream is down) and keeps the answers.
  await page.locator('[data-offline]').waitFor({ state: 'visible', timeout: 15_000 });
  await H.shot(page, 'field-offline');
  const banner = await page.locator('[data-offline]').innerText();
  assert.match(banner, /Termux/, `the banner says what to do: ${banner}`);
  await page.locator('[data-action="save"]').first().click();
  await H.sleep(500);
  assert.equal(await page.inputValue('input[name="members"]'), '4', 'what was typed stays on the page');
  assert.equal(new URL(page.url()).pathname, `/a/${area}/h/N1-001`, 'no browser error page');
  // A reload while the answers are pending would lose nothing either: they are in storage.
  const draft = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('kdc-draft:')));
  assert.deepEqual(draft, [`kdc-draft:/a/${area}/h/N1-001`]);
  await F.restart({ api: `127.0.0.1:${port}` });
  await page.locator('[data-saved-at]').waitFor({ timeout: 30_000 });
  await page.locator('[data-offline]').waitFor({ state: 'hidden', timeout: 15_000 });
  const h = showHousehold(F, area, 'N1-001');
  assert.deepEqual([h.fields.members, h.fields.members_14plus, h.fields.internet], [4, 3, 'yes'], JSON.stringify(h.fields));
  const left = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('kdc-draft:')));
  assert.deepEqual(left, [], 'the draft is dropped once kdcd confirmed the write');

  // Typed, not saved, page reloaded: the answers come back.
  await page.fill('input[name="smartphone_users"]', '2');
  await page.reload();
  await page.locator('[data-draft-restored]').waitFor({ timeout: 10_000 });
  assert.equal(await page.inputValue('input[name="smartphone_users"]'), '2');
  await H.submitAndWait(page);
  assert.equal(showHousehold(F, area, 'N1-001').fields.smartphone_users, 2);
  await F.stop();
});

scenario('counts: letters are refused next to the field; "+" on empty gives 1 and never passes the count it is part of', async () => {
  ensureArea(A, AREA, 'Tam Giác 3');
  ensureHousehold(A, AREA, 'T9-001', {}, { group: 'Tổ 9' });
  const { page } = await phoneOn(A);
  await open(page, `${A.base}/a/${AREA}/h/T9-001`);
  for (const f of ['members', 'members_14plus', 'smartphone_users']) {
    assert.equal(await page.getAttribute(`input[name="${f}"]`, 'type'), 'text', `${f} is a text input`);
    assert.equal(await page.getAttribute(`input[name="${f}"]`, 'inputmode'), 'numeric', `${f} has a numeric keyboard`);
  }
  await page.fill('input[name="members"]', 'e');
  const res = await H.submitAndWait(page, { expectError: true });
  assert.deepEqual(res.errors?.map((e) => e.field), ['members'], JSON.stringify(res));
  assert.equal(showHousehold(A, AREA, 'T9-001').fields.members, undefined, 'nothing written');
  // Refused is not lost: a reload brings back what was typed.
  await page.reload();
  await page.locator('[data-draft-restored]').waitFor({ timeout: 10_000 });
  assert.equal(await page.inputValue('input[name="members"]'), 'e');
  await page.evaluate(() => localStorage.clear());
  await open(page, `${A.base}/a/${AREA}/h/T9-001`);
  const plus = (f) => page.locator(`#q-${f} button[data-step="1"]`).click();
  const minus = (f) => page.locator(`#q-${f} button[data-step="-1"]`).click();
  await plus('members_14plus');
  assert.equal(await page.inputValue('input[name="members_14plus"]'), '1', 'the first "+" gives 1 where 0 is allowed');
  for (let i = 0; i < 4; i++) await plus('members');
  assert.equal(await page.inputValue('input[name="members"]'), '4');
  for (let i = 0; i < 2; i++) await plus('members_14plus');
  assert.equal(await page.inputValue('input[name="members_14plus"]'), '3');
  for (let i = 0; i < 5; i++) await plus('smartphone_users');
  assert.equal(await page.inputValue('input[name="smartphone_users"]'), '3', 'never past members_14plus');
  for (let i = 0; i < 6; i++) await minus('members');
  assert.equal(await page.inputValue('input[name="members"]'), '1', '"−" stops at the minimum');
  await plus('members');
  await plus('members');
  await plus('members');
  await H.shot(page, 'steppers');
  await H.submitAndWait(page);
  const h = showHousehold(A, AREA, 'T9-001');
  assert.deepEqual([h.fields.members, h.fields.members_14plus, h.fields.smartphone_users], [4, 3, 3]);
});

scenario('one house, one code: "t3-045" opens T3-045, the CLI refuses it naming T3-045; the search box finds a house in any case', async () => {
  ensureArea(A, AREA, 'Tam Giác 3');
  ensureHousehold(A, AREA, 'T3-045', {}, { group: 'Tổ 3' });
  ensureHousehold(A, AREA, 'T3-046', {}, { group: 'Tổ 3' });
  const r = A.kdc('household', 'add', AREA, 't3-045', '--consent', 'verbal');
  assert.equal(r.code, 2, `kdc household add t3-045 exited ${r.code}`);
  assert.match(r.stderr, /T3-045/, r.stderr);
  const { page } = await phoneOn(A);
  await open(page, `${A.base}/a/${AREA}/new`);
  await page.fill('input[name="id"]', ' t3-045 ');
  await page.fill('input[name="group"]', 'tổ  3');
  await H.giveConsentIfAsked(page);
  await page.locator('[data-action="save"]').first().click();
  await page.waitForURL(pathIs(`/a/${AREA}/h/T3-045`), { timeout: 20_000 });
  assert.ok(!A.kdcJson('household', 'list', AREA).some((h) => h.id === 't3-045'), 'no second house');
  // A group typed in another case is the existing group.
  H.addHousehold(A, AREA, 'T3-047', {}, { group: 'TỔ 3' });
  assert.equal(showHousehold(A, AREA, 'T3-047').group, 'Tổ 3');
  // The search box on every area screen.
  for (const p of ['', '/worklist', '/new', '/team', '/h/T3-045']) {
    await open(page, `${A.base}/a/${AREA}${p}`);
    assert.equal(await page.locator('input[type="search"][name="q"]').count(), 1, `search box on /a/${AREA}${p}`);
  }
  await page.fill('input[type="search"][name="q"]', 't3-046');
  await page.press('input[type="search"][name="q"]', 'Enter');
  await page.waitForURL(pathIs(`/a/${AREA}/h/T3-046`), { timeout: 10_000 });
  await page.fill('input[type="search"][name="q"]', 't3-04');
  await page.press('input[type="search"][name="q"]', 'Enter');
  await page.waitForURL((u) => u.pathname === `/a/${AREA}/find`, { timeout: 10_000 });
  const found = await page.locator('[data-household]').evaluateAll((els) => els.map((e) => e.getAttribute('data-household')));
  assert.deepEqual(found, ['T3-045', 'T3-046', 'T3-047']);
  await H.shot(page, 'search');
});

scenario('declined households: on no worklist, in no count, shown beside the figures on the board, status and report', async () => {
  const area = 'tu-choi';
  ensureArea(A, area, 'Khu Từ Chối');
  H.addHousehold(A, area, 'D1', { members: 3, members_14plus: 2, internet: 'yes' }, { group: 'Tổ 1' });
  H.addHousehold(A, area, 'D2', { members: 2, members_14plus: 2, internet: 'no' }, { group: 'Tổ 1' });
  H.assertOk(A.kdc('household', 'consent', area, 'D3', 'refused'), 'kdc household consent D3 refused');
  const s = A.kdcJson('status', area);
  assert.equal(s.households, 2);
  assert.equal(s.declined, 1);
  const internet = s.criteria.find((c) => c.id === 'internet');
  assert.deepEqual([internet.numerator, internet.denominator], [1, 2]);
  const { page } = await phoneOn(A);
  await open(page, `${A.base}/a/${area}`);
  assert.equal(await page.getAttribute('[data-declined]', 'data-declined'), '1');
  assert.match(await page.locator('[data-declined]').innerText(), /1 hộ từ chối khảo sát \(33,33%\)/);
  const { crit: attrs } = await boardAttributes(page);
  assert.deepEqual([attrs.internet.numerator, attrs.internet.denominator], ['1', '2']);
  await H.shot(page, 'board-declined');
  await open(page, `${A.base}/a/${area}/worklist?missing=internet`);
  const listed = await page.locator('[data-household]').evaluateAll((els) => els.map((e) => e.getAttribute('data-household')));
  assert.deepEqual(listed, ['D2'], 'the declined household is not sent a volunteer');
  // The ward's files: the report carries the count beside the figures.
  const file = path.join(A.dir, 'tu-choi.kdcsnap');
  H.assertOk(A.kdc('snapshot', 'export', area, '-o', file, '--plain'), 'kdc snapshot export');
  const rep = JSON.parse(spawnSync(H.KDC, ['--json', 'report', file], { encoding: 'utf8' }).stdout);
  assert.equal(rep.areas[0].declined, 1);
  const csv = spawnSync(H.KDC, ['report', file, '--format', 'csv'], { encoding: 'utf8' }).stdout;
  const [head, row] = csv.replace(/^\uFEFF/, '').split('\n');
  assert.equal(row.split(',')[head.split(',').indexOf('declined')], '1', csv);
});

scenario('a 3,000-household area: every list in pages of at most 100 KB, the worklist chips name each household\'s own gap', async () => {
  const area = 'lon-3000';
  if (!A.kdcJson('area', 'list').some((a) => a.id === area)) {
    const file = path.join(A.dir, 'lon-3000.snapshot');
    const r = spawnSync(H.KDC_SYNTH, ['--seed', '11', '--households', '3000', '--id', area, '--peer', A.id().peer_id, '-o', file], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    assert.equal(r.status, 0, `kdc-synth exited ${r.status}: ${r.stderr || r.error}`);
    H.assertOk(A.kdc('snapshot', 'import', file), 'kdc snapshot import');
  }
  const { page } = await phoneOn(A);
  const sizes = {};
  for (const p of ['', '/worklist', '/worklist?missing=e_citizen', '/worklist?page=30', '/find?q=T']) {
    const resp = await open(page, `${A.base}/a/${area}${p}`);
    const bytes = (await resp.body()).length;
    sizes[p || '/'] = bytes;
    assert.ok(bytes <= 100 * 1024, `/a/${area}${p} is ${bytes} bytes (over 100 KB)`);
  }
  console.log(`page weights of a 3,000-household area (bytes): ${JSON.stringify(sizes)}`);
  // The whole list is reachable page by page.
  await open(page, `${A.base}/a/${area}/worklist`);
  const pages = Number(await page.getAttribute('[data-pages]', 'data-pages'));
  assert.ok(pages >= 2, `the 3,000-household list is paged (${pages})`);
  // Chips: a household short of VNeID says by how many people.
  await open(page, `${A.base}/a/${area}/worklist?missing=e_citizen`);
  const chips = await page.locator('[data-gap="e_citizen"]').allInnerTexts();
  assert.ok(chips.length > 0, 'e_citizen chips');
  assert.ok(chips.every((t) => /còn \d+ người chưa có|chưa ghi/.test(t)), `chips: ${chips.slice(0, 5)}`);
  const list = A.kdcJson('household', 'list', area, '--missing', 'e_citizen');
  const first = await page.locator('[data-household]').first().getAttribute('data-household');
  const h = showHousehold(A, area, first);
  const gap = list.find((x) => x.id === first).gaps.find((g) => g.criterion === 'e_citizen');
  if (gap.kind === 'persons') {
    assert.equal(gap.persons, h.fields.members_14plus - (h.fields.eid_accounts ?? 0));
    const text = await page.locator(`[data-household="${first}"] [data-gap="e_citizen"]`).innerText();
    assert.match(text, new RegExp(`còn ${gap.persons} người`));
  }
  await H.shot(page, 'worklist-3000');
}, 300_000);

scenario('the head sees the team: who recorded how many households today and this week; door-to-door sheets per group', async () => {
  const area = 'cong-viec';
  ensureArea(A, area, 'Khu Công Việc');
  H.addHousehold(A, area, 'C1', { members: 2, members_14plus: 2 }, { group: 'Tổ 1', address: 'Số 1 ngõ 2' });
  H.addHousehold(A, area, 'C2', {}, { group: 'Tổ 2' });
  H.assertOk(A.kdc('household', 'set', area, 'C1', 'internet=yes'), 'kdc household set');
  H.assertOk(A.kdc('household', 'consent', area, 'C3', 'refused', ), 'kdc household consent C3 refused');
  const me = A.id().peer_id;
  const { page } = await phoneOn(A);
  await open(page, `${A.base}/a/${area}/team`);
  const row = page.locator(`[data-activity-member="${me}"]`);
  // C1 and C2 added today (C1's later answer is not counted twice); C3's refusal is an update.
  assert.equal(await row.getAttribute('data-added-today'), '3');
  assert.equal(await row.getAttribute('data-updated-today'), '0');
  assert.equal(await row.getAttribute('data-added-week'), '3');
  assert.equal(await page.locator('[data-member] code.peer:visible').count(), 0, 'peer ids are folded away');
  await H.shot(page, 'team-activity');
  await page.locator('[data-action="print-sheets"]').click();
  await page.waitForURL((u) => u.pathname === `/a/${area}/print`);
  const sheets = await page.locator('[data-sheet-group]').evaluateAll((els) => els.map((e) => e.getAttribute('data-sheet-group')));
  assert.deepEqual(sheets, ['Tổ 1', 'Tổ 2']);
  const rows = await page.locator('[data-sheet-group] [data-household]').evaluateAll((els) => els.map((e) => e.getAttribute('data-household')));
  assert.deepEqual(rows, ['C1', 'C2'], 'the declined household is on no sheet');
  const text = await page.locator('[data-sheet-group="Tổ 1"]').innerText();
  assert.match(text, /Số 1 ngõ 2/);
  await H.shot(page, 'door-to-door');
  const pdf = await page.pdf({ format: 'A4' });
  assert.ok(pdf.length > 1000, 'the sheets print');
});

scenario('ward PC: the report uses a 1,366 px screen whole; with no issuing body, printing asks for it first', async () => {
  const W = await H.startDaemon({ name: 'may-phuong' });
  const dir = fs.mkdtempSync(path.join(W.dir, 'ward-pc-'));
  const peer = W.id().peer_id;
  const files = [];
  for (let i = 0; i < 4; i++) {
    const id = `pc-${i + 1}`;
    files.push(synth(path.join(dir, `${id}.kdcsnap`), { seed: 300 + i, households: 8, id, peer }));
  }
  // One area of another ward: the report spans two wards, so its default issuer is the bare "UBND".
  H.assertOk(W.kdc('area', 'create', 'pc-khac', '--name', 'Khu Phường Khác', '--ward', 'Phường Hai Bà'), 'kdc area create');
  H.addHousehold(W, 'pc-khac', 'K1', { members: 2 });
  files.push(path.join(dir, 'pc-khac.kdcsnap'));
  H.assertOk(W.kdc('snapshot', 'export', 'pc-khac', '-o', files.at(-1), '--plain'), 'kdc snapshot export');
  const { page } = await phoneOn(W, { viewport: { width: 1366, height: 768 }, isMobile: false, hasTouch: false });
  await open(page, `${W.base}/ward`);
  await page.locator('input[type="file"][multiple]').setInputFiles(files);
  await Promise.all([page.waitForURL(/\/ward\/r\/[0-9a-f]+$/), page.click('[data-action="ward-report"]')]);
  const fit = await page.evaluate(() => {
    const t = document.querySelector('table.ward-report');
    const box = t.closest('.scroll') || t.parentElement;
    return { table: t.scrollWidth, box: box.clientWidth, main: document.getElementById('main').clientWidth };
  });
  assert.ok(fit.table <= fit.box, `the ward table is whole on 1,366 px: ${JSON.stringify(fit)}`);
  assert.ok(fit.main > 1000, `the page uses the PC's width: ${JSON.stringify(fit)}`);
  await H.shot(page, 'ward-pc');
  // Two wards, no issuing body set on this device: the settings are open and say why.
  const issuer = await page.inputValue('input[name="issuer"]');
  assert.equal(issuer, '', 'a new device has no issuing body set');
  assert.equal(await page.locator('[data-letterhead-missing]').count(), 1, 'a warning before printing "UBND" alone');
  await page.click('[data-action="print"]');
  assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'ws-issuer', 'the print button asks for the issuing body');
  // Given one, the warning is gone.
  const result = page.url();
  await page.fill('input[name="issuer"]', 'UBND QUẬN MỘT');
  await Promise.all([page.waitForURL(result), page.click('[data-action="ward-settings"]')]);
  assert.equal(await page.locator('[data-letterhead-missing]').count(), 0);
  await W.stop();
});

scenario('an empty area is not "Đạt": every criterion says there is no data yet; tabs fit 360 px with a search box', async () => {
  const area = 'khu-moi';
  ensureArea(A, area, 'Khu Mới');
  const { page } = await phoneOn(A);
  await open(page, `${A.base}/a/${area}`);
  assert.equal(await page.getAttribute('[data-required-met]', 'data-required-met'), '0');
  const { crit: attrs } = await boardAttributes(page);
  assert.equal(Object.keys(attrs).length, 10);
  for (const [id, c] of Object.entries(attrs)) assert.equal(c.met, 'false', `${id} is not met with no data`);
  assert.equal(await page.locator('[data-no-data]').count() >= 10, true, 'each criterion says "chưa có dữ liệu"');
  assert.match(await page.locator('[data-required-met]').innerText(), /tiêu chí chưa có dữ liệu/);
  const tabs = await page.locator('nav.tabs a').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().right));
  assert.ok(tabs.every((r) => r <= 360), `every tab within 360 px: ${tabs}`);
  await H.shot(page, 'board-empty');
});

// ---- 14. accessibility -----------------------------------------------------------------------

scenario('accessibility: no serious or critical axe violation on any screen', async () => {
  await seeded();
  ensureArea(A, AREA, 'Tam Giác 3');
  const someHousehold = A.kdcJson('household', 'list', SEEDED).find((h) => !h.archived).id;
  const failures = [];
  const check = async (page, label, url, { anyStatus = false } = {}) => {
    try {
      if (anyStatus) await page.goto(url);
      else await open(page, url);
      await H.axeCheck(page, { label, options: { rules: { 'target-size': { enabled: true } } } });
      await H.shot(page, `axe-${label}`);
      const small = await H.smallTapTargets(page);
      if (small.length) failures.push(`${label}: tap targets under 44 × 44 px:\n  ${small.join('\n  ')}`);
    } catch (e) {
      failures.push(e.message);
    }
  };
  const anon = await H.newPhone(browser, { bypassCSP: true });
  await check(anon.page, 'login-required', `${A.base}/`, { anyStatus: true }); // 401 is fine here
  const { page } = await phoneOn(A, { bypassCSP: true });
  await check(page, 'home', `${A.base}/`);
  await check(page, 'board', `${A.base}/a/${SEEDED}`);
  await check(page, 'worklist', `${A.base}/a/${SEEDED}/worklist?missing=e_citizen`);
  await check(page, 'household-form', `${A.base}/a/${SEEDED}/h/${someHousehold}`);
  await check(page, 'new-household', `${A.base}/a/${SEEDED}/new`);
  await check(page, 'team', `${A.base}/a/${AREA}/team`);
  await check(page, 'doctor', `${A.base}/a/${AREA}/doctor`);
  await check(page, 'conflicts', `${A.base}/a/${SEEDED}/conflicts`);
  await check(page, 'ward', `${A.base}/ward`);
  assert.deepEqual(failures, [], failures.join('\n\n'));
}, 180_000);

// ---- 15. nothing from another origin ---------------------------------------------------------

scenario('no page loaded anything from another origin', async () => {
  assert.ok(H.requestLog.length > 0, 'no request was recorded');
  const allowed = H.daemonOrigins;
  const foreign = H.requestLog.filter((r) => {
    const u = new URL(r.url);
    if (['data:', 'blob:', 'about:'].includes(u.protocol)) return false;
    return !allowed.has(u.origin);
  });
  console.log(`${H.requestLog.length} requests recorded; daemon origins: ${[...allowed].join(' ')}`);
  assert.deepEqual(
    foreign.map((r) => `${r.url} (from ${r.from})`),
    [],
    'requests to origins other than the daemon under test',
  );
});
