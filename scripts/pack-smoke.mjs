#!/usr/bin/env node
/**
 * Per-package install check: packs every public package (see PACKAGES) with `pnpm pack`,
 * installs the tarballs with plain npm into an empty scratch project outside the workspace, and
 * runs each package's README example there, as a user who copied it would.
 *
 *   node scripts/pack-smoke.mjs [--keep] [--readme <package-dir>=<path>]...
 *
 * Assumes the packages are built (`dist/` present). The example is the first ```js or ```ts code
 * block of the package's README.md, run as an ES module with plain `node`, so a ```ts block must
 * also be valid JavaScript (no type annotations). `--readme arena-allocator=/tmp/README.md` takes
 * the example from another file (to try an example before it lands). `--keep` keeps the scratch
 * directory (removed otherwise, also on failure). Exits non-zero with the failing step's output on
 * any failure.
 * No dependencies: Node's standard library only.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Package directories under packages/, in install order (dependencies first). */
const PACKAGES = ['memory', 'arena-allocator', 'refcount', 'gc-generational', 'profiler'];
const STEP_TIMEOUT_MS = 120_000;
const IS_WINDOWS = process.platform === 'win32';

/** The scratch directory (tarballs + project), once created. */
let scratch;

const args = process.argv.slice(2);
const keep = args.includes('--keep');
const readmeOverrides = new Map();
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--readme') {
    const value = args[++i] ?? '';
    const at = value.indexOf('=');
    const dir = value.slice(0, Math.max(at, 0));
    const file = value.slice(at + 1);
    if (at < 1 || !file || !PACKAGES.includes(dir)) {
      fail(`usage: --readme <${PACKAGES.join('|')}>=<path to a README.md>, got ${value}`);
    }
    readmeOverrides.set(dir, path.resolve(file));
  } else if (args[i] !== '--keep') {
    fail(`unknown argument ${args[i]} (usage: node scripts/pack-smoke.mjs [--keep] [--readme dir=path]...)`);
  }
}

function step(message) {
  console.log(`pack-smoke: ${message}`);
}

function fail(message, output = '') {
  console.error(`pack-smoke: FAILED: ${message}`);
  if (output.trim()) console.error(output.trimEnd().replace(/^/gm, '  | '));
  if (scratch && keep) console.error(`pack-smoke: scratch directory kept: ${scratch}`);
  else if (scratch) {
    rmSync(scratch, { recursive: true, force: true });
    console.error('pack-smoke: rerun with --keep to keep the scratch project for inspection');
  }
  process.exit(1);
}

/** The environment without the npm_* variables pnpm/npm set for scripts, so children start clean. */
function cleanEnv() {
  const env = { ...process.env, npm_config_update_notifier: 'false' };
  for (const key of Object.keys(env)) {
    if (/^npm_(config_(?!update_notifier)|package_|lifecycle_|execpath|node_execpath|command)/i.test(key)) {
      delete env[key];
    }
  }
  return env;
}

/** Runs a command, returning its combined output; on failure exits with `what` and the output. */
function run(what, command, commandArgs, cwd) {
  try {
    return execFileSync(command, commandArgs, {
      cwd,
      env: cleanEnv(),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: STEP_TIMEOUT_MS,
      shell: IS_WINDOWS && command !== process.execPath, // pnpm/npm are .cmd shims on Windows
    });
  } catch (error) {
    const output = [error.stdout, error.stderr].filter(Boolean).join('\n');
    const why = error.signal
      ? `killed by ${error.signal} (timeout ${STEP_TIMEOUT_MS} ms?)`
      : `exit ${error.status}`;
    fail(`${what}: \`${command} ${commandArgs.join(' ')}\` failed (${why})`, output || String(error.message));
  }
}

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** The first ```js / ```ts (or javascript / typescript / mjs) fenced block of a Markdown file. */
function firstExample(markdown) {
  const match = /^```(?:js|ts|javascript|typescript|mjs)[ \t]*\r?\n([\s\S]*?)^```[ \t]*$/m.exec(markdown);
  return match ? match[1] : undefined;
}

// 1. The packages are built.
const packages = PACKAGES.map((dir) => {
  const packageDir = path.join(ROOT, 'packages', dir);
  const manifest = readJson(path.join(packageDir, 'package.json'));
  for (const file of ['dist/index.js', 'dist/index.d.ts']) {
    if (!existsSync(path.join(packageDir, file))) {
      fail(
        `packages/${dir}/${file} is missing: build first ` +
          `(pnpm --filter ${PACKAGES.map((d) => `./packages/${d}`).join(' --filter ')} build, or pnpm build)`,
      );
    }
  }
  return { dir, packageDir, name: manifest.name, version: manifest.version };
});
step(`dist/ present in ${packages.map((p) => p.name).join(', ')}`);

