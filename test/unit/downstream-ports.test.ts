import { describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConsumerEnv } from '../../contracts/consumer-environment';
import type { AppliedEvent } from '../../lambdas/downstream/applied-event';
import { createBillingPort } from '../../lambdas/downstream/billing';
import { ChaosEnv, delayChaos, injectChaos, injectChaosAfterWrite, readChaosSettings } from '../../lambdas/downstream/chaos';
import { createContactsPort } from '../../lambdas/downstream/contacts';
import { ChaosInjectedError, DownstreamConfigurationError } from '../../lambdas/downstream/errors';
import { createDownstream, DEFAULT_HTTP_TIMEOUT_MS } from '../../lambdas/downstream/settings';
import { createSubscribersPort } from '../../lambdas/downstream/subscribers';

const EVENT: AppliedEvent = { id: 'evt-1', type: 't.x', subject: 's', time: '2026-11-28T10:00:00Z', correlationid: 'c', order: { sequence: 2, timeMs: 0 } };

// Never called here: selecting and building an adapter makes no AWS call. What the
// DynamoDB adapters write runs against the emulator (test/integration/consumer-downstream-dynamodb.test.ts).
const dynamodb = new DynamoDBClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:1', maxAttempts: 1 });

function recordingFetch() {
  const requests: { url: string; init: RequestInit }[] = [];
  const fetch = (async (url: URL, init: RequestInit) => {
    requests.push({ url: url.href, init });
    return new Response(null, { status: 200 });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, requests };
}

describe('downstream selection from the environment', () => {
  it('defaults to DynamoDB and needs its table', () => {
    expect(createDownstream({ [ConsumerEnv.DownstreamTableName]: 't' }, { dynamodb }).kind).toBe('dynamodb');
    expect(() => createDownstream({ [ConsumerEnv.DownstreamKind]: 'dynamodb' }, { dynamodb })).toThrow(DownstreamConfigurationError);
    expect(() => createDownstream({ [ConsumerEnv.DownstreamKind]: 'dynamodb' }, { dynamodb })).toThrow('environment variable FANOUT_DOWNSTREAM_TABLE_NAME is not set');
    for (const bad of ['0', '1.5', 'forever']) {
      expect(() => createDownstream({ [ConsumerEnv.DownstreamTableName]: 't', [ConsumerEnv.DownstreamRetentionDays]: bad }, { dynamodb })).toThrow(/FANOUT_DOWNSTREAM_RETENTION_DAYS must be a whole number/);
    }
    expect(createDownstream({ [ConsumerEnv.DownstreamTableName]: 't', [ConsumerEnv.DownstreamRetentionDays]: '90' }, { dynamodb }).kind).toBe('dynamodb');
  });

  it('builds the HTTP adapter from the URL and timeout', () => {
    const http = createDownstream({ [ConsumerEnv.DownstreamKind]: 'http', [ConsumerEnv.DownstreamUrl]: 'https://crm.example.com' }, { dynamodb });
    expect(http.kind).toBe('http');
    expect(DEFAULT_HTTP_TIMEOUT_MS).toBe(3000);
    expect(() => createDownstream({ [ConsumerEnv.DownstreamKind]: 'http', [ConsumerEnv.DownstreamUrl]: 'not a url' }, { dynamodb })).toThrow(DownstreamConfigurationError);
    expect(() =>
      createDownstream({ [ConsumerEnv.DownstreamKind]: 'http', [ConsumerEnv.DownstreamUrl]: 'https://x', [ConsumerEnv.DownstreamTimeoutMs]: '3s' }, { dynamodb }),
    ).toThrow(/FANOUT_DOWNSTREAM_TIMEOUT_MS/);
    expect(() => createDownstream({ [ConsumerEnv.DownstreamKind]: 'ftp' }, { dynamodb })).toThrow(/"dynamodb" or "http"/);
  });
});

describe('ports and their HTTP adapters', () => {
  const httpEnv = { [ConsumerEnv.DownstreamKind]: 'http', [ConsumerEnv.DownstreamUrl]: 'https://api.example.com/v1/' };

  it('maps each port to its resource', async () => {
    const { fetch, requests } = recordingFetch();
    const original = globalThis.fetch;
    globalThis.fetch = fetch;
    try {
      await createContactsPort(httpEnv, { dynamodb }).create({ userId: 'usr_1', plan: 'pro' }, EVENT);
      await createContactsPort(httpEnv, { dynamodb }).upsert({ userId: 'usr_1' }, EVENT);
      await createSubscribersPort(httpEnv, { dynamodb }).add({ userId: 'usr_2', email: 'e', name: 'n', consentedAt: 'c' }, EVENT);
      await createBillingPort(httpEnv, { dynamodb }).apply({ accountId: 'acct_1', sequence: 1, action: 'created', plan: 'pro', seats: 1, effectiveAt: 'x' }, EVENT);
    } finally {
      globalThis.fetch = original;
    }
    expect(requests.map((r) => `${r.init.method} ${r.url}`)).toEqual([
      'PUT https://api.example.com/v1/contacts/usr_1',
      'PUT https://api.example.com/v1/contacts/usr_1',
      'PUT https://api.example.com/v1/subscribers/usr_2',
      'POST https://api.example.com/v1/accounts/acct_1/subscription-changes',
    ]);
  });

  it('follows a sign-up the CRM refuses as stale with a fill of what the contact lacks, but not a profile change', async () => {
    const requests: { method: string; headers: Record<string, string>; body: unknown }[] = [];
    const original = globalThis.fetch;
    // The CRM holds a newer change of every contact: each guarded PUT gets 409.
    globalThis.fetch = (async (_url: URL, init: RequestInit) => {
      requests.push({ method: init.method!, headers: init.headers as Record<string, string>, body: JSON.parse(init.body as string) });
      return new Response(null, { status: init.method === 'PUT' ? 409 : 204 });
    }) as unknown as typeof globalThis.fetch;
    try {
      const contacts = createContactsPort(httpEnv, { dynamodb });
      const signUp = { userId: 'usr_1', email: 'a@b.c', name: 'Ada', plan: 'pro', signedUpAt: '2026-11-28T09:30:00Z' };
      expect(await contacts.create(signUp, EVENT)).toBe('applied');
      expect(requests.map((r) => r.method)).toEqual(['PUT', 'PATCH']);
      expect(requests[1]!.body).toEqual(signUp);
      expect(requests[1]!.headers).toMatchObject({ 'x-write-mode': 'fill-missing', 'idempotency-key': 'evt-1:fill-missing' });
      requests.length = 0;
      expect(await contacts.upsert({ userId: 'usr_1', name: 'Old' }, EVENT)).toBe('stale');
      expect(requests.map((r) => r.method)).toEqual(['PUT']);
    } finally {
      globalThis.fetch = original;
    }
  });
});

describe('chaos (local demo only)', () => {
  it('is off unless its rate is set', () => {
    expect(readChaosSettings({})).toBeUndefined();
    expect(() => injectChaos(undefined, 0, () => 0)).not.toThrow();
  });

  it('reads a rate and a window', () => {
    expect(
      readChaosSettings({
        [ChaosEnv.TransientFailureRate]: '0.25',
        [ChaosEnv.TransientFailureFrom]: '2026-11-28T10:00:00Z',
        [ChaosEnv.TransientFailureUntil]: '2026-11-28T10:05:00Z',
      }),
    ).toEqual({ transientFailureRate: 0.25, fromMs: Date.parse('2026-11-28T10:00:00Z'), untilMs: Date.parse('2026-11-28T10:05:00Z') });
  });

  it.each([
    [{ [ChaosEnv.TransientFailureRate]: '2' }, /0 to 1/],
    [{ [ChaosEnv.TransientFailureRate]: 'often' }, /0 to 1/],
    [{ [ChaosEnv.TransientFailureRate]: '0.1', [ChaosEnv.TransientFailureUntil]: 'soon' }, /ISO 8601/],
    [{ [ChaosEnv.FailAfterWriteRate]: '-0.1' }, /FANOUT_CHAOS_FAIL_AFTER_WRITE_RATE must be a number from 0 to 1/],
    [{ [ChaosEnv.WriteDelayMs]: '1.5' }, /FANOUT_CHAOS_WRITE_DELAY_MS must be a whole number of milliseconds/],
  ])('refuses %o', (env, message) => {
    expect(() => readChaosSettings(env)).toThrow(message);
  });

  it('slows each write by its delay, inside its window only', async () => {
    const settings = readChaosSettings({ [ChaosEnv.WriteDelayMs]: '60', [ChaosEnv.TransientFailureUntil]: '2026-11-28T10:05:00Z' })!;
    expect(settings).toEqual({ transientFailureRate: 0, writeDelayMs: 60, untilMs: Date.parse('2026-11-28T10:05:00Z') });
    let started = performance.now();
    await delayChaos(settings, Date.parse('2026-11-28T10:00:00Z'));
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    started = performance.now();
    await delayChaos(settings, Date.parse('2026-11-28T10:06:00Z'));
    expect(performance.now() - started).toBeLessThan(30);
  });

  it('fails only inside its window, at its rate', () => {
    const settings = { transientFailureRate: 0.5, fromMs: 100, untilMs: 200 };
    expect(() => injectChaos(settings, 150, () => 0.49)).toThrow(ChaosInjectedError);
    expect(() => injectChaos(settings, 150, () => 0.5)).not.toThrow();
    expect(() => injectChaos(settings, 99, () => 0)).not.toThrow();
    expect(() => injectChaos(settings, 200, () => 0)).not.toThrow();
  });

  it('reads a fail-after-write rate alone, and fails after a write only inside the window, at its rate', () => {
    const settings = readChaosSettings({ [ChaosEnv.FailAfterWriteRate]: '0.05', [ChaosEnv.TransientFailureUntil]: '2026-11-28T10:05:00Z' });
    expect(settings).toEqual({ transientFailureRate: 0, failAfterWriteRate: 0.05, untilMs: Date.parse('2026-11-28T10:05:00Z') });
    expect(() => injectChaos(settings, 0, () => 0)).not.toThrow();
    expect(() => injectChaosAfterWrite(settings, 0, () => 0.04)).toThrow(ChaosInjectedError);
    expect(() => injectChaosAfterWrite(settings, 0, () => 0.05)).not.toThrow();
    expect(() => injectChaosAfterWrite(settings, settings!.untilMs!, () => 0)).not.toThrow();
  });

  it('reads a crash-after-write rate alone, and kills the process after a write only inside the window, at its rate', () => {
    const settings = readChaosSettings({ [ChaosEnv.CrashAfterWriteRate]: '0.2', [ChaosEnv.TransientFailureUntil]: '2026-11-28T10:05:00Z' });
    expect(settings).toEqual({ transientFailureRate: 0, crashAfterWriteRate: 0.2, untilMs: Date.parse('2026-11-28T10:05:00Z') });
    let crashes = 0;
    const crash = () => void (crashes += 1);
    injectChaosAfterWrite(settings, 0, () => 0.19, crash);
    expect(crashes).toBe(1);
    injectChaosAfterWrite(settings, 0, () => 0.2, crash);
    injectChaosAfterWrite(settings, settings!.untilMs!, () => 0, crash);
    expect(crashes).toBe(1);
  });
});
