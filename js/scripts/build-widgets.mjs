// Bundle the widget views (plotly.js included, once) into the lab extension's static folder, the
// one place the wheel ships it (the Python side's inline fallback reads it from there too). Runs
// after `jupyter-builder build`, which wipes that folder.
import { statSync } from 'node:fs';
import { build } from 'esbuild';

const out = 'symtorch_lab/labextension/static/widgets.js';
const start = performance.now();
await build({
  entryPoints: ['js/src/widgets/index.ts'],
  bundle: true,
  format: 'esm',
  minify: true,
  target: 'es2020',
  outfile: out,
  legalComments: 'linked',
  logLevel: 'warning'
});
const mb = (statSync(out).size / 1e6).toFixed(2);
console.log(`widgets.js ${mb} MB in ${Math.round(performance.now() - start)} ms`);
