// Static checks of frontend/site that need no browser: the first load's compressed size, the
// production Content-Security-Policy's demands (no inline script or style, no eval, no HTML
// built from strings), and that every file the page names exists.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join, dirname, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SITE_DIR } from './harness.mjs';

// The budget for everything the first page load fetches, compressed.
const BUDGET_BYTES = 30 * 1024;
// NGINX in production (frontend/nginx/nginx.conf): gzip_comp_level 5, gzip_min_length 256.
const GZIP_LEVEL = 5;
const GZIP_MIN_LENGTH = 256;
// config.js is written per deployment, outside the site directory; this is its production form.
const CONFIG_JS = 'window.TICTACTOE_CONFIG = {"webSocketUrl": "wss://abcdefghij.execute-api.eu-west-1.amazonaws.com/prod"};\n';

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

// importsIn finds an ES module's static and dynamic imports of relative paths.
function importsIn(js) {
  const out = [];
  for (const m of js.matchAll(/\bimport\s*(?:[^'"()]*?\sfrom\s*)?['"](\.{1,2}\/[^'"]+)['"]/g)) out.push(m[1]);
  for (const m of js.matchAll(/\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g)) out.push(m[1]);
  return out;
}

// firstLoad is every site file the first visit fetches, as paths relative to the site.
function firstLoad() {
  const files = new Set(['index.html']);
  const queue = urlsIn(readFileSync(join(SITE_DIR, 'index.html'), 'utf8')).map((u) => u.replace(/^\//, ''));
  while (queue.length) {
    const rel = queue.shift();
    if (rel === 'config.js' || files.has(rel)) continue;
    files.add(rel);
    const path = join(SITE_DIR, rel);
    assert.ok(existsSync(path), `index.html loads ${rel}, which is not in frontend/site`);
    if (rel.endsWith('.mjs') || rel.endsWith('.js')) {
      for (const imp of importsIn(readFileSync(path, 'utf8'))) {
        queue.push(relative(SITE_DIR, resolve(dirname(path), imp)));
      }
    }
  }
  return [...files];
}

function siteFiles(dir = SITE_DIR) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? siteFiles(p) : [relative(SITE_DIR, p)];
  });
}

test('first load is under 30 KB compressed', () => {
  const files = firstLoad();
  assert.ok(files.includes('js/main.mjs') && files.includes('css/site.css'), `first load found: ${files}`);
  let total = sentBytes(Buffer.from(CONFIG_JS));
  const lines = [];
  for (const f of files) {
    const raw = readFileSync(join(SITE_DIR, f));
    const sent = sentBytes(raw);
    total += sent;
    lines.push(`${f}: ${raw.length} B, ${sent} B sent`);
  }
  lines.push(`total with config.js: ${total} B of ${BUDGET_BYTES} B`);
  console.log(lines.join('\n'));
  assert.ok(total < BUDGET_BYTES, `first load is ${total} B compressed, over the ${BUDGET_BYTES} B budget`);
});

test('every site module is part of the first load (nothing dead, nothing fetched later)', () => {
  const loaded = new Set(firstLoad());
  const modules = siteFiles().filter((f) => f.endsWith('.mjs') || f.endsWith('.js'));
  for (const m of modules) assert.ok(loaded.has(m), `${m} is in the site but no page loads it`);
});

test('pages keep to the production CSP: no inline script, inline style or handler attribute', () => {
  for (const f of siteFiles().filter((f) => f.endsWith('.html'))) {
    const html = readFileSync(join(SITE_DIR, f), 'utf8');
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

test('scripts never build HTML from strings, evaluate code, or set inline styles', () => {
  const forbidden = [
    [/\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write/, 'HTML from strings (use textContent)'],
    [/\beval\s*\(|new\s+Function\s*\(|set(?:Timeout|Interval)\s*\(\s*['"`]/, 'code from strings (CSP has no unsafe-eval)'],
    [/setAttribute\(\s*['"]style['"]|\.style\.|cssText/, 'inline styles (CSP has no unsafe-inline for styles)'],
    [/https?:\/\/(?!www\.w3\.org)/, 'a URL of another origin (no CDN)'],
  ];
  for (const f of siteFiles().filter((f) => /\.(m?js|svg|css)$/.test(f))) {
    const src = readFileSync(join(SITE_DIR, f), 'utf8');
    for (const [re, what] of forbidden) assert.doesNotMatch(src, re, `${f} has ${what}`);
  }
});
