// What the browser tests share: the local stack (cmd/dev, as `make dev` runs it) started on a
// free port, Debian's Chromium driven by playwright-core, axe-core, and screenshots.

import { spawn, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SITE_DIR = join(ROOT, 'frontend', 'site');
export const SHOTS_DIR = join(ROOT, 'e2e', 'browser', 'screenshots');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

// The flags the project drives Chromium with (headless, no sandbox as root in CI, nothing that
// phones home). Playwright adds a fresh temporary --user-data-dir itself and deletes it after.
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run',
];

/**
 * needChromium answers why the browser tests cannot run here, or '' when they can. A missing
 * browser fails the run under CI=true (the Makefile installs it) and skips it elsewhere.
 */
export function chromiumMissing() {
  if (existsSync(CHROMIUM)) return '';
  const why = `Chromium not found at ${CHROMIUM} (make browser-test installs Debian's chromium; or set CHROMIUM)`;
  if (process.env.CI === 'true') throw new Error(`${why}: CI must run the browser tests`);
  return why;
}

export async function launchBrowser() {
  const require = createRequire(import.meta.url);
  const { chromium } = require('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// The last cmd/dev a test process built, kept for the next (git-ignored, like make dev's).
const BUILT = join(ROOT, '.build', 'e2e', 'dev');
let devBinary = '';

/**
 * buildDev builds cmd/dev once per test process, into a directory of its own that is removed
 * when the process exits; every stack the process starts runs that binary. The link, which is
 * most of a build, happens once per change rather than once per test file: the previous build
 * (BUILT) is copied in first, and go build leaves a target that is up to date as it is. The
 * build is published back with a rename, so test files building at the same time never copy a
 * half-written binary, and none runs a file another may replace.
 */
function buildDev() {
  if (devBinary) return devBinary;
  const dir = mkdtempSync(join(tmpdir(), 'tictactoe-e2e-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, 'dev');
  if (existsSync(BUILT)) copyFileSync(BUILT, bin);
  execFileSync(process.env.GO || 'go', ['build', '-o', bin, './cmd/dev'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  try {
    mkdirSync(dirname(BUILT), { recursive: true });
    const tmp = `${BUILT}.${process.pid}`;
    copyFileSync(bin, tmp);
    renameSync(tmp, BUILT);
  } catch {
    // Not kept: the next test process links its own, nothing worse.
  }
  devBinary = bin;
  return bin;
}

/**
 * startStack builds (once per process: buildDev) and starts the local stack (cmd/dev: site,
 * /config.js, WebSocket API, handlers, dynalite) on a free port and resolves once it prints its
 * URL; grace is the functions' GRACE_PERIOD, env adds to their settings, games sizes the local
 * API's throttles (cmd/dev -games). stop() ends its whole process group (the stack starts
 * dynalite as a child).
 */
export async function startStack({ grace = '4s', regions = 1, env = {}, games = 0 } = {}) {
  const bin = buildDev();
  const port = await freePort();
  const child = spawn(bin, DEV_ARGS({ port, regions, games }), {
    cwd: ROOT,
    detached: true, // its own process group, so stop() reaches dynalite too
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GRACE_PERIOD: grace, ...env },
  });
  let log = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cmd/dev printed no URL within 60 s:\n${log}`)), 60000);
    const onData = (chunk) => {
      log += chunk;
      // cmd/dev's banner: "TicTacToe is running: open http://localhost:8080/"
      const m = log.match(/is running: open (http:\/\/[^/\s]+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace('localhost', '127.0.0.1'));
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`cmd/dev exited with ${code} before serving:\n${log}`));
    });
  });
  // Keep draining its output, or a chatty stack blocks on a full pipe. (The banner's listener
  // goes: it would search the whole log again for every line, and keep each twice.)
  for (const stream of [child.stdout, child.stderr]) stream.removeAllListeners('data');
  const keep = [];
  child.stdout.on('data', (c) => keep.push(c));
  child.stderr.on('data', (c) => keep.push(c));
  return {
    url,
    output: () => log + keep.join(''),
    // failRegion fails the first local Region still up, as an outage would (cmd/dev's SIGUSR1).
    async failRegion() {
      const before = (log + keep.join('')).split('Region failed as in an outage').length;
      process.kill(child.pid, 'SIGUSR1');
      await until(async () => (log + keep.join('')).split('Region failed as in an outage').length > before,
        () => `cmd/dev did not report the Region failed:\n${log + keep.join('')}`);
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // already gone
        }
        const timeout = setTimeout(() => {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }, 5000);
        await exited;
        clearTimeout(timeout);
      }
    },
  };
}

/**
 * fromAddress returns a URL for the stack at url whose connections reach it from another
 * loopback address (local, such as 127.0.0.3): a TCP relay of its own, closed with stop().
 * Chromium cannot choose the address it connects from, and the stack tells players apart by
 * it (two players on one address play unrated quick matches: docs/privacy.md).
 */
export async function fromAddress(url, local) {
  const target = new URL(url);
  const sockets = new Set();
  const server = createServer((down) => {
    const up = connect({ host: target.hostname, port: Number(target.port), localAddress: local });
    for (const s of [down, up]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => { down.destroy(); up.destroy(); });
    }
    down.pipe(up);
    up.pipe(down);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stop: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

// DEV_ARGS are cmd/dev's flags for a test run: loopback on a free port. (The grace period is
// the functions' GRACE_PERIOD variable, set in the environment.) No -site: the stack serves the
// site as it ships, built by frontend/sitebuild, so the tests run what players get.
function DEV_ARGS({ port, regions, games }) {
  return ['-addr', `127.0.0.1:${port}`, '-regions', String(regions), ...(games ? ['-games', String(games)] : [])];
}

/**
 * productionCSP is the policy in frontend/nginx/nginx.conf as NGINX sends it behind the
 * CloudFront distribution, with the socket on the page's own host: 'self' alone covers it, no
 * other origin is named. That is what the dev server must send (its config.js names a path
 * too), read here from the file itself rather than from the Go code that sends it, so every
 * test proves Chromium lets 'self' reach a ws:// socket on the page's host.
 */
export function productionCSP() {
  const conf = readFileSync(join(ROOT, 'frontend', 'nginx', 'nginx.conf'), 'utf8');
  const m = conf.match(/add_header\s+Content-Security-Policy\s+"([^"]+)"/);
  if (!m || !m[1].includes(' @WS_ORIGIN@')) throw new Error('frontend/nginx/nginx.conf: no Content-Security-Policy with the @WS_ORIGIN@ placeholder');
  return m[1].replace(' @WS_ORIGIN@', '');
}

/**
 * newPlayer opens a browser context and page. The pages come with the headers the dev server
 * sends, which are NGINX's production security headers (frontend.SecurityHeaders) as they are
 * behind the distribution, so the production CSP governs every test. Every console error or CSP
 * violation is recorded (errors) so a test can assert there were none, and every document's
 * Content-Security-Policy header is kept (policies) so a test can check it. With instance,
 * /instance.json answers with it, as it does on EC2.
 */
export async function newPlayer(browser, baseURL, { viewport = DESKTOP, clipboard = false, instance = null } = {}) {
  const context = await browser.newContext({ viewport, baseURL });
  if (clipboard) await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL });
  const page = await context.newPage();
  if (instance) {
    await page.route(`${baseURL}/instance.json`, (route) => route.fulfill({ contentType: 'application/json', body: JSON.stringify(instance) }));
  }
  const errors = [];
  const policies = [];
  page.on('response', (res) => {
    if (res.request().resourceType() === 'document') policies.push(res.headers()['content-security-policy'] ?? '(none)');
  });
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    errors.push(msg.text()); // a clean page load logs none (instance.json answers 204 locally)
  });
  page.on('pageerror', (err) => errors.push(String(err)));
  return { context, page, errors, policies, baseURL };
}

const AXE_SOURCE = () => readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axeViolations runs axe-core on the page in light and in dark mode and returns the serious
 * and critical findings, each tagged with its color scheme.
 */
export async function axeViolations(page) {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(AXE_SOURCE());
  const found = [];
  for (const colorScheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme });
    const results = await page.evaluate(async () => {
      // eslint-disable-next-line no-undef
      const r = await axe.run(document, { resultTypes: ['violations'] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
    });
    for (const v of results) if (v.impact === 'serious' || v.impact === 'critical') found.push({ colorScheme, ...v });
  }
  await page.emulateMedia({ colorScheme: null });
  return found;
}

/**
 * screenshots saves the page at phone and desktop widths as <name>-phone.png and
 * <name>-desktop.png (with dark, in dark mode: <name>-phone-dark.png...).
 */
export async function screenshots(page, name, { dark = false } = {}) {
  mkdirSync(SHOTS_DIR, { recursive: true });
  const before = page.viewportSize();
  if (dark) await page.emulateMedia({ colorScheme: 'dark' });
  for (const [label, size] of [['phone', PHONE], ['desktop', DESKTOP]]) {
    await page.setViewportSize(size);
    const file = `${name}-${label}${dark ? '-dark' : ''}.png`;
    await page.screenshot({ path: join(SHOTS_DIR, file), fullPage: true, animations: 'disabled' });
  }
  if (dark) await page.emulateMedia({ colorScheme: null });
  await page.setViewportSize(before);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** until polls fn until it returns something truthy, failing after timeout with what it saw. */
export async function until(fn, what, timeout = 10000) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) {
      const desc = typeof what === 'function' ? what() : what;
      throw new Error(`timed out after ${timeout} ms waiting for ${desc}; last saw: ${last}`);
    }
    await sleep(50);
  }
}

/** waitText waits until the element at selector has text matching re, and returns the text. */
export async function waitText(page, selector, re, timeout = 10000) {
  let text = '';
  await until(async () => {
    text = (await page.locator(selector).first().textContent({ timeout: 1000 })) ?? '';
    return re.test(text);
  }, () => `${selector} to read ${re} (it reads ${JSON.stringify(text)})`, timeout);
  return text;
}

/** cell is a board cell of page. */
export const cell = (page, i) => page.locator(`#board .cell[data-cell="${i}"]`);

/** play clicks a cell on one page and waits until both players see the mark. */
export async function play(mover, other, i, mark) {
  await cell(mover, i).click();
  for (const page of [mover, other]) await waitText(page, `#board .cell[data-cell="${i}"]`, new RegExp(`^${mark}$`));
}

// noErrors checks that each player's pages came with the production CSP (as the dev server
// sends it) and that nothing on them broke it or logged an error.
export function noErrors(...players) {
  for (const p of players) {
    assert.ok(p.policies.length > 0, 'no page was loaded');
    const want = productionCSP();
    for (const got of p.policies) assert.equal(got, want, 'the page was not served with the production CSP');
    assert.deepEqual(p.errors, [], 'console errors or CSP violations on the page');
  }
}

// twoPlayers opens a room for Ann (host) and has Bob join it from its link, in two browser
// contexts; it resolves once both see the game start. prepare(a, b) runs on the two pages
// before either loads (init scripts, listeners); hostPath is where Ann's page opens.
export async function twoPlayers(browser, url, { hostView = DESKTOP, guestView = DESKTOP, prepare = null, hostPath = '/' } = {}) {
  const host = await newPlayer(browser, url, { viewport: hostView });
  const guest = await newPlayer(browser, url, { viewport: guestView });
  const a = host.page;
  const b = guest.page;
  if (prepare) await prepare(a, b);
  await a.goto(hostPath);
  await a.fill('#name', 'Ann');
  await a.click('#create-form button');
  const code = (await waitText(a, '#invite-code', /^\w{6}$/)).trim();
  await b.goto(`/?room=${code}`);
  await b.fill('#name', 'Bob');
  await b.keyboard.press('Enter');
  await waitText(a, '#status', /^Your turn/);
  await waitText(b, '#status', /Ann’s turn/);
  return { host, guest, a, b, code };
}
