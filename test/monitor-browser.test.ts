/**
 * The web monitor in a real browser: Debian's Chromium, headless, driven by puppeteer-core
 * (scripts/install-system-deps.sh installs Chromium). Logs in, sees two replicas in sync,
 * watches a full resync's progress bar move, sets a key with the form and finds it in the
 * key browser and in the live tail (GET /v1/watch), deletes it, and takes screenshots at 1280 and 390 px into test-output/.
 */
import fs from 'node:fs';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { client, sleep, startReplica, startRouterWithHttp, stopAll, waitInSync, type KvndbProcess, type RouterHandle } from './helpers/cluster';

jest.setTimeout(120000);

const CHROMIUM = process.env.KVNDB_CHROMIUM ?? '/usr/bin/chromium';
const OUT = path.resolve(__dirname, '..', 'test-output', 'monitor');
const PASSWORD = 'monitor-pw';
const ENV = { KVNDB_PASSWORD: PASSWORD };

let router: RouterHandle & { httpPort: number; url: string };
let replicaB: KvndbProcess;
let browser: Browser | undefined;

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run scripts/install-system-deps.sh (or set KVNDB_CHROMIUM)`);
  fs.mkdirSync(OUT, { recursive: true });
  // A slow resync (capped at 256 KiB/s) of about 2 MiB, so the progress bar has seconds to move.
  // write-ack one: the writes of the load below go on while replica-b is away.
  router = await startRouterWithHttp(['--resync-rate', '256k', '--write-ack', 'one'], ENV);
  startReplica('memory', router.port, { name: 'replica-a', env: ENV });
  replicaB = startReplica('memory', router.port, { name: 'replica-b', env: ENV });
  const db = await client(router.port, { password: PASSWORD });
  await waitInSync(db, 2);
  const filler = 'x'.repeat(2000);
  for (let batch = 0; batch < 10; batch++) {
    const entries: Record<string, string> = {};
    for (let i = 0; i < 100; i++) entries[`fill/${batch}/${i}`] = filler;
    await db.mset(entries);
  }
  await db.close();
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
});

afterAll(async () => {
  await browser?.close();
  await stopAll();
});

async function logIn(page: Page): Promise<void> {
  await page.goto(router.url, { waitUntil: 'load' });
  await page.waitForSelector('#login-form', { visible: true });
  await page.type('#password', PASSWORD);
  await page.click('#login-form button[type="submit"]');
  await page.waitForSelector('#app-view', { visible: true });
}

/** The replica cards the page shows: name -> state. */
function replicaStates(page: Page): Promise<Record<string, string>> {
  return page.$$eval('#replicas .replica', (cards) => Object.fromEntries(cards.map((c) => [c.getAttribute('data-name'), c.getAttribute('data-state')])));
}

test('a wrong password is refused on the login form', async () => {
  const page = await browser!.newPage();
  await page.goto(router.url, { waitUntil: 'load' });
  await page.waitForSelector('#login-form', { visible: true });
  await page.type('#password', 'not the password');
  await page.click('#login-form button[type="submit"]');
  await page.waitForFunction(`(document.querySelector('#login-error')?.textContent ?? '').length > 0`, { timeout: 15000 });
  expect(await page.$eval('#login-error', (e) => e.textContent)).toMatch(/authentication failed/i);
  expect(await page.$eval('#app-view', (e) => (e as unknown as { hidden: boolean }).hidden)).toBe(true);
  await page.close();
});

test('log in, two replicas in sync, a resync with a moving progress bar, set and delete a key, screenshots', async () => {
  // A light steady load, so the rate and latency charts have something to draw.
  const db = await client(router.port, { password: PASSWORD });
  let writing = true;
  const writer = (async () => {
    for (let i = 0; writing; i++) {
      await db.set(`load/${i % 100}`, String(i));
      if (i % 4 === 0) await db.get(`load/${i % 100}`);
      await sleep(5);
    }
  })();
  try {
    await monitorWalkthrough();
  } finally {
    writing = false;
    await writer;
    await db.close();
  }
});

async function monitorWalkthrough(): Promise<void> {
  const page = await browser!.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  await logIn(page);
  await page.waitForFunction(`document.querySelectorAll('#replicas .replica[data-state="in-sync"]').length === 2`, { timeout: 15000 });
  expect(await replicaStates(page)).toEqual({ 'replica-a': 'in-sync', 'replica-b': 'in-sync' });
  expect(Number((await page.$eval('#seq', (e) => e.textContent))!.replace(/\D/g, ''))).toBeGreaterThanOrEqual(10);
  await sleep(3000); // a few chart points before the pictures

  // A resync: replica-b comes back with --reset and takes a full copy at 256 KiB/s.
  await replicaB.stop();
  await page.waitForFunction(`document.querySelectorAll('#replicas .replica').length === 1`, { timeout: 15000 });
  replicaB = startReplica('memory', router.port, { name: 'replica-b', args: ['--reset'], env: ENV });
  const bar = '#replicas .replica[data-name="replica-b"] .progress .bar[aria-valuenow]';
  await page.waitForSelector(bar, { timeout: 20000 });
  const seen: number[] = [];
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    const now = await page.$eval(bar, (e) => Number(e.getAttribute('aria-valuenow'))).catch(() => null);
    if (now === null) break; // the resync ended: the bar is gone
    if (seen.length === 0 || seen[seen.length - 1] !== now) seen.push(now);
    if (seen.length === 2) {
      // Mid-resync, at 1280 px: the picture for the README.
      expect(await page.$eval('#replicas .replica[data-name="replica-b"] .progress-text', (e) => e.textContent)).toMatch(/full resync.*keys.*ETA/);
      await page.screenshot({ path: path.join(OUT, 'monitor-1280-resync.png'), fullPage: true });
    }
    await sleep(250);
  }
  // The bar moved forward at least twice while the page polled.
  expect(seen.length).toBeGreaterThanOrEqual(3);
  for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]);
  await page.waitForFunction(`document.querySelectorAll('#replicas .replica[data-state="in-sync"]').length === 2`, { timeout: 30000 });

  // Set a key with the form, find it in the key browser and preview it.
  await page.type('#set-key', 'browser/greeting');
  await page.type('#set-value', 'hello from chromium');
  await page.click('#set-form button[type="submit"]');
  await page.waitForFunction(`/Stored "browser\\/greeting"/.test(document.querySelector('#set-result')?.textContent ?? '')`);
  // The live tail (GET /v1/watch read with the session token) shows the write, among the
  // background load's writes.
  const tailLine = (type: string) => `#tail-list li[data-key="browser/greeting"]:has(.tail-${type})`;
  await page.waitForSelector(tailLine('set'), { timeout: 10000 });
  const first = await page.$eval(tailLine('set'), (li) => ({
    seq: (li as unknown as { dataset: Record<string, string> }).dataset.seq,
    text: [...li.children].map((c) => c.textContent),
  }));
  expect(first.text).toEqual([`#${first.seq}`, 'set', 'browser/greeting', 'hello from chromium']);
  expect(await page.$eval('#tail-status', (e) => e.textContent)).toMatch(/Watching/);
  await page.type('#prefix', 'browser/');
  await page.click('#browse-form button[type="submit"]');
  await page.waitForSelector('#key-list button[data-key="browser/greeting"]');
  await page.$eval('#key-list button[data-key="browser/greeting"]', (b) => (b as unknown as { click(): void }).click());
  await page.waitForFunction(`document.querySelector('#preview .preview-value')?.textContent === 'hello from chromium'`);
  expect(await page.$eval('#preview .preview-size', (e) => e.textContent)).toBe('19 B');
  await page.click('#preview .tabs button[data-mode="hex"]');
  expect(await page.$eval('#preview .preview-value', (e) => e.textContent)).toMatch(/^00000000  68 65 6c 6c 6f/);
  await page.screenshot({ path: path.join(OUT, 'monitor-1280.png'), fullPage: true });

  // On a phone (its own page: switching a page to mobile reloads it): nothing wider than the screen.
  const phone = await browser!.newPage();
  await phone.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  await logIn(phone);
  await phone.waitForFunction(`document.querySelectorAll('#replicas .replica[data-state="in-sync"]').length === 2`, { timeout: 15000 });
  await phone.type('#prefix', 'browser/');
  await phone.click('#browse-form button[type="submit"]');
  await phone.waitForSelector('#key-list button[data-key="browser/greeting"]');
  await phone.$eval('#key-list button[data-key="browser/greeting"]', (b) => (b as unknown as { click(): void }).click());
  await phone.waitForFunction(`document.querySelector('#preview .preview-value')?.textContent === 'hello from chromium'`);
  await sleep(2500); // a few chart points
  const overflow = (await phone.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
  expect(overflow).toBeLessThanOrEqual(0);
  await phone.screenshot({ path: path.join(OUT, 'monitor-390.png'), fullPage: true });
  await phone.close();

  // Delete it with the delete form: gone from the browser and from the database.
  await page.type('#del-key', 'browser/greeting');
  await page.click('#del-form button[type="submit"]');
  await page.waitForFunction(`/Deleted "browser\\/greeting"/.test(document.querySelector('#del-result')?.textContent ?? '')`);
  await page.waitForFunction(`document.querySelector('#key-list button[data-key="browser/greeting"]') === null`);
  const res = await fetch(`${router.url}v1/kv/browser%2Fgreeting`, { headers: { authorization: `Bearer ${PASSWORD}` } });
  expect(res.status).toBe(404);

  // The delete is in the live tail too, above the set; the tail keeps at most 50 lines, newest first.
  await page.waitForSelector(tailLine('del'), { timeout: 10000 });
  const del = Number(await page.$eval(tailLine('del'), (li) => (li as unknown as { dataset: Record<string, string> }).dataset.seq));
  expect(del).toBeGreaterThan(Number(first.seq));
  const seqs = await page.$$eval('#tail-list li', (items) => items.map((li) => Number((li as unknown as { dataset: Record<string, string> }).dataset.seq)));
  expect(seqs.length).toBeGreaterThan(0);
  expect(seqs.length).toBeLessThanOrEqual(50);
  expect([...seqs].sort((x, y) => y - x)).toEqual(seqs);
  await page.close();
}
