/**
 * Vitest global set-up for integration tests: one moto server on a free loopback
 * port for the whole run, stopped when the run ends. Tests read its address with
 * `inject('emulatorEndpoint')` and keep apart by giving their resources unique names.
 */
import type { TestProject } from 'vitest/node';
import { startEmulator, type Emulator } from '../../local/emulator';

let emulator: Emulator | undefined;

export async function setup(project: TestProject): Promise<void> {
  emulator = await startEmulator();
  project.provide('emulatorEndpoint', emulator.endpoint);
}

export async function teardown(): Promise<void> {
  await emulator?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    emulatorEndpoint: string;
  }
}
