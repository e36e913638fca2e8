import { defineConfig } from 'vitest/config';
import { sharedTestOptions } from './vitest.shared.js';

export default defineConfig({
  test: {
    projects: [
      'packages/*',
      'bench',
      'examples/*',
      // Repository-wide checks (README code blocks, the bins after a build): scripts/*.test.ts.
      { test: { name: 'repo', include: ['scripts/**/*.test.ts'], ...sharedTestOptions } },
    ],
  },
});
