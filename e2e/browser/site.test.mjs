// Static checks of the site that need no browser, on its source (frontend/site) and on the site
// as it ships (built by cmd/sitebuild, package frontend/sitebuild: each script and stylesheet
// minified): the first load's compressed size as sent, the production Content-Security-Policy's
// demands (no inline script or style, no eval, no HTML built from strings), and that every file
// the page names exists.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT, SITE_DIR } from './harness.mjs';

// The budget for everything the first page load fetches, compressed.
const BUDGET_BYTES = 30 * 1024;
// NGINX in production (frontend/nginx/nginx.conf): gzip_comp_level 5, gzip_min_length 256.
const GZIP_LEVEL = 5;
const GZIP_MIN_LENGTH = 256;
// config.js is written per deployment, outside the site directory; this is its production form.
const CONFIG_JS = 'window.TICTACTOE_CONFIG = {"webSocketUrl": "wss://abcdefghij.execute-api.eu-west-1.amazonaws.com/prod"};\n';

// BUILT_DIR is the site as it ships (what the CDK app stages and make dev serves), written by
// cmd/sitebuild from the source as it is now; removed when the tests end.
const BUILT_DIR = mkdtempSync(join(tmpdir(), 'tictactoe-site-'));
after(() => rmSync(BUILT_DIR, { recursive: true, force: true }));
execFileSync(process.env.GO || 'go', ['run', './cmd/sitebuild', '-out', BUILT_DIR], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });

const SITES = [['source', SITE_DIR], ['built', BUILT_DIR]];

function sentBytes(buf) {
  return buf.length < GZIP_MIN_LENGTH ? buf.length : gzipSync(buf, { level: GZIP_LEVEL }).length;
}

// urlsIn finds what index.html makes the browser fetch: scripts, stylesheets, icons.
function urlsIn(html) {
  const urls = [];
  for (const m of html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)) urls.push(m[1]);
  for (const m of html.matchAll(/<link\b[^>]*\bhref="([^"]+)"/g)) urls.push(m[1]);
  return urls;
}

// importsIn finds an ES module's static and dynamic imports (and re-exports) of relative paths,
// written out or minified (`import{a as b}from"./view.mjs"`).
function importsIn(js) {
  const out = [];
  for (const m of js.matchAll(/\b(?:import|export)\s*(?:[^'"()]*?\bfrom\s*)?['"](\.{1,2}\/[^'"]+)['"]/g)) out.push(m[1]);
  for (const m of js.matchAll(/\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g)) out.push(m[1]);
  return out;
}

// firstLoad is every file of the site in dir that the first visit fetches, as paths relative
// to it.
function firstLoad(dir) {
  const files = new Set(['index.html']);
  const queue = urlsIn(readFileSync(join(dir, 'index.html'), 'utf8')).map((u) => u.replace(/^\//, ''));
  while (queue.length) {
    const rel = queue.shift();
    if (rel === 'config.js' || files.has(rel)) continue;
    files.add(rel);
    const path = join(dir, rel);
    assert.ok(existsSync(path), `index.html loads ${rel}, which is not in ${dir}`);
    if (rel.endsWith('.mjs') || rel.endsWith('.js')) {
      for (const imp of importsIn(readFileSync(path, 'utf8'))) {
        queue.push(relative(dir, resolve(dirname(path), imp)));
      }
    }
  }
  return [...files];
}

function siteFiles(dir, under = dir) {
  return readdirSync(under).flatMap((name) => {
    const p = join(under, name);
    return statSync(p).isDirectory() ? siteFiles(dir, p) : [relative(dir, p)];
  });
}

test('first load, as sent, is under 30 KB compressed', () => {
  const files = firstLoad(BUILT_DIR);
  assert.ok(files.includes('js/main.mjs') && files.includes('css/site.css'), `first load found: ${files}`);
  assert.deepEqual(files, firstLoad(SITE_DIR), 'the built site loads other files than its source');
  const config = sentBytes(Buffer.from(CONFIG_JS));
  const total = { source: config, built: config };
  const lines = ['file: source B → built B; sent (gzip level 5) source B → built B'];
  for (const f of files) {
    const src = readFileSync(join(SITE_DIR, f));
    const built = readFileSync(join(BUILT_DIR, f));
    total.source += sentBytes(src);
    total.built += sentBytes(built);
    lines.push(`${f}: ${src.length} → ${built.length} B; sent ${sentBytes(src)} → ${sentBytes(built)} B`);
  }
  lines.push(`first load with config.js, sent: ${total.built} B of ${BUDGET_BYTES} B (the source as it is would send ${total.source} B)`);
  console.log(lines.join('\n'));
  assert.ok(total.built < BUDGET_BYTES, `first load is ${total.built} B compressed as sent, over the ${BUDGET_BYTES} B budget`);
});

test('the built site has exactly the source\'s files', () => {
  assert.deepEqual(siteFiles(BUILT_DIR).sort(), siteFiles(SITE_DIR).sort());
});

for (const [which, dir] of SITES) {
  test(`${which}: every site module is part of the first load (nothing dead, nothing fetched later)`, () => {
    const loaded = new Set(firstLoad(dir));
    const modules = siteFiles(dir).filter((f) => f.endsWith('.mjs') || f.endsWith('.js'));
    for (const m of modules) assert.ok(loaded.has(m), `${m} is in the site but no page loads it`);
  });

  test(`${which}: pages keep to the production CSP: no inline script, inline style or handler attribute`, () => {
    for (const f of siteFiles(dir).filter((f) => f.endsWith('.html'))) {
      const html = readFileSync(join(dir, f), 'utf8');
      const cases = [
        [/<script\b(?![^>]*\bsrc=)[^>]*>/i, 'an inline <script>'],
        [/<style\b/i, 'a <style> block'],
        [/\sstyle\s*=/i, 'a style= attribute'],
        [/\son[a-z]+\s*=/i, 'an on…= event handler attribute'],
        [/\b(?:src|href)="(?:https?:)?\/\//i, 'a file from another origin (no CDN)'],
        [/javascript:/i, 'a javascript: URL'],
      ];
      for (const [re, what] of cases) assert.doesNotMatch(html, re, `${f} has ${what}`);
    }
  });

  test(`${which}: scripts never build HTML from strings, evaluate code, or set inline styles`, () => {
    const forbidden = [
      [/\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write/, 'HTML from strings (use textContent)'],
      [/\beval\s*\(|new\s+Function\s*\(|set(?:Timeout|Interval)\s*\(\s*['"`]/, 'code from strings (CSP has no unsafe-eval)'],
      [/setAttribute\(\s*['"]style['"]|\.style\.|cssText/, 'inline styles (CSP has no unsafe-inline for styles)'],
      [/https?:\/\/(?!www\.w3\.org)/, 'a URL of another origin (no CDN)'],
    ];
    for (const f of siteFiles(dir).filter((f) => /\.(m?js|svg|css)$/.test(f))) {
      const src = readFileSync(join(dir, f), 'utf8');
      for (const [re, what] of forbidden) assert.doesNotMatch(src, re, `${f} has ${what}`);
    }
  });
}
