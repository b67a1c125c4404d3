/**
 * The demo workload `npm start` publishes: every event type of the pipeline (pipeline.ts,
 * read through `loadPipeline()`), its events drawn from the `examples` of its contract,
 * with the awkward cases a pipeline must survive. A team that adds an event type and its
 * schemas/<type>/v1.json gets it exercised here without changing this file.
 *
 * For every event type, in proportions set by {@link workloadMix}:
 * - valid events at the latest contract version (what producers write), each varied from
 *   an example: a fresh id and subject, other fields varied within the schema;
 * - duplicates: an event already published, published again a little later (same id);
 * - out-of-order pairs, except on FIFO topics (which keep order per subject: the subject
 *   is the message group): a later event of a subject published just before an earlier one;
 * - events at each older contract version, as a producer not yet upgraded sends them;
 * - invalid events: an example with a required field removed or given the wrong type.
 *
 * How a contract is read (the latest version's schema), so that no type is hand-coded:
 * - Subject: the first property, in `properties` order, that is required, a string and
 *   named `...Id` (`userId`, `accountId`): the entity the event is about, the envelope
 *   `subject` and the FIFO message group. New values keep the example's prefix up to its
 *   last non-alphanumeric character (`usr_`) and add the run tag and a serial number. A
 *   type without such a property gets a generated subject per entity.
 * - Order: the first required integer property named like a counter (`sequence`,
 *   `revision`, `version`, `generation`, `seq`, `rev`, or ending in `Sequence`,
 *   `Revision`, `Version`, `Counter`) or described as a counter. It is what consumers
 *   name as their handler's `sequenceField` (lambdas/consumers/*), and it counts 1, 2, ...
 *   per subject (from its `minimum` when that is higher). Without one, the envelope
 *   `time` alone orders a subject's events.
 * - A type with a counter changes entities; one without creates them. When a creating
 *   type has the same subject property (sign-ups create the users profile updates
 *   change), a changing type's events are about entities created at least a few
 *   publications before (30 in plans of 300 events and more); otherwise about a pool of
 *   its own, a quarter as many entities as it has events. A creating type makes a new
 *   entity with each event.
 * - Out of order: with a counter, n + 2 published before n + 1 (n + 1 arrives stale);
 *   without, two events of one subject, the second published with an envelope time just
 *   before the first's.
 * - Varied fields: an enum takes a random member; a boolean true or false; strings of
 *   format email, date-time and uuid are generated; an integer with a `minimum` takes a
 *   value within 50 of it (and under its `maximum`); an optional property the example
 *   has is left out a third of the time (v2 sign-ups: opted in, out, or not asked);
 *   anything else is the example's. Varied data that breaks the contract falls back to
 *   the example with only subject and counter set; if that breaks it too, planning fails
 *   with {@link WorkloadPlanError}.
 * - Invalid events start from an example unvaried (so they reach every consumer whose
 *   body filter the example passes), about an entity of their own (so one cannot hold
 *   up a FIFO group), with a required property other than the subject removed or given
 *   a value of the wrong type, in turn; each is checked to break the contract.
 *
 * Valid latest-version events go through the publisher client (validated, enveloped,
 * PublishBatch). Older-version events and invalid ones are published raw with the SNS
 * client: the publisher writes the version it was generated against and refuses invalid
 * data, which is the point, and the demo must show consumers coping with older producers.
 * What each consumer should receive is not decided here: the report evaluates the
 * subscriptions' filter policies over what was published (local/report.ts).
 *
 * {@link planWorkload} is pure and seeded (the same plan for the same seed, size and
 * pipeline, apart from event ids); {@link publishWorkload} sends a plan at a paced rate.
 */
import { randomUUID } from 'node:crypto';
import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { EventDataMap } from '../contracts/event-types.generated';
import { FanoutError } from '../contracts/errors';
import { compileValidator, type DataValidator } from '../contracts/validation';
import { buildPublishEntry, isFifoTopicArn, type PublishEntry, type Publisher, type PublishEvent } from '../client/publisher';
import { loadPipeline } from '../model/load-pipeline';
import type { ResolvedEventType, ResolvedPipeline } from '../model/pipeline-definition';
import { sleep } from './event-source-poller';
import type { PublishedMessage } from '../model/filter-policy';

