/**
 * `fanout route` and the routing behind it: which consumers of the sample pipeline an
 * event reaches, and why not the others, checked against the filters as the sample
 * pipeline defines them.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEnvelope } from '../../contracts/envelope';
import { resolvePipeline } from '../../model/pipeline-definition';
import { pipeline as samplePipeline } from '../../pipeline';
import { routeEvent, wireContractAttributes } from '../../ops/routing';
import { parseAttributes, routeCommand } from '../../cli/route';

const SCHEMAS = join(import.meta.dirname, '../../schemas');
const pipeline = resolvePipeline(samplePipeline, SCHEMAS);

const signUp = (marketingOptIn: boolean) =>
  JSON.stringify(
    createEnvelope({
      type: 'user.signed-up',
      version: 2,
      id: 'evt-1',
      correlationId: 'corr-1',
      subject: 'usr_abcdef12',
      source: 'urn:test',
      time: new Date('2026-12-03T10:00:00Z'),
      data: { userId: 'usr_abcdef12', email: 'a@example.com', name: 'A', plan: 'free', signedUpAt: '2026-12-03T10:00:00Z', marketingOptIn },
    }),
  );

const receivers = (route: ReturnType<typeof routeEvent>) => route.consumers.filter((c) => c.receives).map((c) => c.consumer);

describe('routeEvent', () => {
  it('sends an opted-in sign-up to crm-sync and email-marketing, and says why not billing-sync', () => {
    const body = signUp(true);
    const route = routeEvent(pipeline, { body, attributes: wireContractAttributes(body) });
    expect({ topic: route.topic, receivers: receivers(route), warnings: route.warnings }).toEqual({ topic: 'user-events', receivers: ['crm-sync', 'email-marketing'], warnings: [] });
    expect(route.consumers.find((c) => c.consumer === 'billing-sync')!.reasons).toEqual(['subscribed to topic billing-events, not user-events']);
  });

  it('names the body filter leaf an opted-out sign-up fails, with the value it found', () => {
    const body = signUp(false);
    const route = routeEvent(pipeline, { body, attributes: wireContractAttributes(body) });
    expect(receivers(route)).toEqual(['crm-sync']);
    expect(route.consumers.find((c) => c.consumer === 'email-marketing')!.reasons).toEqual(['data.marketingOptIn: wants [true], found false']);
  });

  it('without attributes: dropped by the attribute-filtered subscription, counted under NoMessageAttributes, and a warning when nothing is left', () => {
    const route = routeEvent(pipeline, { body: signUp(false), attributes: {} });
    expect(receivers(route)).toEqual([]);
    expect(route.consumers.find((c) => c.consumer === 'crm-sync')!.reasons[0]).toMatch(/no attributes .*NumberOfNotificationsFilteredOut-NoMessageAttributes/);
    expect(route.warnings).toEqual([expect.stringMatching(/^matches no subscription of topic user-events/)]);
    // Opted in, email-marketing's body filter still takes it: no warning.
    expect(routeEvent(pipeline, { body: signUp(true), attributes: {} }).warnings).toEqual([]);
  });

  it('names the attribute an attribute filter wants, and warns when it contradicts the envelope', () => {
    const route = routeEvent(pipeline, { body: signUp(false), attributes: { type: { DataType: 'String', StringValue: 'user.deleted' } } });
    expect(route.consumers.find((c) => c.consumer === 'crm-sync')!.reasons).toEqual(['type: wants ["user.signed-up","user.profile-updated"], found user.deleted (String)']);
    expect(route.warnings).toEqual([expect.stringMatching(/`type` attribute "user.deleted" is not its envelope's type/), expect.stringMatching(/matches no subscription/)]);
  });

  it('warns of an invalid envelope and of an event type no topic carries', () => {
    // A type the pipeline does not have: order.placed, unless `fanout new event` added it.
    let uncarried = 'order.placed';
    for (let i = 2; pipeline.eventTypes.some((e) => e.name === uncarried); i++) uncarried = `order.placed-${i}`;
    const route = routeEvent(pipeline, { body: JSON.stringify({ type: uncarried }), attributes: { type: { DataType: 'String', StringValue: uncarried } } });
    expect(route.topic).toBeUndefined();
    expect(receivers(route)).toEqual([]);
    expect(route.warnings).toEqual([expect.stringMatching(/not a valid envelope/), `no topic of fanout-sample carries event type "${uncarried}"`]);
  });

  it('warns when a consumer would receive an event it has no handler for', () => {
    const body = signUp(true);
    const route = routeEvent(pipeline, { body, attributes: { type: { DataType: 'String', StringValue: 'subscription.changed' } } }, 'billing-events');
    expect(receivers(route)).toEqual(['billing-sync']);
    expect(route.warnings).toContainEqual(expect.stringMatching(/billing-sync receives it but has no handler for "user.signed-up"/));
  });
});

describe('wireContractAttributes', () => {
  it('derives type, correlationid (the id when absent) and schemaversion from the body', () => {
    const { correlationid: _c, ...plain } = JSON.parse(signUp(true)) as Record<string, unknown>;
    expect(wireContractAttributes(JSON.stringify(plain))).toEqual({
      type: { DataType: 'String', StringValue: 'user.signed-up' },
      correlationid: { DataType: 'String', StringValue: 'evt-1' },
      schemaversion: { DataType: 'String', StringValue: '2' },
    });
  });
});

describe('fanout route', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fanout-route-'));
  const file = join(dir, 'event.json');
  writeFileSync(file, signUp(false));
  const run = async (options: Parameters<typeof routeCommand>[1]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await routeCommand(file, options, { io: { out: (t) => out.push(t), err: (t) => err.push(t), interactive: false }, pipeline });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('prints one line per consumer and exits 0 when the event reaches one', async () => {
    const { code, out } = await run({});
    expect(code).toBe(0);
    expect(out).toMatch(/^crm-sync +receives/m);
    expect(out).toMatch(/^email-marketing +does not +data\.marketingOptIn: wants \[true\], found false$/m);
  });

  it('exits 1 with the warning when it reaches none (published without attributes)', async () => {
    const { code, out } = await run({ attributes: false });
    expect(code).toBe(1);
    expect(out).toMatch(/^warning: matches no subscription/m);
  });

  it('takes attributes in SNS’s shape or as plain strings, and refuses anything else with exit 2', async () => {
    expect(parseAttributes('{"type":{"DataType":"String","StringValue":"x"},"tenant":"acme"}')).toEqual({
      type: { DataType: 'String', StringValue: 'x' },
      tenant: { DataType: 'String', StringValue: 'acme' },
    });
    expect((await run({ attributes: '[1]' })).code).toBe(2);
    expect((await run({ attributes: '{"type": 7}' })).err).toMatch(/"type" must be a string/);
    expect((await run({ topic: 'nope' })).err).toMatch(/no topic "nope"/);
  });

  it('prints the route as JSON with --json', async () => {
    const { out } = await run({ json: true });
    // One entry per consumer of the pipeline, in its order: of the sample's, crm-sync alone takes an opted-out sign-up.
    const body = signUp(false);
    const route = routeEvent(pipeline, { body, attributes: wireContractAttributes(body) });
    const expected = pipeline.consumers.map((c) => ({ consumer: c.name, receives: route.consumers.find((r) => r.consumer === c.name)!.receives }));
    expect(expected.filter((c) => ['crm-sync', 'email-marketing', 'billing-sync'].includes(c.consumer))).toEqual([
      { consumer: 'crm-sync', receives: true },
      { consumer: 'email-marketing', receives: false },
      { consumer: 'billing-sync', receives: false },
    ]);
    expect(JSON.parse(out)).toMatchObject({ eventType: 'user.signed-up', topic: 'user-events', consumers: expected });
  });
});
