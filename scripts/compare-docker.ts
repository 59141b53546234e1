/**
 * A manual check against a real Docker daemon (not part of npm test: CI has no daemon): loads
 * ARCHIVE into a fresh in-memory Layerscope store and into Docker (`docker load`), then runs each
 * `;`-separated command in both and reports IDENTICAL or prints both outputs. Docker is reached
 * the way the docker CLI reaches it (DOCKER_HOST). Sizes match Docker's with the overlay2 driver
 * (Docker's default); vfs counts layers differently (the sum of tar header sizes).
 *   DOCKER_HOST=unix:///tmp/docker.sock node --import tsx scripts/compare-docker.ts image.tar \
 *     "images;history IMAGE;system df -v;image inspect --format '{{.Id}} {{.Size}}' IMAGE"
 */
import { execFileSync } from 'node:child_process';
import { openAsBlob } from 'node:fs';
import { testEngine } from '../tests/helpers/engine.ts';
const docker = (args: string[]) => {
  try {
    return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    return `ERR ${(e as { stderr?: string }).stderr}`;
  }
};
const file = process.argv[2]!;
const engine = await testEngine();
const r = await engine.importArchive('j', await openAsBlob(file), () => {});
console.log('ours loaded:', JSON.stringify(r).slice(0, 200));
console.log('docker load:', docker(['load', '-i', file]).trim());
const ours = async (line: string) => {
  let out = '';
  await engine.run('c', line, { stdout: (t) => (out += t), stderr: (t) => (out += `ERR ${t}`) });
  return out;
};
for (const cmd of (process.argv[3] ?? '').split(';').filter(Boolean)) {
  const a = await ours(`docker ${cmd}`);
  const b = docker(cmd.match(/'[^']*'|\S+/g)!.map((x) => x.replace(/^'|'$/g, '')));
  console.log(`\n=== docker ${cmd}: ${a === b ? 'IDENTICAL' : 'DIFFERENT'}`);
  if (a !== b) {
    console.log('--- ours\n' + a + '--- docker\n' + b);
  }
}