/** The producer the demo writes as. */
export const DEMO_SOURCE = 'urn:fanout:local-demo';

/** A contract the demo cannot draw events from (no examples, or examples the variations cannot keep valid). */
export class WorkloadPlanError extends FanoutError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WorkloadPlanError';
  }
}

/** Why an event is in the workload; every event type gets each that applies to it. */
export const DemoKind = {
  /** At the latest contract version, through the publisher. */
  Valid: 'valid',
  /** At an older contract version, published raw (a producer not yet upgraded). */
  OlderVersion: 'older-version',
  /** One of a pair: a later event of a subject published just before an earlier one. */
  OutOfOrder: 'out-of-order',
  /** The second publication of an event already published (same id). */
  Duplicate: 'duplicate',
  /** Data that breaks its contract; published raw, past the publisher's validation. */
  Invalid: 'invalid',
} as const;

/** One of {@link DemoKind}. */
export type DemoKind = (typeof DemoKind)[keyof typeof DemoKind];

/** One publication of the plan. */
export interface PlannedEvent {
  readonly kind: DemoKind;
  readonly id: string;
  /** The event type, as the pipeline names it. */
  readonly type: string;
  /** The contract version the data is written against. */
  readonly version: number;
  readonly subject: string;
  readonly data: Record<string, unknown>;
  /** Through the publisher client (validated), or raw through SNS. */
  readonly via: 'publisher' | 'raw';
  /** True when the data satisfies its contract version. */
  readonly valid: boolean;
  /** For invalid events: what is wrong with them. */
  readonly defect?: string;
  /**
   * The id of an event, planned just before this one, that happened after it: this one's
   * envelope time is set 1 ms before that event's. Out-of-order pairs of types without a
   * counter, whose events only their time orders.
   */
  readonly occurredBefore?: string;
}

/** Options of {@link planWorkload}. */
export interface WorkloadPlanOptions {
  /** Publications in total (duplicates and invalid ones included). */
  readonly events: number;
  /** @default 1 */
  readonly seed?: number;
  /** Tag in entity ids, so runs against the same emulator do not share entities. @default random */
  readonly runTag?: string;
  /** @default crypto.randomUUID */
  readonly newId?: () => string;
  /** Whose event types to plan. @default loadPipeline(), this project's pipeline */
  readonly pipeline?: ResolvedPipeline;
}

/** A small, fast, seedable PRNG (mulberry32): the plan must be repeatable, and so must tests that draw from it. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Schema = Record<string, unknown>;

const propertiesOf = (schema: Schema): Record<string, Schema> => (isObject(schema.properties) ? (schema.properties as Record<string, Schema>) : {});
const requiredOf = (schema: Schema): string[] => (Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : []);
/** A property's JSON type; the first non-null one of a list. */
const typeOf = (property: Schema | undefined): string | undefined =>
  typeof property?.type === 'string' ? property.type : Array.isArray(property?.type) ? property.type.find((t) => t !== 'null') : undefined;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const COUNTER_NAME = /^(sequence|revision|version|generation|seq|rev)$|(Sequence|Revision|Version|Counter)$/;

/** What the planner reads from an event type's contract; see the file comment for the rules. */
export interface EventTypeShape {
  readonly type: string;
  /** Published to a FIFO topic: events of a subject stay in order. */
  readonly fifo: boolean;
  /** The data property naming the subject; undefined when subjects are generated. */
  readonly subjectField?: string;
  /** The data property counting a subject's events; undefined when time alone orders them. */
  readonly sequenceField?: string;
}

/** The subject and counter properties of a contract schema, by the rules in the file comment. */
export function contractShape(schema: Schema): { subjectField?: string; sequenceField?: string } {
  const required = new Set(requiredOf(schema));
  const entries = Object.entries(propertiesOf(schema)).filter(([name]) => required.has(name));
  const subjectField = entries.find(([name, property]) => typeOf(property) === 'string' && name.endsWith('Id'))?.[0];
  const sequenceField = entries.find(
    ([name, property]) =>
      typeOf(property) === 'integer' && (COUNTER_NAME.test(name) || (typeof property.description === 'string' && /\bcounter\b/i.test(property.description))),
  )?.[0];
  return { ...(subjectField !== undefined && { subjectField }), ...(sequenceField !== undefined && { sequenceField }) };
}

