import { defineConfig } from 'vitest/config';

// Three kinds of test, each its own project so they can be run alone
// (`npx vitest run --project unit`): unit (no network), infra (synthesized templates
// and cdk-nag), integration (real SDK clients against one moto server that the global
// set-up starts on a free port and stops at the end).
//
// Integration tests run after the others and one file at a time: they time real
// processes (pollers, consumer environments, the whole `npm start`) on a 2-core
// machine, and running them beside esbuild bundling and each other starved them into
// spurious timeouts.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          // Synthesizing bundles every consumer with esbuild: slow on 2 cores.
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          sequence: { groupOrder: 1 },
          fileParallelism: false,
          globalSetup: ['test/support/emulator-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // Faults on the whole local pipeline (test/chaos/): each file its own emulator and
        // consumers, after everything else and one file at a time, since a fault such as
        // a frozen emulator or a killed consumer must hit nothing but its own test. `npm
        // test` runs the CI sizes; `npm run test:chaos` the full ones (FANOUT_CHAOS_FULL=1).
        test: {
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          sequence: { groupOrder: 2 },
          fileParallelism: false,
          globalSetup: ['test/chaos/support/setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
