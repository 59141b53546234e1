#!/usr/bin/env node
/**
 * `npm start`: build the app with Vite, then serve dist/ and the CORS proxy
 * on one origin (scripts/serve.ts, run through tsx's loader).
 *
 *   npm start                  build, then serve on http://127.0.0.1:${PORT || 8080}/
 *   npm start -- --no-build    serve the existing dist/ without rebuilding
 *   npm start -- --log         print a line per request (also LOG=1); quiet otherwise
 *   npm start -- --sourcemaps  build with source maps and serve them (not shipped by default)
 *
 * The environment (PORT, HOST, LAYERSCOPE_DIST_DIR, PROXY_*) is passed through; SIGINT/SIGTERM go to
 * the child, and its exit code becomes ours.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** Runs `node ...args` in the project root; resolves to its exit code (signals become 128+n). */
function run(args, env = process.env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
    const forward = (signal) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('error', (e) => {
      console.error(`layerscope: could not start node: ${e.message}`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1));
    });
  });
}

const args = process.argv.slice(2);
const unknown = args.filter((a) => !['--no-build', '--log', '--sourcemaps'].includes(a));
if (unknown.length) {
  console.error(`layerscope: unknown option ${unknown.join(' ')} (known: --no-build, --log, --sourcemaps)`);
  process.exit(2);
}
const skipBuild = args.includes('--no-build');
const sourceMaps = args.includes('--sourcemaps');
if (!skipBuild) {
  let viteBin;
  try {
    viteBin = join(dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
  } catch {
    console.error('layerscope: vite is not installed; run `npm install` first');
    process.exit(1);
  }
  console.log('layerscope: building the app (vite build)…');
  const code = await run([viteBin, 'build'], sourceMaps ? { ...process.env, LAYERSCOPE_SOURCEMAP: '1' } : process.env);
  if (code !== 0) {
    console.error(`layerscope: vite build failed (exit ${code})`);
    process.exit(code);
  }
} else if (!existsSync(join(process.env.LAYERSCOPE_DIST_DIR || join(root, 'dist'), 'index.html'))) {
  console.error('layerscope: dist/index.html not found; run without --no-build');
  process.exit(1);
}

const serveArgs = args.filter((a) => a === '--log' || a === '--sourcemaps');
process.exit(await run(['--import', 'tsx', join('scripts', 'serve.ts'), ...serveArgs]));