/** The shape of every event type of `pipeline`, in the pipeline's order. */
export function eventTypeShapes(pipeline: ResolvedPipeline): EventTypeShape[] {
  return pipeline.eventTypes.map((eventType) => ({
    type: eventType.name,
    fifo: pipeline.topics.find((t) => t.name === eventType.topic)?.fifo ?? false,
    ...contractShape(eventType.versions.at(-1)!.schema),
  }));
}

/** Publications of each kind, by event type. */
export type WorkloadMix = Readonly<Record<string, Readonly<Record<DemoKind, number>>>>;

/** Below this many events a plan holds valid events only: too few to show every case. */
const SPECIAL_CASES_FROM = 20;

/**
 * Splits `total` over `weights`: `minimum` each, the rest in proportion (largest
 * remainders first, ties to the earlier), so the parts add up to `total` exactly.
 */
function apportion(total: number, weights: readonly number[], minimum: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const rest = total - minimum * weights.length;
  const exact = weights.map((w) => (sum > 0 ? (rest * w) / sum : rest / weights.length));
  const parts = exact.map(Math.floor);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let left = rest - parts.reduce((a, b) => a + b, 0), k = 0; left > 0; left -= 1, k += 1) parts[order[k % order.length]![1]]! += 1;
  return parts.map((p) => p + minimum);
}

/**
 * How many of each kind a plan of `events` publications holds, per event type. Shares of
 * the whole: invalid 1% (at least 3), duplicates 3% (at least 2), older versions 2% (at
 * least 2, over the types that have one), out-of-order 1% in pairs (at least one pair,
 * over the types on standard topics); each spread over its types by their
 * `peakEventsPerSecond`, at least one each; the rest valid, spread the same way. A
 * type's weight is at least a tenth of the pipeline's total, so a quiet type still
 * shows. From 20 events up every case appears for every type it applies to, as long as
 * that leaves each type a valid event; below, valid events only.
 */
export function workloadMix(events: number, pipeline: ResolvedPipeline = loadPipeline()): WorkloadMix {
  if (!Number.isInteger(events) || events < 1) throw new RangeError(`events must be a positive integer, got ${events}`);
  const shapes = eventTypeShapes(pipeline);
  const totalPeak = pipeline.eventTypes.reduce((sum, t) => sum + t.peakEventsPerSecond, 0);
  const weightOf = new Map(pipeline.eventTypes.map((t) => [t.name, Math.max(t.peakEventsPerSecond, totalPeak / 10)]));
  const mix = new Map(shapes.map((s) => [s.type, { valid: 0, 'older-version': 0, 'out-of-order': 0, duplicate: 0, invalid: 0 } as Record<DemoKind, number>]));
  const share = (minimum: number, fraction: number, types: number) => Math.max(minimum, types, Math.round(events * fraction));
  const spread = (kind: DemoKind, total: number, types: readonly string[], perUnit = 1) => {
    if (types.length === 0) return;
    apportion(total, types.map((t) => weightOf.get(t)!), 1).forEach((n, i) => (mix.get(types[i]!)![kind] += n * perUnit));
  };
  const all = shapes.map((s) => s.type);
  const withOlder = pipeline.eventTypes.filter((t) => t.versions.length > 1).map((t) => t.name);
  const unordered = shapes.filter((s) => !s.fifo).map((s) => s.type);
  const invalid = share(3, 0.01, all.length);
  const duplicate = share(2, 0.03, all.length);
  const older = withOlder.length > 0 ? share(2, 0.02, withOlder.length) : 0;
  const pairs = unordered.length > 0 ? share(1, 0.01, unordered.length) : 0;
  const special = invalid + duplicate + older + 2 * pairs;
  let valid = events;
  if (events >= SPECIAL_CASES_FROM && events - special >= all.length) {
    spread(DemoKind.Invalid, invalid, all);
    spread(DemoKind.Duplicate, duplicate, all);
    spread(DemoKind.OlderVersion, older, withOlder);
    spread(DemoKind.OutOfOrder, pairs, unordered, 2);
    valid -= special;
  }
  apportion(valid, all.map((t) => weightOf.get(t)!), valid >= all.length ? 1 : 0).forEach((n, i) => (mix.get(all[i]!)!.valid += n));
  return Object.fromEntries(mix);
}

