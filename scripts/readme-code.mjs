#!/usr/bin/env node
/**
 * Checks that every code example in the repository's READMEs typechecks and runs.
 *
 *   node scripts/readme-code.mjs [--keep] [README.md ...]
 *
 * Every fenced block whose info string starts with `js`, `ts`, `javascript`, `typescript` or
 * `mjs` in the README files (the root one, `packages/*`, `examples/*`, `bench/`; or the files
 * given) is written as a module into `.readme-code/` inside the README's own package, so its
 * imports resolve as a user's would (the workspace packages, built: `dist/` and its `.d.ts`; the
 * root README's blocks go to `bench/`, which depends on every package). Then:
 *
 * 1. One TypeScript program typechecks them all, strictly (`strict`, `noImplicitAny`), and with
 *    `checkJs` for JavaScript blocks: a `js` block types its parameters with JSDoc.
 * 2. Each block runs with plain `node` (a `ts` block after its types are stripped with
 *    `ts.transpileModule`), from its package directory, and must exit with status 0.
 *
 * A block that documents a signature rather than code says so in its info string:
 * ```` ```ts signature ````. Such blocks are skipped and listed in the output.
 *
 * Prints one `readme-code: ok: <file> block <n>` line per block that passed, and exits non-zero
 * with the compiler's diagnostics or the failing block's output otherwise. `--keep` keeps the
 * generated files (they are removed otherwise, also on failure).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = '.readme-code';
const RUN_TIMEOUT_MS = 60_000;
const FENCE = /^```(js|ts|javascript|typescript|mjs)\b([^\n]*)\n([\s\S]*?)^```[ \t]*$/gm;

const args = process.argv.slice(2);
const keep = args.includes('--keep');
const readmes = args.filter((a) => a !== '--keep').map((file) => path.resolve(file));
for (const arg of args) {
  if (arg.startsWith('-') && arg !== '--keep')
    fail(`unknown option ${arg} (usage: [--keep] [README.md ...])`);
}
if (readmes.length === 0) readmes.push(...defaultReadmes());

/** @type {Set<string>} directories holding generated files, removed at the end */
const generatedDirs = new Set();

/** @param {string} message @param {string} [output] @returns {never} */
function fail(message, output = '') {
  console.error(`readme-code: FAILED: ${message}`);
  if (output.trim()) console.error(output.trimEnd().replace(/^/gm, '  | '));
  cleanUp();
  process.exit(1);
}

function cleanUp() {
  if (keep) {
    for (const dir of generatedDirs) console.error(`readme-code: kept ${path.relative(ROOT, dir)}`);
    return;
  }
  for (const dir of generatedDirs) rmSync(dir, { recursive: true, force: true });
}

/** The root README, then those of packages/*, examples/* and bench. */
function defaultReadmes() {
  const found = [path.join(ROOT, 'README.md')];
  for (const group of ['packages', 'examples']) {
    for (const name of readdirSync(path.join(ROOT, group)).sort()) {
      const file = path.join(ROOT, group, name, 'README.md');
      if (existsSync(file)) found.push(file);
    }
  }
  found.push(path.join(ROOT, 'bench', 'README.md'));
  return found;
}

/** Where a README's blocks run: its own package, or bench for the root README. */
function packageDirOf(readme) {
  const dir = path.dirname(readme);
  return dir === ROOT ? path.join(ROOT, 'bench') : dir;
}

// 1. Extract the blocks.
/** @type {{ readme: string, index: number, file: string, cwd: string, ts: boolean }[]} */
const blocks = [];
const skipped = [];
for (const readme of readmes) {
  if (!existsSync(readme)) fail(`no such README: ${readme}`);
  const markdown = readFileSync(readme, 'utf8');
  const cwd = packageDirOf(readme);
  const outDir = path.join(cwd, OUT_DIR);
  const slug = path
    .relative(ROOT, readme)
    .replace(/[^A-Za-z0-9]+/g, '-')
    .toLowerCase();
  let index = 0;
  for (const match of markdown.matchAll(FENCE)) {
    index++;
    const [, lang, info, code] = match;
    const where = `${path.relative(ROOT, readme)} block ${index}`;
    if (/\bsignature\b/.test(info)) {
      skipped.push(where);
      continue;
    }
    const isTs = lang === 'ts' || lang === 'typescript';
    mkdirSync(outDir, { recursive: true });
    generatedDirs.add(outDir);
    const file = path.join(outDir, `${slug}-${index}.${isTs ? 'mts' : 'mjs'}`);
    // `export {}` makes every block a module (top-level await, no clashes between blocks).
    writeFileSync(file, `${code}\nexport {};\n`);
    blocks.push({ readme, index, file, cwd, ts: isTs });
  }
}
for (const where of skipped) console.log(`readme-code: skipped (signature): ${where}`);
if (blocks.length === 0) fail('no code blocks found');

// 2. Typecheck them all in one program.
const options = {
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2022.d.ts', 'lib.es2024.arraybuffer.d.ts', 'lib.es2024.sharedmemory.d.ts', 'lib.dom.d.ts'],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  allowJs: true,
  checkJs: true,
  noEmit: true,
  skipLibCheck: true,
  types: ['node'],
  typeRoots: [path.join(ROOT, 'node_modules', '@types')],
};
const program = ts.createProgram(
  blocks.map((b) => b.file),
  options,
);
const diagnostics = ts.getPreEmitDiagnostics(program);
if (diagnostics.length > 0) {
  const host = {
    getCanonicalFileName: (/** @type {string} */ f) => f,
    getCurrentDirectory: () => ROOT,
    getNewLine: () => '\n',
  };
  fail(
    `${diagnostics.length} type error(s) in README code (run with --keep to see the generated files)`,
    ts.formatDiagnostics(diagnostics, host),
  );
}

// 3. Run the blocks, two at a time (each is its own `node` process).
/** @param {(typeof blocks)[number]} block */
async function runBlock(block) {
  const where = `${path.relative(ROOT, block.readme)} block ${block.index}`;
  let runFile = block.file;
  if (block.ts) {
    const source = readFileSync(block.file, 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
      fileName: block.file,
    });
    runFile = block.file.replace(/\.mts$/, '.run.mjs');
    writeFileSync(runFile, outputText);
  }
  try {
    await execFileAsync(process.execPath, [runFile], {
      cwd: block.cwd,
      encoding: 'utf8',
      timeout: RUN_TIMEOUT_MS,
    });
  } catch (error) {
    const e = /** @type {{ code?: number, signal?: string | null, stdout?: string, stderr?: string }} */ (
      error
    );
    const why = e.signal ? `killed by ${e.signal}` : `exit ${e.code}`;
    const output = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    fail(`${where} does not run (${why}); generated file: ${path.relative(ROOT, block.file)}`, output);
  }
  return where;
}
const queue = [...blocks];
const passed = new Map();
await Promise.all(
  [0, 1].map(async () => {
    for (let block = queue.shift(); block !== undefined; block = queue.shift()) {
      passed.set(block, await runBlock(block));
    }
  }),
);
for (const block of blocks) console.log(`readme-code: ok: ${passed.get(block)}`);
cleanUp();
