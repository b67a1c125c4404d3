import { describe, expect, it } from 'vitest';
import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AppliedEvent } from '../../lambdas/downstream/applied-event';
import { DynamoDbEffectStore, effectKey } from '../../lambdas/downstream/dynamodb-effects';
import { ChaosInjectedError, DownstreamRejectedError } from '../../lambdas/downstream/errors';
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

describe('DynamoDB effect store', () => {
  it('writes the state item under the ordering guard, then adds one application to the effect log', async () => {
    const { client, sent } = stubDynamo();
    const store = new DynamoDbEffectStore(client, 'downstream', { now: () => NOW });
    const outcome = await store.apply({ key: 'contact#usr_1', attributes: { name: 'Ada', email: undefined, seats: 3, active: true }, guarded: true }, EVENT);
    expect(outcome).toBe('applied');
    expect(sent).toHaveLength(2);
    const [state, effect] = sent.map((c) => c.input);
    expect(sent[0]).toBeInstanceOf(UpdateItemCommand);
    expect(state!.Key).toEqual({ pk: { S: 'contact#usr_1' }, sk: { S: 'state' } });
    expect(state!.ConditionExpression).toContain('#sequence < :sequence');
    expect(state!.ConditionExpression).toContain('lastEventId = :eventId');
    expect(state!.ExpressionAttributeValues).toMatchObject({ ':sequence': { N: '3' }, ':eventId': { S: 'evt-1' }, ':a0': { S: 'Ada' }, ':a1': { N: '3' }, ':a2': { BOOL: true } });
    // Undefined attributes are left as stored, not erased.
    expect(Object.values(state!.ExpressionAttributeNames!)).not.toContain('email');
    expect(effect!.Key).toEqual({ pk: { S: effectKey('evt-1') }, sk: { S: 'effect' } });
    expect(effect!.UpdateExpression).toContain('ADD applications :one');
    expect(effect!.ExpressionAttributeValues).toMatchObject({ ':one': { N: '1' }, ':type': { S: 'user.profile-updated' }, ':now': { S: '2026-11-28T10:00:01.000Z' } });
  });

  it('reports a change refused by the guard as stale and writes no effect', async () => {
    const { client, sent } = stubDynamo(() => awsError('ConditionalCheckFailedException'));
    const store = new DynamoDbEffectStore(client, 'downstream');
    expect(await store.apply({ key: 'contact#usr_1', attributes: {}, guarded: true }, EVENT)).toBe('stale');
    expect(sent).toHaveLength(1);
  });

  it('writes unguarded changes without a condition', async () => {
    const { client, sent } = stubDynamo();
    await new DynamoDbEffectStore(client, 't').apply({ key: 'subscriber#usr_1', attributes: { status: 'subscribed' }, guarded: false }, EVENT);
    expect(sent[0]!.input.ConditionExpression).toBeUndefined();
  });

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
    const { client, sent } = stubDynamo();
    const chaos = { transientFailureRate: 0.5, untilMs: NOW + 1000 };
    const failing = new DynamoDbEffectStore(client, 't', { chaos, now: () => NOW, random: () => 0.2 });
    await expect(failing.apply({ key: 'k', attributes: {}, guarded: true }, EVENT)).rejects.toBeInstanceOf(ChaosInjectedError);
    expect(sent).toEqual([]);
    const lucky = new DynamoDbEffectStore(client, 't', { chaos, now: () => NOW, random: () => 0.7 });
    expect(await lucky.apply({ key: 'k', attributes: {}, guarded: true }, EVENT)).toBe('applied');
    const after = new DynamoDbEffectStore(client, 't', { chaos, now: () => NOW + 1000, random: () => 0 });
    expect(await after.apply({ key: 'k', attributes: {}, guarded: true }, EVENT)).toBe('applied');
  });
});
