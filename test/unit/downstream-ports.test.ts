import { describe, expect, it } from 'vitest';
import type { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { ConsumerEnv } from '../../contracts/consumer-environment';
import type { AppliedEvent } from '../../lambdas/downstream/applied-event';
import { createBillingPort } from '../../lambdas/downstream/billing';
import { ChaosEnv, injectChaos, readChaosSettings } from '../../lambdas/downstream/chaos';
import { createContactsPort } from '../../lambdas/downstream/contacts';
import { ChaosInjectedError, DownstreamConfigurationError } from '../../lambdas/downstream/errors';
import { createDownstream, DEFAULT_HTTP_TIMEOUT_MS } from '../../lambdas/downstream/settings';
import { createSubscribersPort } from '../../lambdas/downstream/subscribers';

const EVENT: AppliedEvent = { id: 'evt-1', type: 't.x', subject: 's', time: '2026-11-28T10:00:00Z', correlationid: 'c', order: { sequence: 2, timeMs: 0 } };

function recordingDynamo() {
  const sent: UpdateItemCommand[] = [];
  const dynamodb = { send: async (command: UpdateItemCommand) => (sent.push(command), {}) } as unknown as DynamoDBClient;
  return { dynamodb, sent };
}

function recordingFetch() {
  const requests: { url: string; init: RequestInit }[] = [];
  const fetch = (async (url: URL, init: RequestInit) => {
    requests.push({ url: url.href, init });
    return new Response(null, { status: 200 });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, requests };
}

const dynamoEnv = { [ConsumerEnv.DownstreamKind]: 'dynamodb', [ConsumerEnv.DownstreamTableName]: 'downstream' };

describe('downstream selection from the environment', () => {
  it('defaults to DynamoDB and needs its table', () => {
    const { dynamodb } = recordingDynamo();
    expect(createDownstream({ [ConsumerEnv.DownstreamTableName]: 't' }, { dynamodb }).kind).toBe('dynamodb');
    expect(() => createDownstream({ [ConsumerEnv.DownstreamKind]: 'dynamodb' }, { dynamodb })).toThrow(/FANOUT_DOWNSTREAM_TABLE_NAME/);
  });

  it('builds the HTTP adapter from the URL and timeout', () => {
    const { dynamodb } = recordingDynamo();
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

describe('ports and their DynamoDB adapters', () => {
  it('upserts a contact as a guarded state item keyed by user', async () => {
    const { dynamodb, sent } = recordingDynamo();
    await createContactsPort(dynamoEnv, { dynamodb }).upsert({ userId: 'usr_1', name: 'Ada' }, EVENT);
    expect(sent[0]!.input.Key?.pk).toEqual({ S: 'contact#usr_1' });
    expect(sent[0]!.input.ConditionExpression).toBeDefined();
  });

  it('adds a subscriber without an ordering guard', async () => {
    const { dynamodb, sent } = recordingDynamo();
    await createSubscribersPort(dynamoEnv, { dynamodb }).add({ userId: 'usr_1', email: 'a@b.c', name: 'A', consentedAt: 'now' }, EVENT);
    expect(sent[0]!.input.Key?.pk).toEqual({ S: 'subscriber#usr_1' });
    expect(sent[0]!.input.ConditionExpression).toBeUndefined();
  });

  it('applies a subscription change as a guarded account state', async () => {
    const { dynamodb, sent } = recordingDynamo();
    const change = { accountId: 'acct_1', sequence: 2, action: 'cancelled', plan: 'pro', seats: 3, effectiveAt: 'now' };
    await createBillingPort(dynamoEnv, { dynamodb }).apply(change, EVENT);
    expect(sent[0]!.input.Key?.pk).toEqual({ S: 'account#acct_1' });
    expect(sent[0]!.input.ConditionExpression).toBeDefined();
    expect(Object.values(sent[0]!.input.ExpressionAttributeValues!)).toContainEqual({ S: 'cancelled' });
  });
});

describe('ports and their HTTP adapters', () => {
  const httpEnv = { [ConsumerEnv.DownstreamKind]: 'http', [ConsumerEnv.DownstreamUrl]: 'https://api.example.com/v1/' };

  it('maps each port to its resource', async () => {
    const { fetch, requests } = recordingFetch();
    const original = globalThis.fetch;
    globalThis.fetch = fetch;
    try {
      const { dynamodb } = recordingDynamo();
      await createContactsPort(httpEnv, { dynamodb }).upsert({ userId: 'usr_1' }, EVENT);
      await createSubscribersPort(httpEnv, { dynamodb }).add({ userId: 'usr_2', email: 'e', name: 'n', consentedAt: 'c' }, EVENT);
      await createBillingPort(httpEnv, { dynamodb }).apply({ accountId: 'acct_1', sequence: 1, action: 'created', plan: 'pro', seats: 1, effectiveAt: 'x' }, EVENT);
    } finally {
      globalThis.fetch = original;
    }
    expect(requests.map((r) => `${r.init.method} ${r.url}`)).toEqual([
      'PUT https://api.example.com/v1/contacts/usr_1',
      'PUT https://api.example.com/v1/subscribers/usr_2',
      'POST https://api.example.com/v1/accounts/acct_1/subscription-changes',
    ]);
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
  ])('refuses %o', (env, message) => {
    expect(() => readChaosSettings(env)).toThrow(message);
  });

  it('fails only inside its window, at its rate', () => {
    const settings = { transientFailureRate: 0.5, fromMs: 100, untilMs: 200 };
    expect(() => injectChaos(settings, 150, () => 0.49)).toThrow(ChaosInjectedError);
    expect(() => injectChaos(settings, 150, () => 0.5)).not.toThrow();
    expect(() => injectChaos(settings, 99, () => 0)).not.toThrow();
    expect(() => injectChaos(settings, 200, () => 0)).not.toThrow();
  });
});
