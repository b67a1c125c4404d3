/**
 * The publisher. What it builds and how it packs requests are pure functions, tested
 * here without any client; the happy path against SNS is test/integration/publish.test.ts
 * (the emulator). A stand-in SNS client is used only for the error paths the emulator
 * cannot produce: throttling, 5xx, partial batch failures, refusals.
 */
import { describe, expect, it, vi } from 'vitest';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { PublishBatchCommand, type PublishBatchCommandInput, type PublishBatchResponse, type SNSClient } from '@aws-sdk/client-sns';
import { FileContractResolver, type ContractResolver } from '../../contracts/contract-resolver';
import { parseEnvelope } from '../../contracts/envelope';
import { ContractViolationError, TransientError, UnknownContractError } from '../../contracts/errors';
import { LATEST_VERSIONS, type EventDataMap } from '../../contracts/event-types.generated';
import { resolvePipeline } from '../../model/pipeline-definition';
import { pipeline as samplePipeline } from '../../pipeline';
import { OutputKey } from '../../model/stack-outputs';
import {
  ContractLookupFailedError,
  ContractLookupRejectedError,
  EventContractViolationError,
  HeldBackError,
  InvalidEventError,
  MessageTooLargeError,
  NoContractVersionError,
  NoTopicError,
  PublishFailedError,
  PublishRejectedError,
  PublisherConfigError,
  isPublishError,
} from '../../client/errors';
import { deterministicEventId, FANOUT_EVENT_ID_NAMESPACE, uuidV5 } from '../../client/event-id';
import {
  buildPublishEntry,
  createPublisher,
  createPublisherSnsClient,
  packBatches,
  publisherForPipeline,
  snsMessageBytes,
  SNS_BATCH_LIMITS,
  SNS_MAX_MESSAGE_BYTES,
  type PublishEntryInput,
} from '../../client/publisher';
import { fullJitterDelayMs, isRetryableSnsError } from '../../client/retry';

const SCHEMAS = join(import.meta.dirname, '../../schemas');
const USER_TOPIC = 'arn:aws:sns:us-east-1:123456789012:user-events';
const BILLING_TOPIC = 'arn:aws:sns:us-east-1:123456789012:billing-events.fifo';
const TOPICS = { 'user.signed-up': USER_TOPIC, 'user.profile-updated': USER_TOPIC, 'subscription.changed': BILLING_TOPIC };

const signUp = (n: number, extra: Partial<EventDataMap['user.signed-up']> = {}): EventDataMap['user.signed-up'] => ({
  userId: `usr_${String(n).padStart(8, '0')}`,
  email: `user${n}@example.com`,
  name: `User ${n}`,
  plan: 'free',
  signedUpAt: '2026-11-28T09:30:00Z',
  marketingOptIn: n % 2 === 0,
  ...extra,
});

const subscriptionChange = (sequence: number, accountId = 'acct_4b7e21d0'): EventDataMap['subscription.changed'] => ({
  accountId,
  sequence,
  action: 'upgraded',
  plan: 'pro',
  seats: 5,
  effectiveAt: '2026-11-28T09:31:00Z',
});

