import { describe, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import { PublishBatchCommand, type PublishBatchCommandInput, type PublishBatchResponse, type SNSClient } from '@aws-sdk/client-sns';
import { FileContractResolver, type ContractResolver } from '../../contracts/contract-resolver';
import { parseEnvelope } from '../../contracts/envelope';
import { ContractViolationError, TransientError, UnknownContractError } from '../../contracts/errors';
import { compileValidator } from '../../contracts/validation';
import type { EventDataMap } from '../../contracts/event-types.generated';
import { resolvePipeline } from '../../lib/pipeline-definition';
import { samplePipeline } from '../../lib/sample-pipeline';
import { OutputKey } from '../../lib/stack-outputs';
import { InvalidEventError, MessageTooLargeError, NoTopicError, PublishFailedError, PublishRejectedError, PublisherConfigError } from '../../client/errors';
import { createPublisher, publisherForPipeline, snsMessageBytes, SNS_MAX_MESSAGE_BYTES, type PublishEvent } from '../../client/publisher';
import { fullJitterDelayMs } from '../../client/retry';

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

const subscriptionChange = (sequence: number): EventDataMap['subscription.changed'] => ({
  accountId: 'acct_4b7e21d0',
  sequence,
  action: 'upgraded',
  plan: 'pro',
  seats: 5,
  effectiveAt: '2026-11-28T09:31:00Z',
});

type Answer = PublishBatchResponse | ((input: PublishBatchCommandInput) => PublishBatchResponse) | Error;

/** A fake SNS client: answers each PublishBatch with the next scripted answer (default: all successful). */
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

describe('publish', () => {
  it('wraps valid data in the envelope with its message attributes and sends it in one request', async () => {
    const { publisher, requests } = setup();
    const published = await publisher.publish('user.signed-up', signUp(1), { subject: 'usr_00000001', correlationId: 'corr-1' });

    expect(requests).toHaveLength(1);
    expect(requests[0]!.TopicArn).toBe(USER_TOPIC);
    const entry = requests[0]!.PublishBatchRequestEntries![0]!;
    const envelope = parseEnvelope(entry.Message!);
    expect(envelope).toEqual({
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
    expect(published).toEqual({ id: 'id-1', type: 'user.signed-up', version: 2, topicArn: USER_TOPIC, messageId: 'msg-0' });
  });

  it('uses the caller id and time, and the id as the correlation id when none is given', async () => {
    const { publisher, requests } = setup();
    await publisher.publish('user.signed-up', signUp(1), { subject: 'usr_00000001', id: 'my-id', time: new Date('2026-01-01T00:00:00Z') });
    const envelope = parseEnvelope(requests[0]!.PublishBatchRequestEntries![0]!.Message!);
    expect(envelope.id).toBe('my-id');
    expect(envelope.correlationid).toBe('my-id');
    expect(envelope.time).toBe('2026-01-01T00:00:00.000Z');
  });

  it('sets the message group (subject) and deduplication id (event id) on a FIFO topic', async () => {
    const { publisher, requests } = setup();
    const published = await publisher.publish('subscription.changed', subscriptionChange(1), { subject: 'acct_4b7e21d0', id: 'evt-7' });
    const entry = requests[0]!.PublishBatchRequestEntries![0]!;
    expect(requests[0]!.TopicArn).toBe(BILLING_TOPIC);
    expect(entry.MessageGroupId).toBe('acct_4b7e21d0');
    expect(entry.MessageDeduplicationId).toBe('evt-7');
    expect(published.sequenceNumber).toBe('0');
  });

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

  it('throws what SNS finally refused instead of swallowing it', async () => {
    const { publisher } = setup([awsError('NotFound', 404)]);
    const error = await publisher.publish('user.signed-up', signUp(1), { subject: 's' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishRejectedError);
    expect((error as PublishRejectedError).code).toBe('NotFound');
    expect((error as Error).cause).toBeInstanceOf(Error);
  });
});

describe('publishBatch', () => {
  it('sends 25 events of one topic in requests of 10, 10 and 5, in order', async () => {
    const { publisher, requests } = setup();
    const events = Array.from({ length: 25 }, (_, i) => ({ type: 'user.signed-up' as const, data: signUp(i), subject: `usr_${i}` }));
    const result = await publisher.publishBatch(events);
    expect(requests.map((r) => r.PublishBatchRequestEntries!.length)).toEqual([10, 10, 5]);
    const sentSubjects = requests.flatMap((r) => r.PublishBatchRequestEntries!.map((e) => parseEnvelope(e.Message!).subject));
    expect(sentSubjects).toEqual(events.map((e) => e.subject));
    expect(result.failed).toEqual([]);
    expect(result.published.map((p) => p.id)).toEqual(events.map((_, i) => `id-${i + 1}`));
  });

  it('sends each topic its own requests', async () => {
    const { publisher, requests } = setup();
    const result = await publisher.publishBatch([
      { type: 'user.signed-up', data: signUp(1), subject: 'a' },
      { type: 'subscription.changed', data: subscriptionChange(1), subject: 'acct_4b7e21d0' },
      { type: 'user.profile-updated', data: { userId: 'usr_00000001', revision: 2, updatedAt: '2026-11-28T10:00:00Z' }, subject: 'a' },
    ]);
    expect(requests.map((r) => [r.TopicArn, r.PublishBatchRequestEntries!.length])).toEqual([
      [USER_TOPIC, 2],
      [BILLING_TOPIC, 1],
    ]);
    expect(result.published.map((p) => p.type)).toEqual(['user.signed-up', 'subscription.changed', 'user.profile-updated']);
  });

  it('keeps every request under 256 KB', async () => {
    const blobs: ContractResolver = {
      latestVersion: async () => 1,
      resolve: async (eventType, version) => ({ eventType, version, schema: {}, validate: compileValidator({ type: 'object' }) }),
    };
    const { publisher, requests } = setup([], { contracts: blobs, topicArnFor: () => USER_TOPIC });
    const events = Array.from({ length: 7 }, (_, i) => ({ type: 'blob.stored', data: { blob: 'x'.repeat(100_000) }, subject: `b${i}` }));
    const result = await createPublisherResult(publisher, events);
    expect(result.failed).toEqual([]);
    expect(requests.map((r) => r.PublishBatchRequestEntries!.length)).toEqual([2, 2, 2, 1]);
    for (const request of requests) {
      const bytes = request.PublishBatchRequestEntries!.reduce((sum, e) => sum + snsMessageBytes(e.Message!, e.MessageAttributes as never), 0);
      expect(bytes).toBeLessThanOrEqual(262_144);
    }
  });

  it('reports an event over the SNS message limit with a typed error, sends nothing for it, and sends the rest', async () => {
    const blobs: ContractResolver = {
      latestVersion: async () => 1,
      resolve: async (eventType, version) => ({ eventType, version, schema: {}, validate: compileValidator({ type: 'object' }) }),
    };
    const { publisher, requests } = setup([], { contracts: blobs, topicArnFor: () => USER_TOPIC });
    const result = await createPublisherResult(publisher, [
      { type: 'blob.stored', data: { blob: 'x'.repeat(SNS_MAX_MESSAGE_BYTES) }, subject: 'big' },
      { type: 'blob.stored', data: { blob: 'small' }, subject: 'small' },
    ]);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]!.error).toBeInstanceOf(MessageTooLargeError);
    expect(result.failed[0]).toMatchObject({ id: 'id-1', code: 'MessageTooLargeError', permanent: true });
    expect(result.failed[0]!.message).toMatch(/over the 262144-byte SNS limit/);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.PublishBatchRequestEntries!.map((e) => parseEnvelope(e.Message!).subject)).toEqual(['small']);
  });

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
    expect((result.failed[0]!.error as ContractViolationError).violations[0]).toMatchObject({ path: '/userId', rule: 'pattern' });
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
    expect(sleeps).toEqual([5, 7]); // min(15, 10·2^(n-1)) x 0.5
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
      latestVersion: async (type) => {
        if (type === 'user.signed-up') throw new TransientError('registry down');
        throw new UnknownContractError(`no ${type}`);
      },
      resolve: async () => {
        throw new Error('not reached');
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

// A publisher typed for an ad-hoc map, for the tests whose contract is not one of schemas/.
function createPublisherResult(publisher: unknown, events: { type: string; data: unknown; subject: string }[]) {
  return (publisher as { publishBatch(e: PublishEvent<Record<string, unknown>>[]): ReturnType<ReturnType<typeof createPublisher>['publishBatch']> }).publishBatch(events);
}

describe('fullJitterDelayMs', () => {
  it('stays between 0 and the capped exponential ceiling', () => {
    const policy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(fullJitterDelayMs(1, policy, () => 0)).toBe(0);
    expect(fullJitterDelayMs(1, policy, () => 0.999)).toBe(99);
    expect(fullJitterDelayMs(3, policy, () => 0.999)).toBe(399);
    expect(fullJitterDelayMs(8, policy, () => 0.999)).toBe(999);
    for (let i = 0; i < 100; i += 1) {
      const delay = fullJitterDelayMs(4, policy);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(800);
    }
  });
});

describe('publisherForPipeline', () => {
  const pipeline = resolvePipeline(samplePipeline, SCHEMAS);
  const outputs = { [OutputKey.topicArn('user-events')]: USER_TOPIC, [OutputKey.topicArn('billing-events')]: BILLING_TOPIC };

  it("sends each event type to its topic's ARN from the stack outputs", async () => {
    const fake = fakeSns();
    const publisher = publisherForPipeline(pipeline, outputs, { sns: fake.sns, contracts: new FileContractResolver(SCHEMAS), source: 'urn:fanout:test' });
    await publisher.publish('subscription.changed', subscriptionChange(1), { subject: 'acct_4b7e21d0' });
    await publisher.publish('user.profile-updated', { userId: 'usr_00000001', revision: 1, updatedAt: '2026-11-28T10:00:00Z' }, { subject: 'u' });
    expect(fake.requests.map((r) => r.TopicArn)).toEqual([BILLING_TOPIC, USER_TOPIC]);
  });

  it('names the missing output', () => {
    const fake = fakeSns();
    expect(() =>
      publisherForPipeline(pipeline, { [OutputKey.topicArn('user-events')]: USER_TOPIC }, { sns: fake.sns, contracts: new FileContractResolver(SCHEMAS), source: 's' }),
    ).toThrow(new PublisherConfigError('the stack outputs have no "TopicArnBillingEvents" (topic billing-events of subscription.changed): is the stack deployed and up to date?'));
  });

  it('refuses a FIFO topic whose ARN is not FIFO', () => {
    const fake = fakeSns();
    const wrong = { ...outputs, [OutputKey.topicArn('billing-events')]: 'arn:aws:sns:us-east-1:123456789012:billing-events' };
    expect(() => publisherForPipeline(pipeline, wrong, { sns: fake.sns, contracts: new FileContractResolver(SCHEMAS), source: 's' })).toThrow(PublisherConfigError);
  });
});
