#!/usr/bin/env node
// The `heapkit-profile` command. It lives outside dist/ so that `pnpm install` can link it before
// anything is built; it runs the built CLI (dist/cli.js, made by `pnpm build`).
try {
  await import('../dist/cli.js');
} catch (error) {
  const code = /** @type {{ code?: string, url?: string }} */ (error).code;
  if (code !== 'ERR_MODULE_NOT_FOUND' || !String(error).includes('dist/cli.js')) throw error;
  console.error('heapkit-profile: not built yet (no dist/cli.js): run `pnpm build` first');
  process.exitCode = 1;
}
