import { describe, expect, it } from 'vitest';
import { createEnvelope, isTraceparent, parseEnvelope, REQUIRED_ENVELOPE_FIELDS } from '../../contracts/envelope';
import { InvalidEnvelopeError } from '../../contracts/errors';

const event = () =>
  createEnvelope({
    type: 'user.signed-up',
    version: 1,
    data: { userId: 'usr_9f2c1a7b' },
    subject: 'usr_9f2c1a7b',
    source: 'urn:fanout:web-app',
    id: 'evt-1',
    correlationId: 'corr-1',
    time: new Date('2026-11-28T09:30:00Z'),
  });

describe('parseEnvelope: the wire contract', () => {
  it('reads what createEnvelope writes', () => {
    expect(parseEnvelope(JSON.stringify(event()))).toEqual(event());
  });

  it('requires the CloudEvents fields and time, subject and dataschema', () => {
    expect(REQUIRED_ENVELOPE_FIELDS).toEqual(['id', 'source', 'type', 'time', 'subject', 'dataschema']);
    for (const field of REQUIRED_ENVELOPE_FIELDS) {
      const { [field]: _dropped, ...rest } = event();
      expect(() => parseEnvelope(JSON.stringify(rest)), field).toThrow(new RegExp(`"${field}"`));
    }
  });

  it('takes the event id as the correlation id when a plain CloudEvent has none', () => {
    const { correlationid: _c, ...plain } = event();
    expect(parseEnvelope(JSON.stringify(plain)).correlationid).toBe('evt-1');
  });

  it('refuses a correlationid that is present but not a non-empty string', () => {
    for (const correlationid of ['', 42, null]) {
      expect(() => parseEnvelope(JSON.stringify({ ...event(), correlationid })), String(correlationid)).toThrow(InvalidEnvelopeError);
    }
  });

  it('keeps a W3C traceparent and drops one that is not, as Trace Context tells a receiver to', () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(parseEnvelope(JSON.stringify({ ...event(), traceparent })).traceparent).toBe(traceparent);
    expect(parseEnvelope(JSON.stringify({ ...event(), traceparent: 'garbage' }))).not.toHaveProperty('traceparent');
  });
});

describe('parseEnvelope: what it refuses, and says why', () => {
  it.each([
    ['a time that is not RFC 3339', { time: '2024' }, /"time" is not an RFC 3339 timestamp/],
    ['a time in prose', { time: 'May 1, 2024' }, /"time" is not an RFC 3339 timestamp/],
    ['binary data', { data: undefined, data_base64: 'aGk=' }, /data_base64 \(binary data\)/],
    ['data that is not JSON', { datacontenttype: 'text/plain' }, /datacontenttype must be application\/json/],
  ])('%s', (_name, change, message) => {
    const body = JSON.parse(JSON.stringify({ ...event(), ...change })) as Record<string, unknown>;
    expect(() => parseEnvelope(JSON.stringify(body))).toThrow(message);
  });

  it('accepts JSON content types with parameters, and an offset time', () => {
    for (const datacontenttype of ['application/json; charset=utf-8', 'application/vnd.acme+json']) {
      expect(parseEnvelope(JSON.stringify({ ...event(), datacontenttype, time: '2026-11-28T10:30:00.5+01:00' })).id).toBe('evt-1');
    }
  });
});

describe('isTraceparent', () => {
  it.each([
    ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', true],
    ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00', true],
    // All-zero trace or parent ids are invalid by the spec.
    ['00-00000000000000000000000000000000-00f067aa0ba902b7-01', false],
    ['00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', false],
    // Upper case, a short id, an unknown version, not a string.
    ['00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', false],
    ['00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01', false],
    ['ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', false],
    [42, false],
  ])('%s → %s', (value, expected) => {
    expect(isTraceparent(value)).toBe(expected);
  });
});
