/**
 * The modules consumer bundles get in place of SDK and X-Ray dependencies (see
 * CONSUMER_BUNDLE_ALIASES in lib/consumer-bundling.ts): each does what the code that
 * calls it in a bundle needs, the way the package it replaces does it.
 */
import { createRequire } from 'node:module';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FanoutError, isPermanent } from '../../contracts/errors';
import { defaultProvider, REFRESH_BEFORE_EXPIRY_MS } from '../../lambdas/kit/environment-credentials';
import { EventStreamSerde, eventStreamSerdeProvider, UnbundledCapabilityError } from '../../lambdas/kit/event-streams-unsupported';
import { gte } from '../../lambdas/kit/semver-gte';

// The real package (it ships no types), to compare the replacement with.
const semver = createRequire(import.meta.url)('semver') as { gte(a: string, b: string): boolean };

describe('environment credentials (in place of the Node.js credential chain)', () => {
  beforeEach(() => {
    for (const name of ['AWS_SESSION_TOKEN', 'AWS_CREDENTIAL_EXPIRATION', 'AWS_CREDENTIAL_SCOPE', 'AWS_ACCOUNT_ID', 'AWS_PROFILE']) vi.stubEnv(name, undefined);
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDLAMBDA');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'lambda-secret');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('answers with the variables the Lambda runtime sets, session token included', async () => {
    vi.stubEnv('AWS_SESSION_TOKEN', 'lambda-session');
    const credentials = await defaultProvider()();
    expect(credentials).toMatchObject({ accessKeyId: 'AKIDLAMBDA', secretAccessKey: 'lambda-secret', sessionToken: 'lambda-session' });
    expect(credentials.expiration).toBeUndefined();
  });

  it('reads them once and reuses them, as the chain does, until the SDK forces a refresh', async () => {
    const provider = defaultProvider();
    expect((await provider()).accessKeyId).toBe('AKIDLAMBDA');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDROTATED');
    expect((await provider()).accessKeyId).toBe('AKIDLAMBDA');
    expect((await provider({ forceRefresh: true })).accessKeyId).toBe('AKIDROTATED');
  });

  it('reads them again within five minutes of an expiration, not before', async () => {
    const provider = defaultProvider();
    vi.stubEnv('AWS_CREDENTIAL_EXPIRATION', new Date(Date.now() + REFRESH_BEFORE_EXPIRY_MS + 60_000).toISOString());
    expect((await provider()).accessKeyId).toBe('AKIDLAMBDA');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDROTATED');
    expect((await provider()).accessKeyId).toBe('AKIDLAMBDA');

    const soon = defaultProvider();
    vi.stubEnv('AWS_CREDENTIAL_EXPIRATION', new Date(Date.now() + REFRESH_BEFORE_EXPIRY_MS - 60_000).toISOString());
    expect((await soon()).accessKeyId).toBe('AKIDROTATED');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDROTATEDAGAIN');
    expect((await soon()).accessKeyId).toBe('AKIDROTATEDAGAIN');
  });

  it("fails with the SDK's CredentialsProviderError when the variables are missing (transient for the kit)", async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', undefined);
    const failure = await defaultProvider()().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).name).toBe('CredentialsProviderError');
    expect(isPermanent(failure)).toBe(false);
  });

  it('is what an SDK client resolves its credentials with when given as its default provider', async () => {
    vi.stubEnv('AWS_SESSION_TOKEN', 'lambda-session');
    const client = new SQSClient({ region: 'us-east-1', credentialDefaultProvider: defaultProvider });
    try {
      expect(await client.config.credentials()).toMatchObject({ accessKeyId: 'AKIDLAMBDA', secretAccessKey: 'lambda-secret', sessionToken: 'lambda-session' });
    } finally {
      client.destroy();
    }
  });
});

describe("semver's gte (in place of semver, for the X-Ray SDK)", () => {
  const pairs: readonly (readonly [string, string])[] = [
    ['2.1692.0', '2.7.15'],
    ['2.7.15', '2.7.15'],
    ['2.7.14', '2.7.15'],
    ['22.12.0', '8.0.0'],
    ['8.0.0', '22.12.0'],
    ['10.0.0', '9.99.99'],
    ['v1.2.3', '1.2.3'],
    ['  1.2.3  ', '1.2.4'],
    ['1.2.3+build.7', '1.2.3'],
    ['1.2.3', '1.2.3-alpha'],
    ['1.2.3-alpha', '1.2.3'],
    ['1.2.3-alpha', '1.2.3-alpha.1'],
    ['1.2.3-alpha.1', '1.2.3-alpha.beta'],
    ['1.2.3-alpha.beta', '1.2.3-beta'],
    ['1.2.3-beta.2', '1.2.3-beta.11'],
    ['1.2.3-beta.11', '1.2.3-rc.1'],
    ['1.2.3-rc.1', '1.2.3-rc.1+build'],
    ['1.2.3-0', '1.2.3-a'],
    ['1.2.3-a-b', '1.2.3-a'],
  ];

  it.each(pairs)('gte(%j, %j) answers as semver does', (a, b) => {
    expect(gte(a, b)).toBe(semver.gte(a, b));
    expect(gte(b, a)).toBe(semver.gte(b, a));
  });

  it.each(['1.2', '01.2.3', '1.2.3-01', '=1.2.3', 'x.y.z', '', '1.2.3-', `1.2.${'9'.repeat(300)}`])('throws a TypeError on %j, as semver does', (invalid) => {
    expect(() => semver.gte(invalid, '1.0.0')).toThrow(TypeError);
    expect(() => gte(invalid, '1.0.0')).toThrow(TypeError);
  });
});

describe('event streams (left out of the bundle)', () => {
  it('fail loudly, with a typed error, if an operation ever needs them', () => {
    expect(() => eventStreamSerdeProvider()).toThrow(UnbundledCapabilityError);
    expect(() => new EventStreamSerde()).toThrow(/event streams are not in the consumer bundle/);
    const error = new UnbundledCapabilityError('x');
    expect(error).toBeInstanceOf(FanoutError);
    expect(error.name).toBe('UnbundledCapabilityError');
  });
});
