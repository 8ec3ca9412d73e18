#!/usr/bin/env node
// Compiles src/ to plain JavaScript in dist/ (or the folder given), file for file, so `npm start`
// and the container run `node dist/main.js` without a TypeScript loader in the process: tsx's
// loader thread, its transpiler and the source maps it keeps cost ~80 MB of resident memory in
// the running server (issue #13: the embedded default idles under 300 MB only without them).
// Types are not checked here (`npm run check` does that); esbuild strips them, fast.
//
//   node bin/build.mjs [outdir=dist]
//
// The output sits beside src/ so that paths the code resolves from its own location
// (`../migrations`, the console's assets) point at the same places. Non-TypeScript files of
// src/ (the console's pages and modules) are copied as they are. Test support is left out.
import { cp, mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const out = resolve(root, process.argv[2] ?? 'dist');
if (dirname(out) !== root) throw new Error(`${out}: the output must be a folder beside src/`);

const isTestSupport = (path) =>
  /\.test\.ts$|\.contract\.ts$/.test(path) || path.split('/').includes('testing');

async function* files(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

const sources = [];
const assets = [];
for await (const path of files(src)) {
  const rel = relative(src, path);
  if (isTestSupport(rel)) continue;
  (path.endsWith('.ts') ? sources : assets).push(path);
}

await rm(out, { recursive: true, force: true });
await build({
  entryPoints: sources,
  outdir: out,
  outbase: src,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  bundle: false,
  logLevel: 'warning',
});
for (const path of assets) {
  const target = join(out, relative(src, path));
  await mkdir(dirname(target), { recursive: true });
  await cp(path, target);
}
