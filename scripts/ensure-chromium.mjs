#!/usr/bin/env node
/**
 * Makes sure Debian's Chromium is installed, for the profiler's flame-graph test (it renders the
 * HTML report in headless Chromium through playwright-core; `npx playwright install` cannot
 * download browsers on these machines). Run by `pnpm test` before the tests, so the README's
 * test command sets everything up on a fresh Debian machine.
 *
 *   node scripts/ensure-chromium.mjs
 *
 * When /usr/bin/chromium (or HEAPKIT_CHROMIUM) exists: nothing to do. Otherwise it installs the
 * `chromium` package with apt-get, as root or through `sudo -n`. When that is not possible it
 * says how to install it and exits 0: the browser test then fails with its own clear message.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const chromium = process.env.HEAPKIT_CHROMIUM || '/usr/bin/chromium';
if (existsSync(chromium)) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const canSudo = !isRoot && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasApt || (!isRoot && !canSudo)) {
  console.warn(
    `ensure-chromium: ${chromium} is missing and cannot be installed here; install Debian's chromium ` +
      '(apt-get install -y chromium) or set HEAPKIT_CHROMIUM, or the flame-graph test will fail',
  );
  process.exit(0);
}
const prefix = isRoot ? [] : ['sudo', '-n'];
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
console.log('ensure-chromium: installing Debian chromium (apt-get) for the profiler flame-graph test');
for (const args of [
  ['apt-get', 'update', '-qq'],
  ['apt-get', 'install', '-y', '-qq', 'chromium'],
]) {
  const [command, ...rest] = [...prefix, ...args];
  const result = spawnSync(command, rest, { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (result.status !== 0) {
    console.warn(`ensure-chromium: ${args.slice(0, 2).join(' ')} failed (status ${result.status})`);
    process.exit(0);
  }
}
console.log(`ensure-chromium: ${existsSync(chromium) ? 'installed' : 'still missing after apt-get'}`);
