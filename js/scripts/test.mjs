// JS unit tests: bundle each js/test/*.test.ts with esbuild (TypeScript, imports resolved) into a
// temporary folder and run them with node's built-in test runner. Tests import only modules that
// do not load plotly.js or touch a browser DOM; browser behaviour is tested in tests/ui.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';

const dir = 'js/test';
const tests = readdirSync(dir).filter(name => name.endsWith('.test.ts'));
const out = mkdtempSync(join(tmpdir(), 'stl-js-test-'));
try {
  await build({
    entryPoints: tests.map(name => join(dir, name)),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outdir: out,
    outExtension: { '.js': '.mjs' },
    // CommonJS dependencies (@lumino/coreutils) require node builtins such as crypto
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);"
    },
    logLevel: 'warning'
  });
  const files = readdirSync(out).map(name => join(out, name));
  const run = spawnSync(process.execPath, ['--test', ...files], { stdio: 'inherit' });
  process.exitCode = run.status ?? 1;
} finally {
  rmSync(out, { recursive: true, force: true });
}