// 2. Each README has an example (checked before the slow steps).
for (const pkg of packages) {
  const readme = readmeOverrides.get(pkg.dir) ?? path.join(pkg.packageDir, 'README.md');
  const shown = path.relative(ROOT, readme).startsWith('..') ? readme : path.relative(ROOT, readme);
  if (!existsSync(readme)) fail(`${shown} not found: ${pkg.name} needs a README with a runnable example`);
  pkg.example = firstExample(readFileSync(readme, 'utf8'));
  if (pkg.example === undefined) fail(`${shown} has no \`\`\`js or \`\`\`ts code block to run`);
  pkg.readme = shown;
  step(`example found in ${shown} (${pkg.example.split('\n').length - 1} lines)`);
}

scratch = mkdtempSync(path.join(os.tmpdir(), 'heapkit-pack-smoke-'));
const tarballDir = path.join(scratch, 'tarballs');
const project = path.join(scratch, 'project');

// 3. pnpm pack, which rewrites `workspace:^` dependencies to real version ranges.
for (const pkg of packages) {
  const destination = path.join(tarballDir, pkg.dir);
  run(`pnpm pack ${pkg.name}`, 'pnpm', ['pack', '--pack-destination', destination], pkg.packageDir);
  const tarballs = readdirSync(destination).filter((f) => f.endsWith('.tgz'));
  if (tarballs.length !== 1) {
    fail(`pnpm pack ${pkg.name}: expected one .tgz in ${destination}, found [${tarballs.join(', ')}]`);
  }
  pkg.tarball = path.join(destination, tarballs[0]);
  step(`packed ${pkg.name} -> ${tarballs[0]}`);
}

// 4. An empty npm project outside the workspace.
mkdirSync(project);
run('npm init', 'npm', ['init', '-y'], project);
const projectManifest = readJson(path.join(project, 'package.json'));
projectManifest.type = 'module';
projectManifest.private = true;
writeFileSync(path.join(project, 'package.json'), `${JSON.stringify(projectManifest, null, 2)}\n`);
step(`scratch project ${project} (npm init -y, "type": "module")`);

// 5. Install every tarball in one npm command. The tarballs must satisfy each other: the lockfile
// check below fails if any @heapkit/* package came from anywhere else. Third-party dependencies
// (the profiler's commander and pprof-format) come from npm's cache, or from the registry when
// the cache does not have them (--prefer-offline).
run(
  'npm install',
  'npm',
  ['install', '--prefer-offline', '--no-audit', '--no-fund', ...packages.map((p) => p.tarball)],
  project,
);
const lock = readJson(path.join(project, 'package-lock.json'));
for (const pkg of packages) {
  const entry = lock.packages?.[`node_modules/${pkg.name}`];
  if (!entry) fail(`npm install: ${pkg.name} is not in package-lock.json`, JSON.stringify(lock, null, 2));
  if (!String(entry.resolved).startsWith('file:')) {
    fail(`npm install: ${pkg.name} resolved to ${entry.resolved}, not the packed tarball`);
  }
  if (entry.version !== pkg.version) {
    fail(`npm install: ${pkg.name} is ${entry.version}, packed ${pkg.version}`);
  }
  const installed = readJson(path.join(project, 'node_modules', pkg.name, 'package.json'));
  const workspaceDeps = Object.entries(installed.dependencies ?? {})
    .filter(([, range]) => range.startsWith('workspace:'))
    .map(([name, range]) => `${name}@${range}`);
  if (workspaceDeps.length > 0) {
    fail(`${pkg.name}: the packed package.json still has workspace ranges: ${workspaceDeps.join(', ')}`);
  }
}
const nested = Object.keys(lock.packages ?? {}).filter((key) => /node_modules\/.+\/node_modules\//.test(key));
if (nested.length > 0) fail(`npm install: nested copies instead of one shared install: ${nested.join(', ')}`);
step(
  `npm install of ${packages.length} tarballs: ok (every @heapkit package from its tarball, none from a registry)`,
);

// 6. Each README example, as an ES module with plain node.
for (const pkg of packages) {
  const installedReadme = path.join(project, 'node_modules', pkg.name, 'README.md');
  if (!readmeOverrides.has(pkg.dir) && !existsSync(installedReadme)) {
    fail(`${pkg.name}: README.md is not in the packed tarball (check "files" in its package.json)`);
  }
  const file = `example-${pkg.dir}.mjs`;
  writeFileSync(path.join(project, file), pkg.example);
  let output;
  try {
    output = execFileSync(process.execPath, [file], {
      cwd: project,
      env: cleanEnv(),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: STEP_TIMEOUT_MS,
    });
  } catch (error) {
    const out = [error.stdout, error.stderr].filter(Boolean).join('\n');
    const hint = /SyntaxError/.test(out)
      ? ' (README examples run as plain JavaScript: a ```ts block must not use type annotations)'
      : '';
    const why = error.signal ? `killed by ${error.signal}` : `exit ${error.status}`;
    fail(`README example of ${pkg.name} (${pkg.readme}) failed: ${why}${hint}`, out || String(error.message));
  }
  step(`ok: ${pkg.name} README example runs from the packed tarball (${countLines(output)} lines of output)`);
}

if (keep) step(`kept ${scratch}`);
else rmSync(scratch, { recursive: true, force: true });
step(`all ${packages.length} packages install from their tarballs and run their README examples`);

function countLines(text) {
  return text.split('\n').filter((line) => line.length > 0).length;
}