/** One contract version ready to draw from. */
interface VersionModel {
  readonly version: number;
  readonly schema: Schema;
  readonly examples: readonly Record<string, unknown>[];
  readonly validate: DataValidator;
}

/** An event type as the planner works with it. */
interface TypeModel {
  readonly shape: EventTypeShape;
  readonly versions: readonly VersionModel[];
  /** Types without a counter that share this one's subject property: they create its entities. */
  creators: TypeModel[];
  /** A counter type without creators: the entities its events are about. */
  pool: Entity[];
  /** Older-version events planned so far (they take the older versions in turn). */
  olderPlanned: number;
}

/** Something events are about, with its counters. */
interface Entity {
  readonly subject: string;
  /** Plan position at which it was created. */
  readonly createdAt: number;
  readonly counters: Map<string, number>;
}

function typeModel(eventType: ResolvedEventType, shape: EventTypeShape): TypeModel {
  const versions = eventType.versions.map((v) => {
    const examples = Array.isArray(v.schema.examples) ? v.schema.examples.filter(isObject) : [];
    if (examples.length === 0) {
      throw new WorkloadPlanError(`${v.file} has no object in \`examples\`: the demo workload draws ${eventType.name} v${v.version} events from them`);
    }
    return { version: v.version, schema: v.schema, examples, validate: compileValidator(v.schema) };
  });
  return { shape, versions, creators: [], pool: [], olderPlanned: 0 };
}

/** Data times count minutes from here, one per planned event. */
const DATA_EPOCH_MS = Date.UTC(2026, 10, 28, 9, 0);

/**
 * Plans the publications, in the order they are to be published, for every event type
 * of the pipeline: see the file comment for what is planned and how contracts are read.
 * Entities are created before the events that change them; each entity's counter runs
 * in sequence except in out-of-order pairs; duplicates follow their original a little later.
 * @throws WorkloadPlanError when a contract has no examples or they cannot be varied validly
 */
