// npm run bench: the layer ingest benchmark (bench/ingest.ts), run through tsx.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// `npm run bench -- union` / `-- pull` / `-- compare` / `-- proxy` / `-- packages` / `-- peek` / `-- peek-lazy` / `-- scale`:
// bench/union.ts, bench/pull.ts, bench/compare.ts, bench/proxy.ts, bench/packages.ts, bench/peek.ts, bench/peek-lazy.ts, bench/scale.ts
// (their own RESULTS.md sections).
const [first, ...rest] = process.argv.slice(2);
const own = ['union', 'pull', 'compare', 'proxy', 'packages', 'peek', 'peek-lazy', 'scale'].includes(first);
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', own ? `bench/${first}.ts` : 'bench/ingest.ts', ...(own ? rest : process.argv.slice(2))],
  { cwd: root, stdio: 'inherit' },
);
process.exit(r.status ?? 1);
