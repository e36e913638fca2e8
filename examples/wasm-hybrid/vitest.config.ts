import { defineProject } from 'vitest/config';
import { sharedTestOptions } from '../../vitest.shared.js';

export default defineProject({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 120_000,
    ...sharedTestOptions,
  },
});