export function planWorkload(options: WorkloadPlanOptions): PlannedEvent[] {
  const pipeline = options.pipeline ?? loadPipeline();
  const random = prng(options.seed ?? 1);
  const newId = options.newId ?? randomUUID;
  const tag = options.runTag ?? Math.random().toString(36).slice(2, 6).padEnd(4, '0');
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const mix = workloadMix(options.events, pipeline);
  const shapes = eventTypeShapes(pipeline);
  const models = pipeline.eventTypes.map((eventType, i) => typeModel(eventType, shapes[i]!));
  for (const model of models) {
    const { subjectField, sequenceField } = model.shape;
    if (sequenceField === undefined || subjectField === undefined) continue;
    model.creators = models.filter((m) => m.shape.sequenceField === undefined && m.shape.subjectField === subjectField);
  }
  // Changes wait for their entity to be this many publications old, so that the ordering
  // guard is exercised by the out-of-order pairs, not by chance; less in a small plan,
  // which would otherwise hold no changes at all.
  const settleDistance = Math.min(30, Math.floor(options.events / 10));

  const plan: PlannedEvent[] = [];
  const created = new Map<string, Entity[]>();
  let subjects = 0;
  let serial = 0;

  const newSubject = (model: TypeModel): string => {
    subjects += 1;
    const number = String(subjects).padStart(5, '0');
    const field = model.shape.subjectField;
    if (field === undefined) return `${model.shape.type.split('.')[0]}-${tag}${number}`;
    const latest = model.versions.at(-1)!;
    if (propertiesOf(latest.schema)[field]?.format === 'uuid') return uuidFrom(random);
    const prefix = /^.*[^A-Za-z0-9]/.exec(String(latest.examples[0]![field] ?? ''))?.[0] ?? '';
    return `${prefix}${tag}${number}`;
  };
  const newEntity = (model: TypeModel): Entity => ({ subject: newSubject(model), createdAt: plan.length, counters: new Map() });
  const nextCount = (model: TypeModel, entity: Entity): number | undefined => {
    const field = model.shape.sequenceField;
    if (field === undefined) return undefined;
    const minimum = propertiesOf(model.versions.at(-1)!.schema)[field]?.minimum;
    const next = (entity.counters.get(field) ?? Math.max(1, typeof minimum === 'number' ? minimum : 1) - 1) + 1;
    entity.counters.set(field, next);
    return next;
  };

  const vary = (property: Schema | undefined, value: unknown, at: number): unknown => {
    if (property === undefined) return value;
    if (Array.isArray(property.enum) && property.enum.length > 0) return pick(property.enum);
    const type = typeOf(property);
    if (type === 'boolean') return random() < 0.5;
    if (type === 'string' && property.format === 'email') {
      const [local, domain] = String(value).split('@');
      return `${local || 'someone'}.${tag}${at}@${domain || 'example.com'}`.toLowerCase();
    }
    if (type === 'string' && property.format === 'date-time') return new Date(DATA_EPOCH_MS + at * 60_000).toISOString();
    if (type === 'string' && property.format === 'uuid') return uuidFrom(random);
    if (type === 'integer' && typeof property.minimum === 'number') {
      const low = Math.ceil(property.minimum);
      const high = Math.min(typeof property.maximum === 'number' ? Math.floor(property.maximum) : Number.POSITIVE_INFINITY, low + 49);
      return low + Math.floor(random() * (high - low + 1));
    }
    return value;
  };

  /** Data for `model` at `version`: an example, varied, with the subject and counter set. */
  const dataFor = (model: TypeModel, version: VersionModel, subject: string, count: number | undefined): Record<string, unknown> => {
    serial += 1;
    const properties = propertiesOf(version.schema);
    const required = new Set(requiredOf(version.schema));
    const fixed: Record<string, unknown> = {};
    const { subjectField, sequenceField } = model.shape;
    if (subjectField !== undefined && subjectField in properties) fixed[subjectField] = subject;
    if (sequenceField !== undefined && count !== undefined && sequenceField in properties) fixed[sequenceField] = count;
    const example = pick(version.examples);
    const varied: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(example)) {
      if (name in fixed) varied[name] = fixed[name];
      else if (required.has(name) || random() >= 1 / 3) varied[name] = vary(properties[name], value, serial);
    }
    const data = { ...varied, ...fixed };
    if (version.validate(data).length === 0) return data;
    const plain = { ...example, ...fixed };
    const violations = version.validate(plain);
    if (violations.length === 0) return plain;
    throw new WorkloadPlanError(
      `${model.shape.type} v${version.version}: an example with a generated subject (${subject}) breaks the contract: ` +
        `${violations.map((v) => `${v.path || '/'} ${v.message}`).join('; ')}; make the example's ${subjectField ?? 'data'} fit, or the subject's pattern allow it`,
    );
  };

  const eventOf = (model: TypeModel, kind: DemoKind, version: VersionModel, entity: Entity, count = nextCount(model, entity)): PlannedEvent => {
    const latest = version === model.versions.at(-1);
    return {
      kind,
      id: newId(),
      type: model.shape.type,
      version: version.version,
      subject: entity.subject,
      data: dataFor(model, version, entity.subject, count),
      via: latest ? 'publisher' : 'raw',
      valid: true,
    };
  };

  /** The entity an event of `model` is about; undefined when no creator has made a settled one yet. */
  const entityFor = (model: TypeModel): Entity | undefined => {
    const { subjectField, sequenceField } = model.shape;
    if (sequenceField === undefined) {
      const entity = newEntity(model);
      if (subjectField !== undefined) created.set(subjectField, [...(created.get(subjectField) ?? []), entity]);
      return entity;
    }
    if (model.creators.length === 0) return pick(model.pool);
    // Entities are created in plan order: the settled ones are a prefix.
    const candidates = created.get(subjectField!) ?? [];
    let settled = candidates.length;
    while (settled > 0 && candidates[settled - 1]!.createdAt > plan.length - settleDistance) settled -= 1;
    return settled > 0 ? candidates[Math.floor(random() * settled)] : undefined;
  };

  for (const model of models) {
    const counts = mix[model.shape.type]!;
    if (model.shape.sequenceField !== undefined && model.creators.length === 0) {
      const events = counts.valid + counts['older-version'] + counts['out-of-order'];
      model.pool = Array.from({ length: Math.max(1, Math.round(events / 4)) }, () => newEntity(model));
    }
  }

  // The base stream: a shuffled deck of (type, kind), each drawn where it can be.
  const deck: { model: TypeModel; kind: DemoKind }[] = [];
  for (const model of models) {
    const counts = mix[model.shape.type]!;
    for (let i = 0; i < counts.valid; i += 1) deck.push({ model, kind: DemoKind.Valid });
    for (let i = 0; i < counts['older-version']; i += 1) deck.push({ model, kind: DemoKind.OlderVersion });
    for (let i = 0; i < counts['out-of-order'] / 2; i += 1) deck.push({ model, kind: DemoKind.OutOfOrder });
  }
  for (let i = deck.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [deck[i], deck[j]] = [deck[j]!, deck[i]!];
  }
  for (const { model, kind } of deck) {
    const latest = model.versions.at(-1)!;
    const version = kind === DemoKind.OlderVersion ? model.versions[model.olderPlanned++ % (model.versions.length - 1)]! : latest;
    const entity = entityFor(model);
    if (entity === undefined) {
      // Nothing to change yet: create instead, as many publications as the card holds.
      for (let i = 0; i < (kind === DemoKind.OutOfOrder ? 2 : 1); i += 1) {
        const creator = pick(model.creators);
        plan.push(eventOf(creator, DemoKind.Valid, creator.versions.at(-1)!, entityFor(creator)!));
      }
      continue;
    }
    if (kind !== DemoKind.OutOfOrder) {
      plan.push(eventOf(model, kind, version, entity));
      continue;
    }
    // The earlier event is planned first (its data's times come first too), published second.
    const earlier = eventOf(model, kind, version, entity);
    const later = eventOf(model, kind, version, entity);
    plan.push(later, model.shape.sequenceField === undefined ? { ...earlier, occurredBefore: later.id } : earlier);
  }

  // Duplicates: an earlier valid event of the type published again, a few publications later.
  for (const model of models) {
    for (let i = 0; i < mix[model.shape.type]!.duplicate; i += 1) {
      const own = plan.filter((e) => e.kind !== DemoKind.Duplicate && e.valid && e.type === model.shape.type);
      // A changing type whose entities were never settled in a small plan: any event will do.
      const originals = own.length > 0 ? own : plan.filter((e) => e.kind !== DemoKind.Duplicate && e.valid);
      const original = pick(originals);
      const at = Math.min(plan.length, plan.indexOf(original) + 1 + Math.floor(random() * 20));
      plan.splice(at, 0, { ...original, kind: DemoKind.Duplicate });
    }
  }

  // Invalid events, each about an entity of its own, spread over the plan.
  for (const model of models) {
    for (let i = 0; i < mix[model.shape.type]!.invalid; i += 1) {
      const entity = newEntity(model);
      const event = invalidEvent(model, entity, i) ?? eventOf(model, DemoKind.Valid, model.versions.at(-1)!, entity);
      plan.splice(Math.floor(random() * (plan.length + 1)), 0, event);
    }
  }
  return plan;

  /**
   * An example of the latest version, unvaried but for subject and counter, broken in
   * the i-th way that breaks it: a required property removed, or given a value of the
   * wrong type, alternately. Undefined when no such change breaks the contract (a
   * schema that requires nothing and types nothing); then a valid event takes its place.
   */
  function invalidEvent(model: TypeModel, entity: Entity, i: number): PlannedEvent | undefined {
    const version = model.versions.at(-1)!;
    const properties = propertiesOf(version.schema);
    const { subjectField, sequenceField } = model.shape;
    const base: Record<string, unknown> = { ...pick(version.examples) };
    if (subjectField !== undefined) base[subjectField] = entity.subject;
    const count = nextCount(model, entity);
    if (sequenceField !== undefined && count !== undefined) base[sequenceField] = count;
    const fields = requiredOf(version.schema).filter((f) => f !== subjectField);
    const defects: { data: Record<string, unknown>; defect: string }[] = [];
    for (const field of fields) {
      const { [field]: _removed, ...without } = base;
      const type = typeOf(properties[field]);
      const wrong = type === 'string' ? 12345 : type === 'integer' || type === 'number' ? 'not-a-number' : type === undefined ? undefined : `not-${type === 'array' ? 'an' : 'a'}-${type}`;
      defects.push({ data: without, defect: `required property ${field} removed` });
      if (wrong !== undefined) defects.push({ data: { ...base, [field]: wrong }, defect: `${field} given a ${typeof wrong} where the contract wants ${type === 'integer' ? 'an' : 'a'} ${type}` });
    }
    const breaking = defects.filter((d) => version.validate(d.data).length > 0);
    if (breaking.length === 0) return undefined;
    // Alternate between removal and wrong type, on a field drawn at random.
    const ofKind = breaking.filter((d) => d.defect.startsWith('required property') === (i % 2 === 0));
    const chosen = pick(ofKind.length > 0 ? ofKind : breaking);
    return {
      kind: DemoKind.Invalid,
      id: newId(),
      type: model.shape.type,
      version: version.version,
      subject: entity.subject,
      data: chosen.data,
      via: 'raw',
      valid: false,
      defect: chosen.defect,
    };
  }
}

