// `npm test`: the whole suite. It first makes sure the system tools the tests drive are there
// (a real registry, skopeo, umoci, Chromium, Firefox ESR, WebKitGTK, Xvfb…): as root it installs
// missing Debian packages, otherwise it stops with the exact command to run. It never skips a
// suite silently. Then: type checks, a production build (the e2e tests drive it), unit +
// integration tests, end-to-end tests in Chromium, the main paths in Chromium, Firefox ESR and
// WebKitGTK (the `engines` project), and one closing line `tests: N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

/** Debian package → a command it provides that the tests use. */
const NEEDED = {
  'docker-registry': 'docker-registry',
  skopeo: 'skopeo',
  umoci: 'umoci',
  chromium: 'chromium',
  zstd: 'zstd',
  openssl: 'openssl',
  tar: 'tar',
  gzip: 'gzip',
  podman: 'podman',
  // Judges of the package readers: rpm/rpmbuild write rpm databases, db5.3_load a BerkeleyDB
  // one; dpkg-query lists a status file; python3's difflib and tarfile judge the comparison.
  rpm: 'rpmbuild',
  'db5.3-util': 'db5.3_load',
  dpkg: 'dpkg-query',
  python3: 'python3',
  diffutils: 'diff',
  // eStargz fixtures: stargz-snapshotter's ctr-remote converts an image through a containerd
  // daemon the test starts by PID (tests/integration/estargz.test.ts).
  containerd: 'containerd',
  'stargz-snapshotter': 'ctr-remote',
  // The main paths in other engines (tests/e2e/engines): Firefox ESR over WebDriver BiDi,
  // WebKitGTK through its WebDriver (which brings the MiniBrowser), on an Xvfb display.
  'firefox-esr': 'firefox-esr',
  'webkit2gtk-driver': 'WebKitWebDriver',
  xvfb: 'Xvfb',
};

const onPath = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

function ensureSystemPackages() {
  const missing = Object.entries(NEEDED)
    .filter(([, cmd]) => !onPath(cmd))
    .map(([pkg]) => pkg);
  if (missing.length === 0) return;
  const install = `apt-get update && apt-get install -y ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    console.error(
      `npm test needs these Debian packages: ${missing.join(', ')}\nInstall them with:\n  sudo sh -c '${install}'`,
    );
    process.exit(1);
  }
  console.log(`Installing missing Debian packages: ${missing.join(', ')}`);
  run('sh', ['-c', install], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  const still = Object.entries(NEEDED)
    .filter(([, cmd]) => !onPath(cmd))
    .map(([pkg]) => pkg);
  if (still.length) {
    console.error(`still missing after apt-get: ${still.join(', ')}`);
    process.exit(1);
  }
}

function run(cmd, args, opts = {}) {
  console.log(`\n▶ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    console.error(`\n✗ ${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
    return false;
  }
  return true;
}

ensureSystemPackages();
mkdirSync('.tmp', { recursive: true });

const failedSteps = [];
const step = (name, cmd, args) => {
  if (!run(cmd, args)) failedSteps.push(name);
};
step('type check', 'npm', ['run', '--silent', 'check']);
step('build', 'npx', ['vite', 'build', '--logLevel', 'warn']);

const results = [];
for (const project of ['unit', 'e2e', 'engines']) {
  const out = `.tmp/vitest-${project}.json`;
  rmSync(out, { force: true });
  step(`${project} tests`, 'npx', [
    'vitest',
    'run',
    '--project',
    project,
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${out}`,
  ]);
  if (existsSync(out)) results.push(JSON.parse(readFileSync(out, 'utf8')));
}

const sum = (k) => results.reduce((n, r) => n + (r[k] ?? 0), 0);
const passed = sum('numPassedTests');
const failed = sum('numFailedTests');
const skipped = sum('numPendingTests') + sum('numTodoTests');
if (failedSteps.length) console.error(`\nfailed steps: ${failedSteps.join(', ')}`);
if (passed === 0) console.error('no test ran');
console.log(`\ntests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failedSteps.length === 0 && failed === 0 && passed > 0 ? 0 : 1);
