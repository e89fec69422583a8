// web/build.mjs OUTDIR: the asset build of seam's web pages (make runs it).
//
// Plain ES modules, no bundler: each file of web/src is copied to
// OUTDIR/assets/NAME.HASH.EXT, HASH the first 12 hex digits of the SHA-256 of
// what is written (after its own imports were renamed), so an asset's name
// changes exactly when its content does and the broker may let browsers keep
// it for a year. The pages (web/src/pages/*.html) name their assets by source
// name ("portal.js"); they are written with the hashed names, and are never
// cached (the broker answers them with no-cache). Nothing is fetched: the
// build needs Node.js and the packages of web/package-lock.json installed in
// web/node_modules (npm ci in web/, which make runs): uPlot, which draws the
// lead console's charts, is copied into the assets as uPlot.js and uPlot.css
// (hashed like the others) with its licence beside it, uPlot.LICENSE.txt.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = dirname(fileURLToPath(import.meta.url));
const SRC = join(WEB, 'src');
const MODULES = join(WEB, 'node_modules');
// Assets from npm packages: the name the pages and modules use -> the package's file.
const VENDOR = {
  'uPlot.js': 'uplot/dist/uPlot.esm.js',
  'uPlot.css': 'uplot/dist/uPlot.min.css',
};
// Their licences, shipped as they are (not hashed: a name to read).
const LICENSES = { 'uPlot.LICENSE.txt': 'uplot/LICENSE' };
const out = process.argv[2];
if (!out) {
  console.error('usage: node web/build.mjs OUTDIR');
  process.exit(2);
}

const hashed = new Map(); // source name -> hashed name
const IMPORT = /(\bfrom\s*|\bimport\s*\(?\s*)(['"])\.\/([\w.-]+)\2/g;

function build(name, seen = []) {
  if (hashed.has(name)) return hashed.get(name);
  if (seen.includes(name)) throw new Error(`import cycle: ${[...seen, name].join(' -> ')}`);
  let text = readFileSync(VENDOR[name] ? join(MODULES, VENDOR[name]) : join(SRC, name), 'utf8');
  if (name.endsWith('.js') && !VENDOR[name]) {
    text = text.replace(IMPORT, (_, head, q, dep) => `${head}${q}./${build(dep, [...seen, name])}${q}`);
  }
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 12);
  const dot = name.lastIndexOf('.');
  const final = `${name.slice(0, dot)}.${hash}${name.slice(dot)}`;
  writeFileSync(join(out, 'assets', final), text);
  hashed.set(name, final);
  return final;
}

for (const file of [...Object.values(VENDOR), ...Object.values(LICENSES)]) {
  if (!existsSync(join(MODULES, file))) {
    console.error(`web: ${join(MODULES, file)} is missing: run npm ci in web/ (make does)`);
    process.exit(1);
  }
}
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });
for (const name of [...readdirSync(SRC), ...Object.keys(VENDOR)]) {
  if (/\.(js|css|svg|txt)$/.test(name)) build(name);
}
for (const [name, file] of Object.entries(LICENSES)) copyFileSync(join(MODULES, file), join(out, 'assets', name));
// A page: web/src/pages/NAME.html; index.html is "/", partner.html "/partner/", lead.html "/lead/".
for (const page of readdirSync(join(SRC, 'pages'))) {
  const html = readFileSync(join(SRC, 'pages', page), 'utf8').replace(
    /(src|href)="([\w.-]+\.(?:js|css|svg))"/g,
    (_, attr, name) => {
      if (!hashed.has(name)) throw new Error(`${page}: no asset ${name}`);
      return `${attr}="/assets/${hashed.get(name)}"`;
    });
  const target = page === 'index.html' ? 'index.html' : join(page.replace(/\.html$/, ''), 'index.html');
  mkdirSync(dirname(join(out, target)), { recursive: true });
  writeFileSync(join(out, target), html);
}
// The page files last: make's target is index.html, so a build cut short is run again.
console.log(`web: ${hashed.size} assets and the pages in ${out}`);
