import { defineConfig } from 'vitest/config';

// Two projects: `unit` is the fast, I/O-free suite that `npm run check` runs;
// `integration` talks to a real Redis and to local HTTP stand-ins for Slack and Cloudflare.
export default defineConfig({
  test: {
    globalSetup: ['./test/support/redis-global-setup.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          // Faults, hostile input and several processes: slower, bounded, loopback only.
          name: 'reliability',
          include: ['test/reliability/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