describe('buildPublishEntry (pure)', () => {
  const input: PublishEntryInput = {
    type: 'user.signed-up',
    version: 2,
    data: signUp(1),
    subject: 'usr_00000001',
    source: 'urn:fanout:test',
    id: 'id-1',
    correlationId: 'corr-1',
    time: new Date('2026-11-28T10:00:00Z'),
    fifo: false,
  };

  it('wraps the data in the CloudEvents envelope with the attributes that mirror it', () => {
    const { entry, sizeBytes } = buildPublishEntry(input);
    expect(parseEnvelope(entry.Message!)).toEqual({
      specversion: '1.0',
      id: 'id-1',
      source: 'urn:fanout:test',
      type: 'user.signed-up',
      time: '2026-11-28T10:00:00.000Z',
      subject: 'usr_00000001',
      dataschema: 'urn:fanout:contract:user.signed-up:v2',
      datacontenttype: 'application/json',
      correlationid: 'corr-1',
      data: signUp(1),
    });
    expect(entry.MessageAttributes).toEqual({
      type: { DataType: 'String', StringValue: 'user.signed-up' },
      correlationid: { DataType: 'String', StringValue: 'corr-1' },
      schemaversion: { DataType: 'String', StringValue: '2' },
    });
    expect(entry.MessageGroupId).toBeUndefined();
    expect(entry.MessageDeduplicationId).toBeUndefined();
    expect(sizeBytes).toBe(snsMessageBytes(entry.Message!, entry.MessageAttributes as never));
  });

  it('writes the version it is given, e.g. an older one a producer is pinned to', () => {
    const { entry } = buildPublishEntry({ ...input, version: 1, data: { ...signUp(1), marketingOptIn: undefined } });
    expect(parseEnvelope(entry.Message!).dataschema).toBe('urn:fanout:contract:user.signed-up:v1');
    expect(entry.MessageAttributes!.schemaversion!.StringValue).toBe('1');
  });

  it('sets the message group (subject) and deduplication id (event id) for a FIFO topic', () => {
    const { entry } = buildPublishEntry({ ...input, type: 'subscription.changed', version: 1, data: subscriptionChange(1), subject: 'acct_4b7e21d0', id: 'evt-7', fifo: true });
    expect(entry.MessageGroupId).toBe('acct_4b7e21d0');
    expect(entry.MessageDeduplicationId).toBe('evt-7');
  });

  it('counts body and attributes, and refuses a message over the SNS limit with a typed error', () => {
    // body "héllo" 6 bytes in UTF-8 + name "type" 4 + "String" 6 + value "a.b" 3
    expect(snsMessageBytes('héllo', { type: { DataType: 'String', StringValue: 'a.b' } })).toBe(6 + 4 + 6 + 3);
    const error = (() => {
      try {
        buildPublishEntry({ ...input, data: { blob: 'x'.repeat(SNS_MAX_MESSAGE_BYTES) } });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(MessageTooLargeError);
    expect((error as MessageTooLargeError).sizeBytes).toBeGreaterThan(SNS_MAX_MESSAGE_BYTES);
    expect((error as Error).message).toMatch(/user\.signed-up event id-1 is \d+ bytes .* over the 262144-byte SNS limit/);
  });
});

describe('packBatches (pure)', () => {
  const item = (id: string, size = 1_000, group?: string) => ({ id, size, group });
  const pack = (items: ReturnType<typeof item>[]) =>
    packBatches(items, SNS_BATCH_LIMITS, (i) => i.size, (i) => i.group).map((batch) => batch.map((i) => i.id));

  it('sends 25 events in requests of 10, 10 and 5, in order', () => {
    const ids = Array.from({ length: 25 }, (_, i) => `e${i}`);
    const batches = pack(ids.map((id) => item(id)));
    expect(batches.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(batches.flat()).toEqual(ids);
  });

  it('keeps every request under 256 KB: seven 100 KB events go 2, 2, 2, 1', () => {
    const items = Array.from({ length: 7 }, (_, i) => item(`b${i}`, 100_000));
    const batches = packBatches(items, SNS_BATCH_LIMITS, (i) => i.size);
    expect(batches.map((b) => b.length)).toEqual([2, 2, 2, 1]);
    for (const batch of batches) expect(batch.reduce((s, i) => s + i.size, 0)).toBeLessThanOrEqual(262_144);
  });

  it('fills a request left with room by a later, smaller event', () => {
    expect(pack([item('big1', 200_000), item('big2', 200_000), item('small', 1_000)])).toEqual([['big1', 'small'], ['big2']]);
  });

  it('puts one event of a FIFO message group per request, each after the one before it', () => {
    const batches = pack([item('a1', 10, 'a'), item('a2', 10, 'a'), item('b1', 10, 'b'), item('a3', 10, 'a'), item('c1', 10, 'c'), item('b2', 10, 'b')]);
    expect(batches).toEqual([
      ['a1', 'b1', 'c1'],
      ['a2', 'b2'],
      ['a3'],
    ]);
  });

  it('still packs 10 groups a request: 20 events of 10 accounts, 2 each, are 2 requests', () => {
    const items = Array.from({ length: 20 }, (_, i) => item(`acct${i % 10}-${Math.floor(i / 10)}`, 500, `acct${i % 10}`));
    expect(pack(items).map((b) => b.length)).toEqual([10, 10]);
  });
});

type Answer = PublishBatchResponse | ((input: PublishBatchCommandInput) => PublishBatchResponse) | Error;

/** A stand-in SNS client for error paths: answers each PublishBatch with the next scripted answer (default: all successful). */
function fakeSns(...answers: Answer[]) {
  const requests: PublishBatchCommandInput[] = [];
  const send = vi.fn(async (command: unknown) => {
    expect(command).toBeInstanceOf(PublishBatchCommand);
    const input = structuredClone((command as PublishBatchCommand).input);
    requests.push(input);
    const answer = answers.shift() ?? allSuccessful;
    if (answer instanceof Error) throw answer;
    return typeof answer === 'function' ? answer(input) : answer;
  });
  return { sns: { send } as unknown as SNSClient, send, requests };
}

function allSuccessful(input: PublishBatchCommandInput): PublishBatchResponse {
  return {
    Successful: input.PublishBatchRequestEntries!.map((e, i) => ({ Id: e.Id, MessageId: `msg-${i}`, ...(e.MessageGroupId && { SequenceNumber: String(i) }) })),
    Failed: [],
  };
}

function awsError(name: string, status?: number, fault: 'client' | 'server' = 'client'): Error {
  const error = new Error(`${name} happened`) as Error & Record<string, unknown>;
  error.name = name;
  error.$fault = fault;
  if (status !== undefined) error.$metadata = { httpStatusCode: status };
  return error;
}

function setup(answers: Answer[] = [], overrides: Partial<Parameters<typeof createPublisher>[0]> = {}) {
  const fake = fakeSns(...answers);
  const sleeps: number[] = [];
  let ids = 0;
  const publisher = createPublisher({
    sns: fake.sns,
    topicArnFor: TOPICS,
    contracts: new FileContractResolver(SCHEMAS),
    source: 'urn:fanout:test',
    newId: () => `id-${++ids}`,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    now: () => new Date('2026-11-28T10:00:00Z'),
    ...overrides,
  });
  return { ...fake, publisher, sleeps };
}

/** The event ids a request carried, in order. */
const sentIds = (request: PublishBatchCommandInput) => request.PublishBatchRequestEntries!.map((e) => parseEnvelope(e.Message!).id);

describe('publish: what is refused before sending', () => {
  it('rejects invalid data with the field and the rule, and sends nothing', async () => {
    const { publisher, send } = setup();
    const bad = { ...signUp(1), email: 'not-an-email', plan: 'gold' } as unknown as EventDataMap['user.signed-up'];
    const error = await publisher.publish('user.signed-up', bad, { subject: 'usr_00000001' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContractViolationError);
    const violations = (error as ContractViolationError).violations;
    expect(violations).toContainEqual({ path: '/email', rule: 'format', message: 'must match format "email"' });
    expect(violations.map((v) => [v.path, v.rule])).toContainEqual(['/plan', 'enum']);
    expect((error as Error).message).toMatch(/user\.signed-up v2: .*\/email must match format "email" \(format\)/);
    expect(send).not.toHaveBeenCalled();
  });

  it('rejects a missing required field and an unknown one by name', async () => {
    const { publisher, send } = setup();
    const { plan: _plan, ...withoutPlan } = signUp(1);
    const bad = { ...withoutPlan, nickname: 'ada' } as unknown as EventDataMap['user.signed-up'];
    const error = (await publisher.publish('user.signed-up', bad, { subject: 's' }).catch((e: unknown) => e)) as ContractViolationError;
    expect(error.violations.map((v) => [v.path, v.rule])).toEqual(
      expect.arrayContaining([
        ['/plan', 'required'],
        ['/nickname', 'additionalProperties'],
      ]),
    );
    expect(send).not.toHaveBeenCalled();
  });

  it('refuses an event type with no topic, or no subject, before sending', async () => {
    const { publisher, send } = setup([], { topicArnFor: { 'user.signed-up': USER_TOPIC } });
    await expect(publisher.publish('user.profile-updated', { userId: 'usr_00000001', revision: 1, updatedAt: '2026-11-28T10:00:00Z' }, { subject: 'x' })).rejects.toBeInstanceOf(NoTopicError);
    await expect(publisher.publish('user.signed-up', signUp(1), { subject: '' })).rejects.toBeInstanceOf(InvalidEventError);
    expect(send).not.toHaveBeenCalled();
  });

  it('carries a W3C traceparent in the envelope, and refuses one that is not before sending', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const { publisher, send, requests } = setup();
    await publisher.publish('user.signed-up', signUp(1), { subject: 'usr_00000001', traceparent });
    expect(parseEnvelope(requests[0]!.PublishBatchRequestEntries![0]!.Message!).traceparent).toBe(traceparent);
    const calls = send.mock.calls.length;
    await expect(publisher.publish('user.signed-up', signUp(1), { subject: 'usr_00000001', traceparent: '00-xyz' })).rejects.toThrow(/traceparent "00-xyz" is not W3C Trace Context/);
    expect(send.mock.calls.length).toBe(calls);
  });

  it('throws what SNS finally refused instead of swallowing it', async () => {
    const { publisher } = setup([awsError('NotFound', 404)]);
    const error = await publisher.publish('user.signed-up', signUp(1), { subject: 's' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishRejectedError);
    expect((error as PublishRejectedError).code).toBe('NotFound');
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it('says, when SNS denies the publish, that the topic lets only listed producers in', async () => {
    const { publisher } = setup([awsError('AuthorizationErrorException', 403)]);
    const error = await publisher.publish('user.signed-up', signUp(1), { subject: 's' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishRejectedError);
    expect((error as Error).message).toMatch(/only the producers listed in the pipeline definition \(topics\[\]\.publishers\)/);
  });
});

describe('publish: the contract version written', () => {
  // The registry has moved on to a v3 this producer was not built for (registered under
  // FORWARD or NONE: v3 requires a field the producer's v2-typed data lacks).
  const registryWithV3 = (): ContractResolver & { asked: number[] } => {
    const files = new FileContractResolver(SCHEMAS);
    const asked: number[] = [];
    return {
      asked,
      latestVersion: async () => 3,
      resolve: async (eventType, version) => {
        asked.push(version);
        if (version !== 3) return files.resolve(eventType, version);
        const v2 = await files.resolve(eventType, 2);
        const schema = { ...v2.schema, required: [...(v2.schema.required as string[]), 'referrer'] };
        return { eventType, version: 3, schema, validate: (await import('../../contracts/validation')).compileValidator(schema) };
      },
    };
  };

  it('pins each event type to the version its generated type describes, not the newest registered', async () => {
    expect(LATEST_VERSIONS['user.signed-up']).toBe(2);
    const contracts = registryWithV3();
    // Refuse the send so no SNS happy path is faked: what matters is which version was checked.
    const { publisher } = setup([awsError('AuthorizationError', 403)], { contracts });
    const error = await publisher.publish('user.signed-up', signUp(1), { subject: 's' }).catch((e: unknown) => e);
    // Validated against v2 (and so not a ContractViolationError for the missing v3 field).
    expect(error).toBeInstanceOf(PublishRejectedError);
    expect(contracts.asked).toEqual([2]);
  });

  it('writes another version when told to, validating against it', async () => {
    const contracts = registryWithV3();
    const { publisher, send } = setup([], { contracts, versions: { 'user.signed-up': 3 } });
    const error = await publisher.publish('user.signed-up', signUp(1), { subject: 's' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContractViolationError);
    expect((error as ContractViolationError).message).toMatch(/^user\.signed-up v3: .*referrer/);
    expect(send).not.toHaveBeenCalled();
  });

  it('refuses an event type that has no version to write, and a version that is not a positive integer', async () => {
    const { publisher, send } = setup([], { topicArnFor: () => USER_TOPIC });
    const result = await (publisher as unknown as ReturnType<typeof createPublisher<Record<string, unknown>>>).publishBatch([{ type: 'blob.stored', data: {}, subject: 's' }]);
    expect(result.failed[0]).toMatchObject({ code: 'NoContractVersionError', permanent: true });
    expect(result.failed[0]!.error).toBeInstanceOf(NoContractVersionError);
    expect(result.failed[0]!.message).toMatch(/pass versions: \{ "blob\.stored": <n> \}/);
    expect(send).not.toHaveBeenCalled();
    expect(() => setup([], { versions: { 'user.signed-up': 0 } })).toThrow(PublisherConfigError);
  });
});

describe('publishBatch: failures', () => {
  it('sends the valid events of a batch and reports the invalid ones', async () => {
    const { publisher, requests } = setup();
    const result = await publisher.publishBatch([
      { type: 'user.signed-up', data: signUp(1), subject: 'a' },
      { type: 'user.signed-up', data: { ...signUp(2), userId: 'nope' }, subject: 'b', id: 'bad-one' },
      { type: 'user.signed-up', data: signUp(3), subject: 'c' },
    ]);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.PublishBatchRequestEntries).toHaveLength(2);
    expect(result.published.map((p) => p.id)).toEqual(['id-1', 'id-2']);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]).toMatchObject({ id: 'bad-one', type: 'user.signed-up', code: 'ContractViolationError', permanent: true });
    expect(result.failed[0]!.error).toBeInstanceOf(ContractViolationError);
    expect((result.failed[0]!.error as EventContractViolationError).violations[0]).toMatchObject({ path: '/userId', rule: 'pattern' });
  });

  it('retries only the entries that failed retryably, and reports sender faults as permanent', async () => {
    const { publisher, requests, sleeps } = setup([
      {
        Successful: [{ Id: 'e0', MessageId: 'm0' }, { Id: 'e2', MessageId: 'm2' }],
        Failed: [
          { Id: 'e1', Code: 'InternalError', Message: 'try again', SenderFault: false },
          { Id: 'e3', Code: 'InvalidParameter', Message: 'bad attribute', SenderFault: true },
        ],
      },
      (input) => ({ Successful: [{ Id: input.PublishBatchRequestEntries![0]!.Id, MessageId: 'm1-retry' }], Failed: [] }),
    ]);
    const result = await publisher.publishBatch([0, 1, 2, 3].map((i) => ({ type: 'user.signed-up' as const, data: signUp(i), subject: `s${i}` })));
    expect(requests.map((r) => r.PublishBatchRequestEntries!.length)).toEqual([4, 1]);
    expect(parseEnvelope(requests[1]!.PublishBatchRequestEntries![0]!.Message!).id).toBe('id-2');
    expect(result.published.map((p) => [p.id, p.messageId])).toEqual([
      ['id-1', 'm0'],
      ['id-2', 'm1-retry'],
      ['id-3', 'm2'],
    ]);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]).toMatchObject({ id: 'id-4', code: 'InvalidParameter', permanent: true });
    expect(result.failed[0]!.error).toBeInstanceOf(PublishRejectedError);
    // Full jitter with random() = 0.5 and a 100 ms base: half of 100 ms before the first retry.
    expect(sleeps).toEqual([50]);
  });

  it('retries a throttled request with exponential backoff and full jitter', async () => {
    const { publisher, send, sleeps } = setup([awsError('ThrottledException', 400), awsError('Throttling', 400), awsError('InternalError', 500, 'server')]);
    const result = await publisher.publishBatch([{ type: 'user.signed-up', data: signUp(1), subject: 's' }]);
    expect(result.failed).toEqual([]);
    expect(result.published).toHaveLength(1);
    expect(send).toHaveBeenCalledTimes(4);
    expect(sleeps).toEqual([50, 100, 200]);
  });

  it('retries network errors (no HTTP answer)', async () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const { publisher, send } = setup([reset]);
    const result = await publisher.publishBatch([{ type: 'user.signed-up', data: signUp(1), subject: 's' }]);
    expect(result.published).toHaveLength(1);
    expect(send).toHaveBeenCalledTimes(2);
  });

  it('returns what still failed after the last attempt, as transient', async () => {
    const throttled = () => awsError('ThrottledException', 400);
    const { publisher, send, sleeps } = setup([throttled(), throttled(), throttled()], { retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 15 } });
    const result = await publisher.publishBatch([
      { type: 'user.signed-up', data: signUp(1), subject: 's' },
      { type: 'user.signed-up', data: signUp(2), subject: 't' },
    ]);
    expect(send).toHaveBeenCalledTimes(3);
    // Ceilings min(15, 10·2^(n-1)) = 10, 15; full jitter draws 0..ceiling inclusive: floor(0.5 x 11), floor(0.5 x 16).
    expect(sleeps).toEqual([5, 8]);
    expect(result.published).toEqual([]);
    expect(result.failed.map((f) => [f.id, f.code, f.permanent])).toEqual([
      ['id-1', 'ThrottledException', false],
      ['id-2', 'ThrottledException', false],
    ]);
    const error = result.failed[0]!.error as PublishFailedError;
    expect(error).toBeInstanceOf(PublishFailedError);
    expect(error).toBeInstanceOf(TransientError);
    expect(error.attempts).toBe(3);
  });

  it('gives up on an entry that keeps failing on the SNS side after the last attempt', async () => {
    const failing = (input: PublishBatchCommandInput): PublishBatchResponse => ({
      Successful: [],
      Failed: input.PublishBatchRequestEntries!.map((e) => ({ Id: e.Id, Code: 'InternalError', SenderFault: false })),
    });
    const { publisher, send } = setup([failing, failing], { retry: { maxAttempts: 2 } });
    const result = await publisher.publishBatch([{ type: 'user.signed-up', data: signUp(1), subject: 's' }]);
    expect(send).toHaveBeenCalledTimes(2);
    expect(result.failed[0]).toMatchObject({ code: 'InternalError', permanent: false });
  });

  it('does not retry a request SNS refused for good', async () => {
    const { publisher, send } = setup([awsError('AuthorizationError', 403)]);
    const result = await publisher.publishBatch([
      { type: 'user.signed-up', data: signUp(1), subject: 's' },
      { type: 'user.signed-up', data: signUp(2), subject: 't' },
    ]);
    expect(send).toHaveBeenCalledTimes(1);
    expect(result.failed.map((f) => [f.code, f.permanent])).toEqual([
      ['AuthorizationError', true],
      ['AuthorizationError', true],
    ]);
  });

  it('reports a contract that cannot be looked up as transient or permanent, per its error', async () => {
    const flaky: ContractResolver = {
      latestVersion: async () => {
        throw new Error('not used: the publisher writes its pinned version');
      },
      resolve: async (type) => {
        if (type === 'user.signed-up') throw new TransientError('registry down');
        throw new UnknownContractError(`no ${type}`);
      },
    };
    const { publisher, send } = setup([], { contracts: flaky });
    const result = await publisher.publishBatch([
      { type: 'user.signed-up', data: signUp(1), subject: 's' },
      { type: 'user.profile-updated', data: { userId: 'usr_00000001', revision: 1, updatedAt: '2026-11-28T10:00:00Z' }, subject: 's' },
    ]);
    expect(send).not.toHaveBeenCalled();
    expect(result.failed.map((f) => [f.code, f.permanent])).toEqual([
      ['TransientError', false],
      ['UnknownContractError', true],
    ]);
  });
});

describe('publishBatch on a FIFO topic: a message group keeps its order through failures', () => {
  // Account A's changes 1, 2, 3 and account B's 1, 2, in that order.
  const events = () => [
    { type: 'subscription.changed' as const, data: subscriptionChange(1, 'acct_aaaaaa01'), subject: 'acct_aaaaaa01', id: 'a1' },
    { type: 'subscription.changed' as const, data: subscriptionChange(2, 'acct_aaaaaa01'), subject: 'acct_aaaaaa01', id: 'a2' },
    { type: 'subscription.changed' as const, data: subscriptionChange(1, 'acct_bbbbbb02'), subject: 'acct_bbbbbb02', id: 'b1' },
    { type: 'subscription.changed' as const, data: subscriptionChange(3, 'acct_aaaaaa01'), subject: 'acct_aaaaaa01', id: 'a3' },
    { type: 'subscription.changed' as const, data: subscriptionChange(2, 'acct_bbbbbb02'), subject: 'acct_bbbbbb02', id: 'b2' },
  ];
  /** Answers every entry successfully except those whose event id `fail` names, which get `code`. */
  const failing =
    (fail: (id: string) => boolean, code = 'InternalError', senderFault = false) =>
    (input: PublishBatchCommandInput): PublishBatchResponse => {
      const entries = input.PublishBatchRequestEntries!;
      const bad = entries.filter((e) => fail(parseEnvelope(e.Message!).id));
      return {
        Successful: entries.filter((e) => !bad.includes(e)).map((e) => ({ Id: e.Id, MessageId: `m-${parseEnvelope(e.Message!).id}` })),
        Failed: bad.map((e) => ({ Id: e.Id, Code: code, SenderFault: senderFault })),
      };
    };

  it('retries a failed entry before any later event of its group is sent', async () => {
    const { publisher, requests } = setup([failing((id) => id === 'a1')]);
    const result = await publisher.publishBatch(events());
    expect(result.failed).toEqual([]);
    // One event per group a request; a1's retry goes before a2 and a3 are sent at all.
    expect(requests.map(sentIds)).toEqual([['a1', 'b1'], ['a1'], ['a2', 'b2'], ['a3']]);
    const sentOrderOfA = requests.flatMap(sentIds).filter((id) => id.startsWith('a'));
    expect(sentOrderOfA).toEqual(['a1', 'a1', 'a2', 'a3']);
    expect(result.published.map((p) => p.id)).toEqual(['a1', 'a2', 'b1', 'a3', 'b2']);
  });

  it("holds back the rest of a group once an entry finally fails: reported as held behind it, not permanent; other groups go on", async () => {
    const { publisher, requests } = setup([failing((id) => id === 'a1'), failing((id) => id === 'a1')], { retry: { maxAttempts: 2 } });
    const result = await publisher.publishBatch(events());
    expect(requests.flatMap(sentIds)).not.toContain('a2');
    expect(requests.flatMap(sentIds)).not.toContain('a3');
    expect(result.published.map((p) => p.id)).toEqual(['b1', 'b2']);
    expect(result.failed.map((f) => [f.id, f.code, f.permanent])).toEqual([
      ['a1', 'InternalError', false],
      ['a2', 'HeldBackError', false],
      ['a3', 'HeldBackError', false],
    ]);
    const held = result.failed[1]!.error as HeldBackError;
    expect(held).toBeInstanceOf(HeldBackError);
    expect(held).toBeInstanceOf(TransientError);
    expect(held.heldBehind).toBe('a1');
    expect(held.messageGroupId).toBe('acct_aaaaaa01');
    expect(held.message).toMatch(/subscription\.changed event a2 was not sent: held behind a1/);
  });

  it('holds back behind an event SNS refused for good, and behind one that broke its contract', async () => {
    const refuseA2 = failing((id) => id === 'a2', 'InvalidParameter', true);
    const refused = setup([refuseA2, refuseA2, refuseA2]);
    const r1 = await refused.publisher.publishBatch(events());
    expect(r1.failed.map((f) => [f.id, f.code, f.permanent])).toEqual([
      ['a2', 'InvalidParameter', true],
      ['a3', 'HeldBackError', false],
    ]);
    expect(refused.requests.flatMap(sentIds)).not.toContain('a3');

    const broken = setup();
    const withBadA2 = events().map((e) => (e.id === 'a2' ? { ...e, data: { ...e.data, seats: -1 } } : e));
    const r2 = await broken.publisher.publishBatch(withBadA2);
    // a1 goes (it is before the broken one); a3 waits behind a2; account B is not affected.
    expect(broken.requests.flatMap(sentIds).sort()).toEqual(['a1', 'b1', 'b2']);
    expect(r2.failed.map((f) => [f.id, f.code])).toEqual([
      ['a2', 'ContractViolationError'],
      ['a3', 'HeldBackError'],
    ]);
  });

  it('holds nothing back on a standard topic, where order is not promised', async () => {
    const { publisher } = setup([failing((id) => id === 'u1', 'InvalidParameter', true)]);
    const result = await publisher.publishBatch([
      { type: 'user.signed-up', data: signUp(1), subject: 'usr_00000001', id: 'u1' },
      { type: 'user.profile-updated', data: { userId: 'usr_00000001', revision: 2, updatedAt: '2026-11-28T10:00:00Z' }, subject: 'usr_00000001', id: 'u2' },
    ]);
    expect(result.published.map((p) => p.id)).toEqual(['u2']);
    expect(result.failed.map((f) => f.id)).toEqual(['u1']);
  });
});

describe('ids that survive a retry (issue 9, break 8)', () => {
  /** Every way an event can fail, one event each, with the caller's id and correlation id. */
  async function everyFailure() {
    const lookup: ContractResolver = {
      latestVersion: async () => 1,
      resolve: async (type, version) => {
        if (type === 'user.profile-updated') throw new TransientError('registry down');
        // Takes any data, so only its size can stop it.
        if (type === 'blob.stored') return { eventType: type, version, schema: {}, validate: () => [] };
        return new FileContractResolver(SCHEMAS).resolve(type, version);
      },
    };
    const refused = (input: PublishBatchCommandInput): PublishBatchResponse => ({
      Successful: [],
      Failed: input.PublishBatchRequestEntries!.map((e) => ({ Id: e.Id, Code: 'InvalidParameter', SenderFault: true })),
    });
    const timeout = () => Object.assign(new Error('a request has exceeded the configured 5000 ms requestTimeout.'), { name: 'TimeoutError', code: 'ETIMEDOUT', $metadata: { attempts: 1 } });
    // Requests in order: the user topic (refused), then the FIFO topic's a1 (times out, twice), then nothing is sent for a2 (held back).
    const { publisher } = setup([refused, timeout(), timeout()], {
      retry: { maxAttempts: 2 },
      contracts: lookup,
      topicArnFor: { ...TOPICS, 'blob.stored': USER_TOPIC },
      versions: { 'blob.stored': 1 },
    });
    const events = [
      { type: 'user.signed-up' as const, data: signUp(1), subject: '', id: 'no-subject', correlationId: 'c-no-subject' },
      { type: 'user.signed-up' as const, data: { ...signUp(2), email: 'nope' }, subject: 's', id: 'violates', correlationId: 'c-violates' },
      { type: 'user.profile-updated' as const, data: { userId: 'usr_00000001', revision: 1, updatedAt: '2026-11-28T10:00:00Z' }, subject: 's', id: 'lookup', correlationId: 'c-lookup' },
      { type: 'blob.stored', data: { blob: 'x'.repeat(SNS_MAX_MESSAGE_BYTES) }, subject: 's', id: 'too-big', correlationId: 'c-too-big' },
      { type: 'user.signed-up' as const, data: signUp(4), subject: 's', id: 'refused', correlationId: 'c-refused' },
      { type: 'subscription.changed' as const, data: subscriptionChange(1, 'acct_aaaaaa01'), subject: 'acct_aaaaaa01', id: 'timed-out', correlationId: 'c-timed-out' },
      { type: 'subscription.changed' as const, data: subscriptionChange(2, 'acct_aaaaaa01'), subject: 'acct_aaaaaa01', id: 'held', correlationId: 'c-held' },
    ];
    const result = await publisher.publishBatch(events as never);
    return { result, events };
  }

  it('names the event in every failed entry and its error as typed fields, not only in the message', async () => {
    const { result, events } = await everyFailure();
    expect(result.published).toEqual([]);
    expect(result.failed.map((f) => [f.eventId, f.correlationId, f.code, f.error.constructor.name])).toEqual([
      ['no-subject', 'c-no-subject', 'InvalidEventError', 'InvalidEventError'],
      ['violates', 'c-violates', 'ContractViolationError', 'EventContractViolationError'],
      ['lookup', 'c-lookup', 'TransientError', 'ContractLookupFailedError'],
      ['too-big', 'c-too-big', 'MessageTooLargeError', 'MessageTooLargeError'],
      ['refused', 'c-refused', 'InvalidParameter', 'PublishRejectedError'],
      ['timed-out', 'c-timed-out', 'TimeoutError', 'PublishFailedError'],
      ['held', 'c-held', 'HeldBackError', 'HeldBackError'],
    ]);
    for (const [i, failed] of result.failed.entries()) {
      expect(isPublishError(failed.error), failed.eventId).toBe(true);
      expect(failed.error).toMatchObject({ eventId: events[i]!.id, correlationId: events[i]!.correlationId, eventType: events[i]!.type });
      expect(failed.id).toBe(failed.eventId);
    }
  });

  it('throws from publish an error that carries the event id and correlation id, defaults included', async () => {
    const { publisher } = setup([awsError('ThrottledException', 400), awsError('ThrottledException', 400)], { retry: { maxAttempts: 2 } });
    const error = await publisher.publish('user.signed-up', signUp(1), { subject: 's' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishFailedError);
    // The default id was made for this call: the error is the only place the caller can learn it.
    expect(error).toMatchObject({ eventId: 'id-1', correlationId: 'id-1', eventType: 'user.signed-up', attempts: 2 });
    const violation = await publisher.publish('user.signed-up', { ...signUp(2), plan: 'gold' } as never, { subject: 's', id: 'mine', correlationId: 'corr' }).catch((e: unknown) => e);
    expect(violation).toBeInstanceOf(ContractViolationError);
    expect(violation).toMatchObject({ name: 'ContractViolationError', eventId: 'mine', correlationId: 'corr' });
  });

  it('reports an unknown contract as permanent, with the resolver’s error as the cause', async () => {
    const unknown: ContractResolver = {
      latestVersion: async () => 1,
      resolve: async (type) => {
        throw new UnknownContractError(`no ${type}`);
      },
    };
    const { publisher } = setup([], { contracts: unknown });
    const error = (await publisher.publish('user.signed-up', signUp(1), { subject: 's', id: 'e1' }).catch((e: unknown) => e)) as ContractLookupRejectedError;
    expect(error).toBeInstanceOf(ContractLookupRejectedError);
    expect(error.cause).toBeInstanceOf(UnknownContractError);
    expect(error).toMatchObject({ eventId: 'e1', code: 'UnknownContractError' });
    const transient = setup([], { contracts: { ...unknown, resolve: async () => Promise.reject(new TransientError('down')) } });
    await expect(transient.publisher.publish('user.signed-up', signUp(1), { subject: 's' })).rejects.toBeInstanceOf(ContractLookupFailedError);
  });

  it('sends a retry under the id from the error: after an ambiguous timeout, consumers see one event id, not two', async () => {
    const timeout = Object.assign(new Error('a request has exceeded the configured 5000 ms requestTimeout.'), { name: 'TimeoutError', code: 'ETIMEDOUT' });
    const { publisher, requests } = setup([timeout], { retry: { maxAttempts: 1 } });
    const error = (await publisher.publish('user.signed-up', signUp(1), { subject: 's', correlationId: 'order-flow-7' }).catch((e: unknown) => e)) as PublishFailedError;
    expect(error).toBeInstanceOf(PublishFailedError);
    const published = await publisher.publish('user.signed-up', signUp(1), { subject: 's', id: error.eventId, correlationId: error.correlationId });
    expect(published).toMatchObject({ id: error.eventId, correlationId: 'order-flow-7' });
    expect(requests.map(sentIds)).toEqual([[error.eventId], [error.eventId]]);
  });

  it('derives the same id from the same business key in every process: a retry after a crash is the same event', async () => {
    const id = deterministicEventId('user.signed-up', 'usr_00000001');
    const first = setup([Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })], { retry: { maxAttempts: 1 } });
    await expect(first.publisher.publish('user.signed-up', signUp(1), { subject: 's', id })).rejects.toMatchObject({ eventId: id });
    // A new process (a new publisher, new default ids) after a crash.
    const second = setup();
    await second.publisher.publish('user.signed-up', signUp(1), { subject: 's', id: deterministicEventId('user.signed-up', 'usr_00000001') });
    expect([...first.requests, ...second.requests].map(sentIds)).toEqual([[id], [id]]);
  });

  it('retries a request timeout with full jitter, then reports it as failed, transient, with the SDK’s TimeoutError code', async () => {
    const timeout = () => Object.assign(new Error('a request has exceeded the configured 5000 ms requestTimeout.'), { name: 'TimeoutError', code: 'ETIMEDOUT', $metadata: { attempts: 1, totalRetryDelay: 0 } });
    expect(isRetryableSnsError(timeout())).toBe(true);
    const { publisher, send, sleeps } = setup(Array.from({ length: 5 }, timeout));
    const result = await publisher.publishBatch([{ type: 'user.signed-up', data: signUp(1), subject: 's', id: 'e-timeout' }]);
    expect(send).toHaveBeenCalledTimes(5);
    // Default policy: ceilings 100, 200, 400, 800 ms; random 0.5 draws floor(0.5 x (ceiling + 1)).
    expect(sleeps).toEqual([50, 100, 200, 400]);
    expect(result.published).toEqual([]);
    expect(result.failed).toMatchObject([{ eventId: 'e-timeout', code: 'TimeoutError', permanent: false }]);
    expect(result.failed[0]!.error).toBeInstanceOf(PublishFailedError);
    expect(result.failed[0]!.error).toMatchObject({ attempts: 5, eventId: 'e-timeout' });
  });
});

describe('deterministicEventId', () => {
  it('is RFC 9562 UUID v5: the RFC’s example and Python’s uuid.uuid5 agree', () => {
    // uuid.uuid5(uuid.NAMESPACE_DNS, 'python.org')
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
    // The namespace is uuid5(NAMESPACE_URL, 'urn:fanout:event-id'), as documented.
    expect(uuidV5('6ba7b811-9dad-11d1-80b4-00c04fd430c8', 'urn:fanout:event-id')).toBe(FANOUT_EVENT_ID_NAMESPACE);
    // uuid.uuid5(FANOUT_NAMESPACE, 'user.signed-up:usr_00000001'): what a Python producer computes.
    expect(deterministicEventId('user.signed-up', 'usr_00000001')).toBe('af886a1b-cbcf-54f7-b8bc-09925784e68a');
  });

  it('differs by event type, key and namespace, and refuses an empty key', () => {
    const ids = new Set([
      deterministicEventId('user.signed-up', 'k1'),
      deterministicEventId('user.signed-up', 'k2'),
      deterministicEventId('user.profile-updated', 'k1'),
      deterministicEventId('user.signed-up', 'k1', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'),
    ]);
    expect(ids.size).toBe(4);
    expect(() => deterministicEventId('user.signed-up', '')).toThrow(RangeError);
    expect(() => deterministicEventId('user.signed-up', 'k', 'not-a-uuid')).toThrow(RangeError);
  });
});

describe("the publisher's SNS client", () => {
  /** A request handler that answers every HTTP request with SNS's 500 InternalError, counting them. */
  function failingHttp() {
    let requests = 0;
    const handler = {
      handle: async () => {
        requests += 1;
        const body = '<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code><Message>boom</Message></Error><RequestId>r</RequestId></ErrorResponse>';
        return { response: { statusCode: 500, reason: 'Internal Server Error', headers: { 'content-type': 'text/xml' }, body: Readable.from([Buffer.from(body)]) } };
      },
      updateHttpClientConfig: () => {},
      httpHandlerConfigs: () => ({}),
    };
    return { handler, count: () => requests };
  }
  const config = { region: 'us-east-1', credentials: { accessKeyId: 'k', secretAccessKey: 's' } };

  it('makes one HTTP attempt per request, so the publisher’s 3 attempts are 3 requests, not 3 x the SDK’s 3', async () => {
    const http = failingHttp();
    const sns = createPublisherSnsClient({ ...config, maxAttempts: 5, requestHandler: http.handler as never });
    try {
      expect(await sns.config.maxAttempts()).toBe(1);
      const publisher = createPublisher({ sns, topicArnFor: TOPICS, contracts: new FileContractResolver(SCHEMAS), source: 'urn:fanout:test', retry: { maxAttempts: 3 }, sleep: async () => {} });
      const result = await publisher.publishBatch([{ type: 'user.signed-up', data: signUp(1), subject: 's' }]);
      // The SDK names SNS's InternalError code InternalErrorException.
      expect(result.failed[0]).toMatchObject({ code: 'InternalErrorException', permanent: false });
      expect((result.failed[0]!.error as PublishFailedError).attempts).toBe(3);
      expect(http.count()).toBe(3);
    } finally {
      sns.destroy();
    }
  });
});

describe('fullJitterDelayMs', () => {
  it('stays between 0 and the capped exponential ceiling, both included (contracts/backoff.ts)', () => {
    const policy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(fullJitterDelayMs(1, policy, () => 0)).toBe(0);
    // floor(0.999 x (ceiling + 1)) with ceilings 100, 400 and 1000 (capped) for retries 1, 3, 8:
    // floor(100.899) = 100, floor(400.599) = 400, floor(999.999) = 999.
    expect(fullJitterDelayMs(1, policy, () => 0.999)).toBe(100);
    expect(fullJitterDelayMs(3, policy, () => 0.999)).toBe(400);
    expect(fullJitterDelayMs(8, policy, () => 0.999)).toBe(999);
    expect(fullJitterDelayMs(8, policy, () => 0.9999999)).toBe(1000);
    for (let i = 0; i < 100; i += 1) {
      const delay = fullJitterDelayMs(4, policy);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(800);
    }
  });
});

describe('publisherForPipeline', () => {
  const pipeline = resolvePipeline(samplePipeline, SCHEMAS);
  const outputs = { [OutputKey.topicArn('user-events')]: USER_TOPIC, [OutputKey.topicArn('billing-events')]: BILLING_TOPIC };
  // Never sends: these are set-up errors.
  const sns = { send: () => Promise.reject(new Error('not sent')) } as unknown as SNSClient;

  it('names the missing output', () => {
    expect(() =>
      publisherForPipeline(pipeline, { [OutputKey.topicArn('user-events')]: USER_TOPIC }, { sns, contracts: new FileContractResolver(SCHEMAS), source: 's' }),
    ).toThrow(new PublisherConfigError('the stack outputs have no "TopicArnBillingEvents" (topic billing-events of subscription.changed): is the stack deployed and up to date?'));
  });

  it('refuses a FIFO topic whose ARN is not FIFO', () => {
    const wrong = { ...outputs, [OutputKey.topicArn('billing-events')]: 'arn:aws:sns:us-east-1:123456789012:billing-events' };
    expect(() => publisherForPipeline(pipeline, wrong, { sns, contracts: new FileContractResolver(SCHEMAS), source: 's' })).toThrow(PublisherConfigError);
  });
});
