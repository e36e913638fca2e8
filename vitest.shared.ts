/**
 * Test settings every vitest project shares.
 *
 * Tests run the code the way users run it: as native Node ES modules (`tsx` strips the types of
 * `.ts` sources as Node loads them), not through Vite's module runner. The runner rewrites every
 * imported binding into a property read through a getter on the module's namespace, so a hot
 * loop that reads imported constants or calls imported functions ran 3-13x slower under test
 * than in Node (the gc trashcan test: 181 s against 13 s), and slow machines timed out. No test
 * here uses `vi.mock` or `import.meta.vitest`, which need the runner.
 */
import type { ViteUserConfig } from 'vitest/config';

export const sharedTestOptions = {
  execArgv: ['--import', 'tsx'],
  // nodeLoader (vi.mock without the runner) needs Node 22's module.registerHooks; we use neither.
  experimental: { viteModuleRunner: false, nodeLoader: false },
} satisfies NonNullable<ViteUserConfig['test']>;