/** A version-4 UUID from the plan's generator (deterministic, unlike crypto.randomUUID). */
function uuidFrom(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = (8 + Math.floor(random() * 4)).toString(16);
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/** What was actually sent for one planned event. */
export interface PublicationRecord {
  readonly event: PlannedEvent;
  /** The exact envelope and attributes sent (for evaluating filter policies). */
  readonly message: PublishedMessage;
  readonly topicArn: string;
  /** Epoch ms when SNS accepted it. */
  readonly publishedAtMs: number;
  /** The envelope `time`, epoch ms (end-to-end latency is measured from it). */
  readonly eventTimeMs: number;
}

/** A planned event that could not be published. */
export interface PublicationFailure {
  readonly event: PlannedEvent;
  readonly reason: string;
}

/** Options of {@link publishWorkload}. */
export interface PublishWorkloadOptions {
  readonly publisher: Publisher<EventDataMap>;
  readonly sns: SNSClient;
  /** The topic ARN of each event type (the stack outputs). */
  readonly topicArnFor: (eventType: string) => string;
  /** Events per second. */
  readonly rate: number;
  /** Called for each event SNS accepted. */
  readonly onPublished?: (record: PublicationRecord) => void;
  readonly onFailed?: (failure: PublicationFailure) => void;
  /** Stops publishing (what was sent stays sent). */
  readonly signal?: AbortSignal;
}

/** Publications and failures of a {@link publishWorkload} run. */
export interface WorkloadResult {
  readonly published: readonly PublicationRecord[];
  readonly failed: readonly PublicationFailure[];
  readonly startedAtMs: number;
  readonly finishedAtMs: number;
}

/**
 * The PublishBatch entry of an event, built as the publisher builds its own (envelope,
 * attributes, FIFO group and deduplication id). Times are fixed once per event id, so
 * a duplicate is byte-for-byte its original.
 */
export function entryOf(event: PlannedEvent, time: Date, topicArn: string): PublishEntry {
  return buildPublishEntry({
    type: event.type,
    version: event.version,
    data: event.data,
    subject: event.subject,
    source: DEMO_SOURCE,
    id: event.id,
    correlationId: event.id,
    time,
    fifo: isFifoTopicArn(topicArn),
  });
}

/**
 * The record of `event` as SNS accepted it on `topicArn` at `time` (its envelope `time`
 * too): what the report reconciles against.
 */
export function publicationOf(event: PlannedEvent, time: Date, topicArn: string, publishedAtMs: number = Date.now()): PublicationRecord {
  const { entry } = entryOf(event, time, topicArn);
  return {
    event,
    message: { body: entry.Message!, attributes: entry.MessageAttributes as PublishedMessage['attributes'] },
    topicArn,
    publishedAtMs,
    eventTimeMs: time.getTime(),
  };
}

/**
 * Splits events into runs in which no id appears twice, keeping their order: the
 * publisher reports failures by event id, so an original and its duplicate must not
 * share a publishBatch call, or one's failure would be taken for the other's.
 */
export function withoutRepeatedIds<T extends { readonly id: string }>(events: readonly T[]): T[][] {
  const runs: T[][] = [];
  let current: T[] = [];
  let ids = new Set<string>();
  for (const event of events) {
    if (ids.has(event.id)) {
      runs.push(current);
      current = [];
      ids = new Set();
    }
    current.push(event);
    ids.add(event.id);
  }
  if (current.length > 0) runs.push(current);
  return runs;
}

const TICK_MS = 100;

/**
 * Publishes the plan at `rate` events per second: every 100 ms what is due goes out,
 * through the publisher (one publishBatch) or raw (PublishBatch of pre-built envelopes).
 */
export async function publishWorkload(plan: readonly PlannedEvent[], options: PublishWorkloadOptions): Promise<WorkloadResult> {
  if (!(options.rate > 0)) throw new RangeError(`rate must be positive, got ${options.rate}`);
  const published: PublicationRecord[] = [];
  const failed: PublicationFailure[] = [];
  const times = new Map<string, Date>();
  const startedAtMs = Date.now();
  let next = 0;
  while (next < plan.length && !options.signal?.aborted) {
    // Event i is due at i / rate seconds; whatever is due goes out together.
    const due = Math.min(plan.length, Math.floor(((Date.now() - startedAtMs) / 1000) * options.rate) + 1);
    if (due <= next) {
      const nextDueMs = startedAtMs + (next / options.rate) * 1000;
      // At least a tick, so events are sent in batches rather than one request each. The
      // signal cuts the wait short: at a low rate it can be long, and Ctrl-C must not wait.
      await sleep(Math.max(TICK_MS, nextDueMs - Date.now()), options.signal);
      continue;
    }
    const slice = plan.slice(next, due);
    next = due;
    const now = new Date();
    for (const event of slice) {
      if (times.has(event.id)) continue;
      // An out-of-order event of a type without a counter: older than its pair by its time alone.
      const after = event.occurredBefore === undefined ? undefined : times.get(event.occurredBefore);
      times.set(event.id, after ? new Date(after.getTime() - 1) : now);
    }
    const record = (event: PlannedEvent, topicArn: string) => {
      const entry = publicationOf(event, times.get(event.id)!, topicArn);
      published.push(entry);
      options.onPublished?.(entry);
    };
    const fail = (event: PlannedEvent, reason: string) => {
      failed.push({ event, reason });
      options.onFailed?.({ event, reason });
    };

    // A duplicate shares its original's id, and the publisher reports failures by id:
    // each call holds an id at most once, so a failure names exactly one publication.
    for (const run of withoutRepeatedIds(slice.filter((e) => e.via === 'publisher'))) {
      const batch = run.map(
        (e) => ({ type: e.type, data: e.data, subject: e.subject, id: e.id, correlationId: e.id, time: times.get(e.id)! }) as unknown as PublishEvent<EventDataMap>,
      );
      const result = await options.publisher.publishBatch(batch);
      const failures = new Map(result.failed.map((f) => [f.id, f]));
      for (const event of run) {
        const failure = failures.get(event.id);
        if (failure) {
          fail(event, `${failure.code}: ${failure.message}`);
          continue;
        }
        // What the publisher sent: the same entry, from the same inputs.
        const topicArn = options.topicArnFor(event.type);
        record(event, topicArn);
      }
    }
    const raw = slice.filter((e) => e.via === 'raw');
    for (const event of raw) {
      const topicArn = options.topicArnFor(event.type);
      try {
        const { entry } = entryOf(event, times.get(event.id)!, topicArn);
        const response = await options.sns.send(new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: [{ Id: '0', ...entry }] }));
        const rejected = response.Failed?.[0];
        if (rejected) fail(event, `${rejected.Code}: ${rejected.Message ?? ''}`);
        else record(event, topicArn);
      } catch (error) {
        fail(event, (error as Error).message);
      }
    }
  }
  return { published, failed, startedAtMs, finishedAtMs: Date.now() };
}
