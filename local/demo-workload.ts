/**
 * The demo workload `npm start` publishes: what a web app and a billing system would
 * send in a busy minute, with the awkward cases a pipeline must survive.
 *
 * - sign-ups at the latest contract version (v2), with and without marketing opt-in,
 *   and a few at v1 (no consent flag), as a producer not yet upgraded would send them;
 * - profile updates, some published out of order (revision n+1 before n);
 * - subscription changes of a handful of accounts, in order per account (FIFO topic);
 * - duplicates: the same event (same id) published twice;
 * - a few schema-invalid events, which consumers must dead-letter with the reason.
 *
 * Valid latest-version events go through the publisher client (validated, enveloped,
 * PublishBatch). v1 events and invalid ones are published raw with the SNS client: the
 * publisher writes the version it was generated against and refuses invalid data, which
 * is the point, and the demo must show consumers coping with older producers too.
 *
 * {@link planWorkload} is pure and seeded (the same plan for the same seed and size);
 * {@link publishWorkload} sends a plan at a paced rate.
 */
import { randomUUID } from 'node:crypto';
import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { EventDataMap } from '../contracts/event-types.generated';
import { buildPublishEntry, isFifoTopicArn, type PublishEntry, type Publisher, type PublishEvent } from '../client/publisher';
import { sleep } from './event-source-poller';
import type { PublishedMessage } from './filter-policy';

/** The producer the demo writes as. */
export const DEMO_SOURCE = 'urn:fanout:local-demo';

/** Why an event is in the workload. */
export const DemoKind = {
  SignUp: 'sign-up',
  SignUpV1: 'sign-up-v1',
  ProfileUpdate: 'profile-update',
  /** A profile update published before an older one of the same user. */
  ProfileUpdateOutOfOrder: 'profile-update-out-of-order',
  SubscriptionChange: 'subscription-change',
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
  readonly type: keyof EventDataMap & string;
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
}

