import { describe, expect, it } from 'vitest';
import type { DynamoDBClient, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
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

function awsError(name: string, fields: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} happened`), { name, ...fields });
}

/** A cancelled transaction whose items failed with these codes (state item, effect-log item). */
function cancelled(...codes: string[]): Error {
  return awsError('TransactionCanceledException', { CancellationReasons: codes.map((Code) => ({ Code })) });
}

function stubDynamo(answer: (command: TransactWriteItemsCommand, index: number) => unknown = () => ({})) {
  const sent: TransactWriteItemsCommand[] = [];
  const client = {
    send: async (command: TransactWriteItemsCommand) => {
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
    const { client } = stubDynamo(() => awsError('ProvisionedThroughputExceededException'));
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
    const { client, sent } = stubDynamo((_c, index) => (index === 0 ? cancelled('ConditionalCheckFailed', 'None') : awsError('ThrottlingException')));
    const change = { key: 'contact#usr_1', attributes: { plan: 'pro' }, guarded: true, whenStale: WhenStale.FillMissing };
    const error = await new DynamoDbEffectStore(client, 't').apply(change, EVENT).catch((e: unknown) => e);
    expect((error as Error).name).toBe('ThrottlingException');
    expect(isPermanent(error)).toBe(false);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.input.TransactItems![0]!.Update!.UpdateExpression).toContain('if_not_exists(#a0, :a0)');
  });

  it('writes state and effect log in one transaction, the log only for an event not in it yet', async () => {
    const { client, sent } = stubDynamo();
    expect(await new DynamoDbEffectStore(client, 't').apply({ key: 'k', attributes: {}, guarded: true }, EVENT)).toBe('applied');
    expect(sent).toHaveLength(1);
    const [state, effect] = sent[0]!.input.TransactItems!;
    expect(state!.Update!.Key).toEqual({ pk: { S: 'k' }, sk: { S: 'state' } });
    expect(effect!.Update!.Key).toEqual({ pk: { S: 'effect#evt-1' }, sk: { S: 'effect' } });
    expect(effect!.Update!.ConditionExpression).toBe('attribute_not_exists(pk)');
  });

  it('an event already in the effect log is applied, whatever the state guard says, and nothing is retried', async () => {
    for (const stateCode of ['None', 'ConditionalCheckFailed']) {
      const { client, sent } = stubDynamo(() => cancelled(stateCode, 'ConditionalCheckFailed'));
      const change = { key: 'k', attributes: {}, guarded: true, whenStale: WhenStale.FillMissing };
      expect(await new DynamoDbEffectStore(client, 't').apply(change, EVENT)).toBe('applied');
      expect(sent).toHaveLength(1);
    }
  });

  it('a transaction cancelled for another reason (a conflict) stays transient', async () => {
    const { client } = stubDynamo(() => cancelled('TransactionConflict', 'None'));
    const error = await new DynamoDbEffectStore(client, 't').apply({ key: 'k', attributes: {}, guarded: true }, EVENT).catch((e: unknown) => e);
    expect((error as Error).name).toBe('TransactionCanceledException');
    expect(isPermanent(error)).toBe(false);
  });

  it('fails after a committed write while chaos says so, and not on a retry that writes nothing', async () => {
    const chaos = { transientFailureRate: 0, failAfterWriteRate: 1 };
    const { client } = stubDynamo();
    await expect(new DynamoDbEffectStore(client, 't', { chaos, random: () => 0 }).apply({ key: 'k', attributes: {}, guarded: true }, EVENT)).rejects.toThrow(/after a committed/);
    const { client: logged } = stubDynamo(() => cancelled('None', 'ConditionalCheckFailed'));
    expect(await new DynamoDbEffectStore(logged, 't', { chaos, random: () => 0 }).apply({ key: 'k', attributes: {}, guarded: true }, EVENT)).toBe('applied');
  });
});
