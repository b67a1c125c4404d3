/**
 * SDK client configuration for integration tests: the emulator's endpoint, a fixed
 * region and dummy credentials (moto accepts any).
 */
import { inject } from 'vitest';

/** Region every integration test uses. */
export const TEST_REGION = 'us-east-1';

/** Config for any AWS SDK v3 client, pointed at the test emulator. */
export function emulatorClientConfig(endpoint: string = inject('emulatorEndpoint')) {
  return {
    endpoint,
    region: TEST_REGION,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 3,
  };
}

/** A name no other test in this run will use. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
