/**
 * The scaffolds' pure part (ops/scaffold.ts) and the command's refusals (cli/new.ts).
 * The whole walk (scaffold, synthesize, run) is test/integration/make-it-yours.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { newConsumerCommand, newEventCommand } from '../../cli/new';
import { loadPipeline } from '../../model/load-pipeline';
import { addToDefinitionArray, camel, consumerScaffold, eventScaffold, subjectFieldOf } from '../../ops/scaffold';

const DEFINITION = `import type { PipelineDefinition } from './model/pipeline-definition';

export const pipeline: PipelineDefinition = {
  name: 'p',
  topics: [{ name: 't' }],
  eventTypes: [
    // A comment that must survive.
    { name: 'a.b', topic: 't', peakEventsPerSecond: 1, latencySlaP95Seconds: 60 }
  ],
  consumers: [],
};
`;

describe('addToDefinitionArray', () => {
  it('appends after the last entry, adding the comma it lacked, indented alike, comments kept', () => {
    const out = addToDefinitionArray(DEFINITION, 'pipeline.ts', 'eventTypes', "{ name: 'c.d' }");
    expect(out).toContain("    // A comment that must survive.\n    { name: 'a.b', topic: 't', peakEventsPerSecond: 1, latencySlaP95Seconds: 60 },\n    { name: 'c.d' },\n  ],");
  });

  it('fills an empty array', () => {
    const out = addToDefinitionArray(DEFINITION, 'pipeline.ts', 'consumers', "{ name: 'x' }");
    expect(out).toContain("  consumers: [\n    { name: 'x' },\n  ],");
  });

  it('keeps an existing trailing comma single', () => {
    const once = addToDefinitionArray(DEFINITION, 'pipeline.ts', 'eventTypes', "{ name: 'c.d' }");
    const twice = addToDefinitionArray(once, 'pipeline.ts', 'eventTypes', "{ name: 'e.f' }");
    expect(twice).toContain("{ name: 'c.d' },\n    { name: 'e.f' },\n  ],");
    expect(twice).not.toContain(',,');
  });

  it('says what to add by hand when the file has no such array literal', () => {
    expect(() => addToDefinitionArray('export const pipeline = build();', 'pipeline.ts', 'consumers', "{ name: 'x' }")).toThrow(/pipeline.ts has no `consumers: \[...\]` array literal/);
  });
});

describe('names', () => {
  it('derives the subject field and identifiers from the names', () => {
    expect(subjectFieldOf('order.placed')).toBe('orderId');
    expect(subjectFieldOf('line-item.added')).toBe('lineItemId');
    expect(camel('order-sync')).toBe('orderSync');
  });

  it('writes a contract whose one example satisfies it, and a consumer whose handler map lists its types', () => {
    const { contract, entry } = eventScaffold({ type: 'order.placed', topic: 't', description: "It's placed.", peakEventsPerSecond: 2, latencySlaP95Seconds: 30 });
    const schema = JSON.parse(contract.text);
    expect(schema.examples).toEqual([{ orderId: 'order_7c1d2e3f', occurredAt: '2026-11-28T09:30:00Z' }]);
    expect(schema.required).toEqual(['orderId', 'occurredAt']);
    expect(entry).toBe("{ name: 'order.placed', topic: 't', peakEventsPerSecond: 2, latencySlaP95Seconds: 30 }");
    const consumer = consumerScaffold({ name: 'order-sync', topic: 't', eventTypes: ['order.placed', 'order.cancelled'], description: "Keeps the team's orders." });
    expect(consumer.entry).toContain("description: 'Keeps the team\\'s orders.',");
    expect(consumer.files.map((f) => f.path)).toEqual([
      'lambdas/downstream/order-sync.ts',
      'lambdas/consumers/order-sync/apply-events.ts',
      'lambdas/consumers/order-sync/handler.ts',
      'test/unit/consumer-order-sync.test.ts',
    ]);
    expect(consumer.files[1]!.text).toContain("'order.placed': {");
    expect(consumer.files[1]!.text).toContain("'order.cancelled': {");
    expect(consumer.files[0]!.text).toContain('portFactory<OrderSyncPort>({ dynamodb: dynamoDbOrderSync, http: httpOrderSync })');
  });
});

describe('fanout new refuses before writing anything', () => {
  const io = () => {
    const lines: string[] = [];
    return { io: { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l), interactive: false }, lines };
  };
  const nothing = () => {
    throw new Error('must not regenerate');
  };
  const root = '/nonexistent-project-root';
  // The project's pipeline, which `fanout new` may already have added to: the new names
  // below are ones it does not have yet (order.placed and order-sync unless taken).
  const project = loadPipeline();
  const unused = (base: string, taken: readonly string[]) => {
    let name = base;
    for (let i = 2; taken.includes(name); i++) name = `${base}${i}`;
    return name;
  };
  const newType = unused('order.placed', project.eventTypes.map((e) => e.name));
  const newConsumer = unused('order-sync', project.consumers.map((c) => c.name));
  const newTopic = unused('orders', project.topics.map((t) => t.name));
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  it.each([
    ['Order.Placed', { topic: 'user-events' }, /is not an event type name/],
    ['user.signed-up', { topic: 'user-events' }, /already has event type "user.signed-up"/],
    [newType, { topic: newTopic }, new RegExp(escape(`--topic: no topic "${newTopic}" in pipeline.ts (topics: ${project.topics.map((t) => t.name).join(', ')})`))],
  ])('new event %s', async (type, options, message) => {
    const { io: cmdIo, lines } = io();
    expect(await newEventCommand(type, options, { io: cmdIo, root, pipeline: loadPipeline(), regenerate: nothing })).toBe(2);
    expect(lines.join('\n')).toMatch(message);
  });

  it.each([
    ['crm-sync', { topic: 'user-events', types: 'user.signed-up' }, /already has consumer "crm-sync"/],
    [newConsumer, { topic: 'user-events', types: newType }, new RegExp(escape(`no event type "${newType}" in pipeline.ts; add it first with \`npx fanout new event ${newType} --topic user-events\``))],
    [newConsumer, { topic: 'user-events', types: 'subscription.changed' }, /"subscription.changed" is published to "billing-events", not to "user-events"/],
    [newConsumer, { topic: 'user-events', types: 'user.signed-up', team: 'orders' }, /--team and --contact go together/],
  ])('new consumer %s %j', async (name, options, message) => {
    const { io: cmdIo, lines } = io();
    expect(await newConsumerCommand(name, options, { io: cmdIo, root, pipeline: loadPipeline(), regenerate: nothing })).toBe(2);
    expect(lines.join('\n')).toMatch(message);
  });
});
