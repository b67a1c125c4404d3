import { describe, expect, it } from 'vitest';
import type { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { AppliedEvent } from '../../lambdas/downstream/applied-event';
import { DynamoDbEffectStore } from '../../lambdas/downstream/dynamodb-effects';
import { ChaosInjectedError, DownstreamRejectedError } from '../../lambdas/downstream/errors';
import { WhenStale } from '../../lambdas/downstream/when-stale';
import { isPermanent } from '../../contracts/errors';

const EVENT: AppliedEvent = {
  id: 'evt-1',
  type: 'user.profile-updated',
  subject: 'usr_1',
  time: '2026-11-28T10:00:00.000Z',
  correlationid: 'corr-1',
  order: { sequence: 3, timeMs: Date.parse('2026-11-28T10:00:00.000Z') },
};
const NOW = Date.parse('2026-11-28T10:00:01.000Z');

function awsError(name: string): Error {
  return Object.assign(new Error(`${name} happened`), { name });
}

function stubDynamo(answer: (command: UpdateItemCommand, index: number) => unknown = () => ({})) {
  const sent: UpdateItemCommand[] = [];
  const client = {
    send: async (command: UpdateItemCommand) => {
      sent.push(command);
      const reply = answer(command, sent.length - 1);
      if (reply instanceof Error) throw reply;
      return reply;
    },
  } as unknown as DynamoDBClient;
  return { client, sent };
}

/*
 * The DynamoDB downstream on its error paths, with a scripted client (throttling, refusals,
 * chaos). What it writes when DynamoDB accepts (state, guard, effect log, a late change
 * filling what the state lacks) is checked against the emulator in
 * test/integration/consumer-downstream-dynamodb.test.ts.
 */
describe('DynamoDB effect store (error paths)', () => {
  it('turns a ValidationException into a permanent rejection', async () => {
    const { client } = stubDynamo(() => awsError('ValidationException'));
    const error = await new DynamoDbEffectStore(client, 't').apply({ key: 'k', attributes: {}, guarded: true }, EVENT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownstreamRejectedError);
    expect(isPermanent(error)).toBe(true);
  });

  it('lets throttling and other SDK errors through as transient', async () => {
    const { client } = stubDynamo((_c, index) => (index === 1 ? awsError('ProvisionedThroughputExceededException') : {}));
    const error = await new DynamoDbEffectStore(client, 't').apply({ key: 'k', attributes: {}, guarded: true }, EVENT).catch((e: unknown) => e);
    expect((error as Error).name).toBe('ProvisionedThroughputExceededException');
    expect(isPermanent(error)).toBe(false);
  });

  it('refuses attributes it keeps for itself', async () => {
    const { client, sent } = stubDynamo();
    await expect(new DynamoDbEffectStore(client, 't').apply({ key: 'k', attributes: { sequence: 1 }, guarded: true }, EVENT)).rejects.toThrow(/reserved/);
    expect(sent).toEqual([]);
  });

  it('fails transiently, before writing anything, while chaos says so', async () => {
    // DynamoDB answers every write with a 503 here: reaching it is how a write that chaos let through shows.
    const { client, sent } = stubDynamo(() => awsError('ServiceUnavailable'));
    const chaos = { transientFailureRate: 0.5, untilMs: NOW + 1000 };
    const failing = new DynamoDbEffectStore(client, 't', { chaos, now: () => NOW, random: () => 0.2 });
    await expect(failing.apply({ key: 'k', attributes: {}, guarded: true }, EVENT)).rejects.toBeInstanceOf(ChaosInjectedError);
    expect(sent).toEqual([]);
    const lucky = new DynamoDbEffectStore(client, 't', { chaos, now: () => NOW, random: () => 0.7 });
    await expect(lucky.apply({ key: 'k', attributes: {}, guarded: true }, EVENT)).rejects.toThrow('ServiceUnavailable happened');
    expect(sent).toHaveLength(1);
    const after = new DynamoDbEffectStore(client, 't', { chaos, now: () => NOW + 1000, random: () => 0 });
    await expect(after.apply({ key: 'k', attributes: {}, guarded: true }, EVENT)).rejects.toThrow('ServiceUnavailable happened');
    expect(sent).toHaveLength(2);
  });

  it('lets a failed fill of a stale change through as transient, with no effect logged', async () => {
    // The guard refuses (a newer event is stored), then the fill of missing attributes is throttled.
    const { client, sent } = stubDynamo((_c, index) => awsError(index === 0 ? 'ConditionalCheckFailedException' : 'ThrottlingException'));
    const change = { key: 'contact#usr_1', attributes: { plan: 'pro' }, guarded: true, whenStale: WhenStale.FillMissing };
    const error = await new DynamoDbEffectStore(client, 't').apply(change, EVENT).catch((e: unknown) => e);
    expect((error as Error).name).toBe('ThrottlingException');
    expect(isPermanent(error)).toBe(false);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.input.UpdateExpression).toContain('if_not_exists(#a0, :a0)');
  });
});