/** Options of {@link planWorkload}. */
export interface WorkloadPlanOptions {
  /** Publications in total (duplicates and invalid ones included). */
  readonly events: number;
  /** @default 1 */
  readonly seed?: number;
  /** Tag in entity ids, so runs against the same emulator do not share users. @default random */
  readonly runTag?: string;
  /** @default crypto.randomUUID */
  readonly newId?: () => string;
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

const FIRST_NAMES = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken', 'Radia', 'Tim', 'Frances', 'Leslie'];
const LAST_NAMES = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Hamilton', 'Thompson', 'Perlman', 'Berners-Lee', 'Allen', 'Lamport'];
const PLANS = ['free', 'pro', 'enterprise'] as const;

/**
 * How many of each kind a plan of `events` publications holds. Every kind appears at
 * least once from 20 events up, so a small test run still covers each case.
 */
export function workloadMix(events: number): Record<DemoKind, number> {
  if (!Number.isInteger(events) || events < 1) throw new RangeError(`events must be a positive integer, got ${events}`);
  const atLeast = (minimum: number, share: number) => (events < 20 ? 0 : Math.max(minimum, Math.round(events * share)));
  const invalid = atLeast(3, 0.01);
  const duplicate = atLeast(2, 0.03);
  const signUpV1 = atLeast(2, 0.02);
  const subscriptionChange = atLeast(4, 0.08);
  const outOfOrder = atLeast(1, 0.01) * 2;
  const profileUpdate = Math.max(0, Math.round(events * 0.28) - outOfOrder);
  const signUp = events - invalid - duplicate - signUpV1 - subscriptionChange - outOfOrder - profileUpdate;
  return {
    [DemoKind.SignUp]: signUp,
    [DemoKind.SignUpV1]: signUpV1,
    [DemoKind.ProfileUpdate]: profileUpdate,
    [DemoKind.ProfileUpdateOutOfOrder]: outOfOrder,
    [DemoKind.SubscriptionChange]: subscriptionChange,
    [DemoKind.Duplicate]: duplicate,
    [DemoKind.Invalid]: invalid,
  };
}

/**
 * Plans the publications, in the order they are to be published.
 * Sign-ups come before their users' profile updates; each account's subscription
 * changes are in sequence; duplicates follow their original a little later.
 */
export function planWorkload(options: WorkloadPlanOptions): PlannedEvent[] {
  const random = prng(options.seed ?? 1);
  const newId = options.newId ?? randomUUID;
  const tag = options.runTag ?? Math.random().toString(36).slice(2, 6).padEnd(4, '0');
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const mix = workloadMix(options.events);
  const iso = (offsetMinutes: number) => new Date(Date.UTC(2026, 10, 28, 9, 0) + offsetMinutes * 60_000).toISOString();

  const plan: PlannedEvent[] = [];
  const users: { userId: string; revisions: number }[] = [];
  let userCounter = 0;
  const newUser = () => {
    userCounter += 1;
    const userId = `usr_${tag}${String(userCounter).padStart(5, '0')}`;
    users.push({ userId, revisions: 0 });
    return userId;
  };
  const person = () => {
    const first = pick(FIRST_NAMES);
    const last = pick(LAST_NAMES);
    return { name: `${first} ${last}`, email: `${first}.${last}.${userCounter}@example.com`.toLowerCase() };
  };
  const signUp = (kind: typeof DemoKind.SignUp | typeof DemoKind.SignUpV1): PlannedEvent => {
    const userId = newUser();
    const data: Record<string, unknown> = { userId, ...person(), plan: pick(PLANS), signedUpAt: iso(userCounter) };
    if (kind === DemoKind.SignUp) {
      // A third each: opted in, opted out, not asked (the flag is optional in v2).
      const choice = random();
      if (choice < 1 / 3) data.marketingOptIn = true;
      else if (choice < 2 / 3) data.marketingOptIn = false;
    }
    return { kind, id: newId(), type: 'user.signed-up', version: kind === DemoKind.SignUp ? 2 : 1, subject: userId, data, via: kind === DemoKind.SignUp ? 'publisher' : 'raw', valid: true };
  };
  const update = (user: { userId: string; revisions: number }, revision: number, kind: DemoKind): PlannedEvent => ({
    kind,
    id: newId(),
    type: 'user.profile-updated',
    version: 1,
    subject: user.userId,
    data: { userId: user.userId, revision, name: `${pick(FIRST_NAMES)} ${pick(LAST_NAMES)}`, updatedAt: iso(1000 + revision) },
    via: 'publisher',
    valid: true,
  });

  // Subscription changes: a handful of accounts, each a run of changes in sequence.
  const accounts = Array.from({ length: Math.max(1, Math.round(mix[DemoKind.SubscriptionChange] / 4)) }, (_, i) => ({
    accountId: `acct_${tag}${String(i + 1).padStart(4, '0')}`,
    sequence: 0,
    plan: 'free' as (typeof PLANS)[number],
  }));
  const subscriptionChange = (): PlannedEvent => {
    const account = pick(accounts);
    account.sequence += 1;
    const action = account.sequence === 1 ? 'created' : pick(['upgraded', 'downgraded', 'cancelled'] as const);
    account.plan = action === 'upgraded' ? (account.plan === 'free' ? 'pro' : 'enterprise') : action === 'downgraded' ? 'free' : account.plan;
    return {
      kind: DemoKind.SubscriptionChange,
      id: newId(),
      type: 'subscription.changed',
      version: 1,
      subject: account.accountId,
      data: { accountId: account.accountId, sequence: account.sequence, action, plan: account.plan, seats: 1 + Math.floor(random() * 50), effectiveAt: iso(2000 + account.sequence) },
      via: 'publisher',
      valid: true,
    };
  };

  // The base stream: a shuffled deck of kinds, each drawn where it can be.
  const deck: DemoKind[] = [];
  for (const kind of [DemoKind.SignUp, DemoKind.SignUpV1, DemoKind.ProfileUpdate, DemoKind.SubscriptionChange] as const) {
    for (let i = 0; i < mix[kind]; i += 1) deck.push(kind);
  }
  for (let i = 0; i < mix[DemoKind.ProfileUpdateOutOfOrder] / 2; i += 1) deck.push(DemoKind.ProfileUpdateOutOfOrder);
  for (let i = deck.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [deck[i], deck[j]] = [deck[j]!, deck[i]!];
  }
  // Profile updates only for users who signed up a while before (30 publications), so the
  // ordering guard is exercised by the out-of-order pairs, not by chance.
  const settled = () => users.slice(0, Math.max(0, users.length - 30));
  for (const kind of deck) {
    if (kind === DemoKind.SignUp || kind === DemoKind.SignUpV1) plan.push(signUp(kind));
    else if (kind === DemoKind.SubscriptionChange) plan.push(subscriptionChange());
    else {
      const candidates = settled();
      if (candidates.length === 0) {
        plan.push(signUp(DemoKind.SignUp));
        if (kind === DemoKind.ProfileUpdateOutOfOrder) plan.push(signUp(DemoKind.SignUp));
        continue;
      }
      const user = pick(candidates);
      if (kind === DemoKind.ProfileUpdate) {
        user.revisions += 1;
        plan.push(update(user, user.revisions, kind));
      } else {
        // Revision n+2 published before n+1: n+1 arrives stale.
        user.revisions += 2;
        plan.push(update(user, user.revisions, kind), update(user, user.revisions - 1, kind));
      }
    }
  }

  // Duplicates: an earlier valid event published again, a few publications later.
  for (let i = 0; i < mix[DemoKind.Duplicate]; i += 1) {
    const originals = plan.filter((e) => e.kind !== DemoKind.Duplicate && e.valid);
    const original = originals[Math.floor(random() * originals.length)]!;
    const at = Math.min(plan.length, plan.indexOf(original) + 1 + Math.floor(random() * 20));
    plan.splice(at, 0, { ...original, kind: DemoKind.Duplicate });
  }

  // Invalid events, one of each defect in turn, each about an entity of its own so it
  // cannot hold up a FIFO message group of valid events.
  const defects: (() => PlannedEvent)[] = [
    () => {
      const userId = `usr_${tag}x${String(plan.length).padStart(5, '0')}`;
      return {
        kind: DemoKind.Invalid,
        id: newId(),
        type: 'user.signed-up',
        version: 2,
        subject: userId,
        data: { userId, email: 'not-an-email', name: 'Mallory', plan: 'pro', signedUpAt: iso(0), marketingOptIn: true },
        via: 'raw',
        valid: false,
        defect: 'email is not an email address',
      };
    },
    () => {
      const userId = `usr_${tag}y${String(plan.length).padStart(5, '0')}`;
      return {
        kind: DemoKind.Invalid,
        id: newId(),
        type: 'user.profile-updated',
        version: 1,
        subject: userId,
        data: { userId, revision: 0, updatedAt: iso(0) },
        via: 'raw',
        valid: false,
        defect: 'revision 0 is below the minimum of 1',
      };
    },
    () => {
      const accountId = `acct_${tag}z${String(plan.length).padStart(4, '0')}`;
      return {
        kind: DemoKind.Invalid,
        id: newId(),
        type: 'subscription.changed',
        version: 1,
        subject: accountId,
        data: { accountId, sequence: 1, action: 'created', plan: 'pro', seats: 0, effectiveAt: iso(0) },
        via: 'raw',
        valid: false,
        defect: 'seats 0 is below the minimum of 1',
      };
    },
  ];
  for (let i = 0; i < mix[DemoKind.Invalid]; i += 1) {
    const at = Math.floor(random() * (plan.length + 1));
    plan.splice(at, 0, defects[i % defects.length]!());
  }
  return plan;
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
    for (const event of slice) if (!times.has(event.id)) times.set(event.id, now);
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
