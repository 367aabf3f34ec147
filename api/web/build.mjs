// Bundles the pages into dist/: one script, one stylesheet (bpmn-js, diagram-js, the properties panel and the
// bpmn font included) and the font files, with content hashes in their names. dist/manifest.json maps the
// logical names (app.js, app.css) to the hashed files; the Flask blueprint reads it to write the page.
// Nothing is loaded from the internet at page load: every url() in the CSS is bundled here.
import { build } from 'esbuild';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: { app: 'src/main.js' },
  bundle: true,
  minify: true,
  sourcemap: false,
  format: 'iife',
  target: ['chrome110', 'firefox110', 'safari16'],
  outdir: dist,
  entryNames: '[name]-[hash]',
  assetNames: 'assets/[name]-[hash]',
  loader: { '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.eot': 'file', '.svg': 'file' },
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});

const manifest = {};
for (const file of Object.keys(result.metafile.outputs)) {
  const name = basename(file);
  if (/^app-\w+\.js$/.test(name)) manifest['app.js'] = name;
  if (/^app-\w+\.css$/.test(name)) manifest['app.css'] = name;
}
if (!manifest['app.js'] || !manifest['app.css']) throw new Error(`incomplete build: ${JSON.stringify(manifest)}`);
await writeFile(join(dist, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
await writeFile(join(dist, '.built'), new Date().toISOString() + '\n');
console.log(`built ${Object.values(manifest).join(', ')} into ${dist}`);
