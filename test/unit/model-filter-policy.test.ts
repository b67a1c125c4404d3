import { describe, expect, it } from 'vitest';
import { matchesFilterPolicy, UnsupportedFilterError, type PublishedMessage } from '../../model/filter-policy';

function message(body: unknown, attributes: Record<string, string | number | string[]> = {}): PublishedMessage {
  return {
    body: JSON.stringify(body),
    attributes: Object.fromEntries(
      Object.entries(attributes).map(([key, value]) => [
        key,
        typeof value === 'number'
          ? { DataType: 'Number', StringValue: String(value) }
          : Array.isArray(value)
            ? { DataType: 'String.Array', StringValue: JSON.stringify(value) }
            : { DataType: 'String', StringValue: value },
      ]),
    ),
  };
}

describe('matchesFilterPolicy, MessageAttributes scope', () => {
  const signedUp = message({ type: 'user.signed-up' }, { type: 'user.signed-up', schemaversion: '2', seats: 5, tags: ['vip', 'eu'] });

  it('matches when any listed value equals the attribute', () => {
    expect(matchesFilterPolicy({ type: ['user.signed-up', 'user.profile-updated'] }, 'MessageAttributes', signedUp)).toBe(true);
    expect(matchesFilterPolicy({ type: ['user.profile-updated'] }, 'MessageAttributes', signedUp)).toBe(false);
  });

  it('requires every key to match (AND across keys)', () => {
    expect(matchesFilterPolicy({ type: ['user.signed-up'], schemaversion: ['1'] }, 'MessageAttributes', signedUp)).toBe(false);
    expect(matchesFilterPolicy({ type: ['user.signed-up'], schemaversion: ['2'] }, 'MessageAttributes', signedUp)).toBe(true);
  });

  it('does not match a missing attribute unless exists:false', () => {
    expect(matchesFilterPolicy({ region: ['eu'] }, 'MessageAttributes', signedUp)).toBe(false);
    expect(matchesFilterPolicy({ region: [{ exists: false }] }, 'MessageAttributes', signedUp)).toBe(true);
    expect(matchesFilterPolicy({ type: [{ exists: true }] }, 'MessageAttributes', signedUp)).toBe(true);
    expect(matchesFilterPolicy({ type: [{ exists: false }] }, 'MessageAttributes', signedUp)).toBe(false);
  });

  it('supports prefix, suffix, anything-but, equals-ignore-case and numeric', () => {
    expect(matchesFilterPolicy({ type: [{ prefix: 'user.' }] }, 'MessageAttributes', signedUp)).toBe(true);
    expect(matchesFilterPolicy({ type: [{ suffix: '-up' }] }, 'MessageAttributes', signedUp)).toBe(true);
    expect(matchesFilterPolicy({ type: [{ 'anything-but': ['user.signed-up'] }] }, 'MessageAttributes', signedUp)).toBe(false);
    expect(matchesFilterPolicy({ type: [{ 'anything-but': { prefix: 'billing.' } }] }, 'MessageAttributes', signedUp)).toBe(true);
    expect(matchesFilterPolicy({ type: [{ 'equals-ignore-case': 'USER.SIGNED-UP' }] }, 'MessageAttributes', signedUp)).toBe(true);
    expect(matchesFilterPolicy({ seats: [{ numeric: ['>', 1, '<=', 5] }] }, 'MessageAttributes', signedUp)).toBe(true);
    expect(matchesFilterPolicy({ seats: [{ numeric: ['>', 5] }] }, 'MessageAttributes', signedUp)).toBe(false);
    expect(matchesFilterPolicy({ seats: [5] }, 'MessageAttributes', signedUp)).toBe(true);
    // A String attribute never equals a numeric policy value, nor meets a numeric range.
    expect(matchesFilterPolicy({ schemaversion: [2] }, 'MessageAttributes', signedUp)).toBe(false);
    expect(matchesFilterPolicy({ schemaversion: [{ numeric: ['>', 1] }] }, 'MessageAttributes', signedUp)).toBe(false);
    expect(matchesFilterPolicy({ plan: [{ numeric: ['>', 1] }] }, 'MessageBody', message({ plan: '10' }, {}))).toBe(false);
    expect(matchesFilterPolicy({ plan: [{ numeric: ['>', 1] }] }, 'MessageBody', message({ plan: 10 }, {}))).toBe(true);
  });

  it('matches String.Array attributes when any element matches', () => {
    expect(matchesFilterPolicy({ tags: ['eu'] }, 'MessageAttributes', signedUp)).toBe(true);
    expect(matchesFilterPolicy({ tags: ['us'] }, 'MessageAttributes', signedUp)).toBe(false);
  });

  it('supports $or', () => {
    const policy = { $or: [{ type: ['billing'] }, { schemaversion: ['2'] }] };
    expect(matchesFilterPolicy(policy, 'MessageAttributes', signedUp)).toBe(true);
    expect(matchesFilterPolicy({ $or: [{ type: ['billing'] }, { schemaversion: ['3'] }] }, 'MessageAttributes', signedUp)).toBe(false);
  });

  it('accepts the policy as JSON text, as the template carries it, and no policy means everything', () => {
    expect(matchesFilterPolicy('{"type":["user.signed-up"]}', 'MessageAttributes', signedUp)).toBe(true);
    expect(matchesFilterPolicy(undefined, 'MessageAttributes', signedUp)).toBe(true);
  });

  it('refuses nested policies on attributes and unknown operators', () => {
    expect(() => matchesFilterPolicy({ data: { x: [1] } }, 'MessageAttributes', signedUp)).toThrow(UnsupportedFilterError);
    expect(() => matchesFilterPolicy({ ip: [{ cidr: '10.0.0.0/8' }] }, 'MessageAttributes', message({}, { ip: '10.0.0.1' }))).toThrow(
      UnsupportedFilterError,
    );
  });
});

