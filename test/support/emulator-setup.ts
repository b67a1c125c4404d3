/**
 * Vitest global set-up for integration tests: one moto server on a free loopback
 * port for the whole run, stopped when the run ends. Tests read its address with
 * `inject('emulatorEndpoint')` and keep apart by giving their resources unique names.
 *
 * It also registers every contract in schemas/ once, in one registry that tests only
 * read (`inject('contractRegistryName')`): moto allows 10 Glue registries per account
 * and region, fewer than the test files that need contracts.
 */
import { join } from 'node:path';
import { GlueClient } from '@aws-sdk/client-glue';
import type { TestProject } from 'vitest/node';
import { registerContracts } from '../../contracts/glue-registration';
import { resolvePipeline } from '../../model/pipeline-definition';
import { pipeline as samplePipeline } from '../../pipeline';
import { startEmulator, type Emulator } from '../../local/emulator';

/** The read-only registry holding every contract of schemas/. */
export const SHARED_CONTRACT_REGISTRY = 'shared-test-contracts';

let emulator: Emulator | undefined;

export async function setup(project: TestProject): Promise<void> {
  emulator = await startEmulator();
  const glue = new GlueClient({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  try {
    await registerContracts(glue, SHARED_CONTRACT_REGISTRY, resolvePipeline(samplePipeline, join(import.meta.dirname, '../../schemas')));
  } finally {
    glue.destroy();
  }
  project.provide('emulatorEndpoint', emulator.endpoint);
  project.provide('contractRegistryName', SHARED_CONTRACT_REGISTRY);
}

export async function teardown(): Promise<void> {
  await emulator?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    emulatorEndpoint: string;
    contractRegistryName: string;
  }
}