describe('matchesFilterPolicy, MessageBody scope', () => {
  // The sample pipeline's email-marketing policy.
  const policy = { type: ['user.signed-up'], data: { marketingOptIn: [true] } };

  it('selects v2 sign-ups that opted in, and nothing else', () => {
    expect(matchesFilterPolicy(policy, 'MessageBody', message({ type: 'user.signed-up', data: { marketingOptIn: true } }))).toBe(true);
    expect(matchesFilterPolicy(policy, 'MessageBody', message({ type: 'user.signed-up', data: { marketingOptIn: false } }))).toBe(false);
    expect(matchesFilterPolicy(policy, 'MessageBody', message({ type: 'user.signed-up', data: {} }))).toBe(false);
    expect(matchesFilterPolicy(policy, 'MessageBody', message({ type: 'user.profile-updated', data: { marketingOptIn: true } }))).toBe(false);
  });

  it('does not treat the string "true" as the boolean true', () => {
    expect(matchesFilterPolicy(policy, 'MessageBody', message({ type: 'user.signed-up', data: { marketingOptIn: 'true' } }))).toBe(false);
  });

  it('matches any element of a body array, and null literally', () => {
    expect(matchesFilterPolicy({ tags: ['b'] }, 'MessageBody', message({ tags: ['a', 'b'] }))).toBe(true);
    expect(matchesFilterPolicy({ items: { sku: ['x'] } }, 'MessageBody', message({ items: [{ sku: 'y' }, { sku: 'x' }] }))).toBe(true);
    expect(matchesFilterPolicy({ note: [null] }, 'MessageBody', message({ note: null }))).toBe(true);
    expect(matchesFilterPolicy({ note: [null] }, 'MessageBody', message({}))).toBe(false);
  });

  it('never matches a body that is not a JSON object', () => {
    expect(matchesFilterPolicy(policy, 'MessageBody', { body: 'not json', attributes: {} })).toBe(false);
  });
});
