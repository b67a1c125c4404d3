/**
 * The one typed description of a Fanout pipeline: its topics, event types and consumers.
 *
 * It is plain data (no CDK types) so that the CDK app, the local runner and the CLI
 * (cost, runbook) all read the same thing. {@link resolvePipeline} checks it and applies
 * every default once; everything downstream works on the {@link ResolvedPipeline}.
 */
import { CompatibilityMode, isCompatibilityMode } from '../contracts/compatibility-mode';
import { ConsumerDefaults, SQS_MAX_VISIBILITY_TIMEOUT_SECONDS } from '../contracts/consumer-defaults';
import { FanoutError } from '../contracts/errors';
import { receivesToCoverBudget, type RetryBudget } from '../contracts/retry-budget';
import { loadContractVersions, type ContractVersion } from '../contracts/schema-files';

/** Who answers for a consumer or a producer: the runbook shows it and the resources carry it as tags. */
export interface Owner {
  /** The team, e.g. `crm-integrations`. */
  readonly team: string;
  /** How to reach it: an email address, a chat channel, a pager alias. */
  readonly contact: string;
}

/** A producer with its owner (a plain string in `publishers` is a producer without one). */
export interface PublisherDefinition {
  /** A role ARN, `role/<name>` in the stack's account, or an account id. */
  readonly principal: string;
  readonly owner?: Owner;
}

/** A topic events are published to. */
export interface TopicDefinition {
  /** Logical name, e.g. `user-events`. */
  readonly name: string;
  /** FIFO topic (ordered per message group, exactly-once within the dedup window). @default false */
  readonly fifo?: boolean;
  /** FIFO only: days SNS keeps published messages for replay (SNS message archiving). @default none (no archive) */
  readonly archiveRetentionDays?: number;
  /**
   * Who may publish: IAM role ARNs (`arn:aws:iam::111122223333:role/web-app`), roles of
   * the stack's own account by name (`role/web-app`), and whole accounts (`111122223333`)
   * for cross-account producers that manage their own roles. The topic policy denies
   * `sns:Publish` to every other principal, whatever its IAM policies allow: schema
   * validation is not authentication. Roles created in the same CDK app are let in with
   * `grantPublish` instead. An entry may be `{ principal, owner }` to name who to contact
   * about what that producer publishes (the runbook lists it).
   * @default no list: any principal of the stack's account that IAM lets publish may, and synth warns
   */
  readonly publishers?: readonly (string | PublisherDefinition)[];
}

/** An event type and its contract. */
export interface EventTypeDefinition {
  /** e.g. `user.signed-up`; also the Glue schema name. */
  readonly name: string;
  /** The topic it is published to. */
  readonly topic: string;
  /** Folder in schemas/ with its versions. @default the event type's name */
  readonly contract?: string;
  /** How new contract versions must relate to earlier ones. @default BACKWARD */
  readonly compatibility?: CompatibilityMode;
  /** Expected peak rate, events per second (sizes alarms and the cost estimate). */
  readonly peakEventsPerSecond: number;
  /** End-to-end latency objective at p95, seconds. */
  readonly latencySlaP95Seconds: number;
}

/** Which SNS messages a consumer's subscription delivers. */
export interface FilterDefinition {
  /** Where SNS looks: message attributes or the JSON body. */
  readonly scope: 'MessageAttributes' | 'MessageBody';
  /** An SNS filter policy. With MessageBody scope, keys are envelope fields (e.g. `data`). */
  readonly policy: Record<string, unknown>;
}

/** Where a consumer applies its effects. */
export type DownstreamDefinition =
  | {
      /** A DynamoDB table the stack creates: works standalone, effects can be inspected. */
      readonly kind: 'dynamodb';
    }
  | {
      /** A real HTTP API: 4xx is permanent, 5xx and timeouts are transient. */
      readonly kind: 'http';
      /** Base URL of the API; `https:` only (events carry personal data and must not cross the network in clear). */
      readonly url: string;
      /** Per-request timeout, milliseconds. @default 3000 */
      readonly timeoutMs?: number;
    };

/** A consumer: one SQS queue subscribed to one topic, drained by one Lambda. */
export interface ConsumerDefinition {
  /** e.g. `crm-sync`. */
  readonly name: string;
  /** What it does, in a sentence (goes into the runbook). */
  readonly description: string;
  readonly topic: string;
  /** The event types it handles. The filter policy selects among the topic's events. */
  readonly eventTypes: readonly string[];
  /**
   * Narrows delivery further. When absent, an attribute policy on `type` selecting
   * exactly {@link eventTypes} is used.
   * @default attribute filter on the event types
   */
  readonly filter?: FilterDefinition;
  /** Records per Lambda invocation. @default 10 */
  readonly batchSize?: number;
  /** How long Lambda waits to fill a batch, seconds. Not allowed on FIFO. @default 0 */
  readonly batchingWindowSeconds?: number;
  /** Most concurrent invocations for this queue (2 to 1000). @default 2 */
  readonly maxConcurrency?: number;
  /**
   * How long a downstream outage may last before its events are dead-lettered, seconds:
   * an event failing transiently is retried with backoff until this long after its first
   * receive, then the kit sends it to the DLQ with its failure context. From the
   * visibility timeout (one timed-out try must not spend it all) to half the queue's
   * 7-day retention (an expired message is deleted, not dead-lettered, so the other half
   * is left for a backlog before the first try).
   * @default 3600 (1 hour), or the visibility timeout when that is longer
   */
  readonly retryBudgetSeconds?: number;
  /**
   * Receives before SQS moves a message to the DLQ: the backstop behind the kit, which
   * dead-letters a record with its failure context on its last allowed receive. It
   * follows from the retry budget ({@link derivedMaxReceiveCount}); an explicit value
   * must be at least that (it may only add margin), and at most SQS's 1000.
   * @default derived from retryBudgetSeconds and the backoff (49 with the defaults; + batchSize on FIFO)
   */
  readonly maxReceiveCount?: number;
  /** Function timeout, seconds. @default 30 */
  readonly timeoutSeconds?: number;
  /** Function memory, MiB. @default 256 */
  readonly memoryMiB?: number;
  /**
   * The queue's visibility timeout, seconds. Must be at least 6 x the function timeout
   * plus the batching window (AWS's advice for SQS event sources) and at most 12 hours.
   * @default 6 x timeoutSeconds + batchingWindowSeconds
   */
  readonly visibilityTimeoutSeconds?: number;
  /**
   * Ceiling of the first retry's backoff after a transient failure, seconds: the n-th
   * retry waits a random time up to min(retryMaxDelaySeconds, base x 2^(n-1)). An integer >= 1.
   * @default 10
   */
  readonly retryBaseDelaySeconds?: number;
  /**
   * Largest backoff before a retry, seconds: an integer from retryBaseDelaySeconds to
   * 43200 (SQS's 12 h visibility limit).
   * @default 300
   */
  readonly retryMaxDelaySeconds?: number;
  /** Handler entry, relative to the project root, e.g. `lambdas/consumers/crm-sync/handler.ts`. */
  readonly entry: string;
  /** @default DynamoDB downstream */
  readonly downstream?: DownstreamDefinition;
  /** Who answers for it. @default not named (the runbook says so) */
  readonly owner?: Owner;
  /**
   * DynamoDB downstream: days an entity's state and each event's effect-log item are
   * kept after their last write (a TTL), at least {@link minimumDownstreamRetentionDays}.
   * @default 90
   */
  readonly downstreamRetentionDays?: number;
}

/** A whole pipeline. */
export interface PipelineDefinition {
  /** Prefix of stack and registry names, e.g. `fanout-sample`. */
  readonly name: string;
  readonly topics: readonly TopicDefinition[];
  readonly eventTypes: readonly EventTypeDefinition[];
  readonly consumers: readonly ConsumerDefinition[];
  /**
   * Who the alarms reach. `page` targets get the alarms that mean events are being lost
   * or parked (dead-letter queues, failed deliveries); `warn` targets get every alarm,
   * the early signs too (age, backlog, errors, throttles, duration).
   * @default nobody: alarms reach only the alarm topic, and synth warns
   */
  readonly onCall?: OnCallDefinition;
  /**
   * Create the X-Ray resource policy that lets SNS send trace segments for the topics.
   * X-Ray allows only a few resource policies per account: turn this off when the account
   * already has one that lets SNS in (for these topics or all). Off without such a policy,
   * the topics' active tracing records nothing, and traces start at the queue.
   * @default true
   */
  readonly createXRayResourcePolicy?: boolean;
  /**
   * Reserve each consumer's maximum concurrency for its function, so that other
   * functions cannot throttle it into the DLQ. Lambda refuses a reservation that leaves
   * the account less than 100 unreserved (new accounts may have a total of 10 or 50):
   * turn it off there until the quota is raised.
   * @default true
   */
  readonly reserveConcurrency?: boolean;
}

/** Where an alarm goes: an email address, an HTTPS endpoint, or an existing SNS topic (one AWS Chatbot or an incident tool already reads). */
export type AlarmTarget = { readonly email: string } | { readonly https: string } | { readonly topicArn: string };

/** On-call targets by severity. */
export interface OnCallDefinition {
  readonly page?: readonly AlarmTarget[];
  readonly warn?: readonly AlarmTarget[];
}

/** Defaults, applied once by {@link resolvePipeline}. */
export const PIPELINE_DEFAULTS = {
  compatibility: CompatibilityMode.Backward,
  batchSize: 10,
  batchingWindowSeconds: 0,
  maxConcurrency: 2,
  /** How long a downstream outage may last before events are dead-lettered, seconds (1 hour). */
  retryBudgetSeconds: ConsumerDefaults.retryBudgetSeconds,
  timeoutSeconds: 30,
  memoryMiB: 256,
  httpTimeoutMs: ConsumerDefaults.httpTimeoutMs,
  /** Backoff ceiling of the first retry, seconds. */
  retryBaseDelaySeconds: ConsumerDefaults.retryBaseDelaySeconds,
  /** Largest backoff before a retry, seconds. */
  retryMaxDelaySeconds: ConsumerDefaults.retryMaxDelaySeconds,
  /** How long a DLQ keeps messages: the SQS maximum, so nothing ages out before an operator looks. */
  dlqRetentionDays: 14,
  /**
   * How long a consumer's own queue keeps messages: 7 days instead of SQS's 4, so a
   * consumer can be paused for a week without loss. Shorter than the DLQ's on purpose:
   * on a standard queue a dead-lettered message keeps its original enqueue time, so the
   * DLQ must outlast the queue (AWS's advice) or a late dead letter would expire at once.
   * With 7 and 14, every dead letter stays at least 7 days in its DLQ.
   */
  queueRetentionDays: 7,
  /**
   * How long the DynamoDB downstream keeps an entity's state and an event's effect-log
   * item after its last write, days. Effect-log items are the once-only guarantee: one
   * must outlive every way its event can come back (see {@link minimumDownstreamRetentionDays}).
   */
  downstreamRetentionDays: 90,
  /**
   * How long SQS reuses a data key of the topic's KMS key before asking KMS again, on every
   * consumer queue and DLQ, seconds: an hour instead of AWS's 5 minutes, twelve times fewer
   * KMS calls (`fanout cost` prices it). Messages stay encrypted with the same key.
   */
  queueKmsDataKeyReuseSeconds: 3600,
} as const;

/**
 * The shortest downstream retention that keeps an event's effect-log item for as long as
 * the event can come back on its own: its queue's retention, then its DLQ's, then (FIFO)
 * the topic's archive for replay. An operator's redrive starts a message's clock again;
 * redriving events older than the retention may apply them twice.
 */
export function minimumDownstreamRetentionDays(archiveRetentionDays = 0): number {
  return PIPELINE_DEFAULTS.queueRetentionDays + PIPELINE_DEFAULTS.dlqRetentionDays + archiveRetentionDays;
}

/** SQS's largest maxReceiveCount. */
export const MAX_RECEIVE_COUNT = 1000;

/**
 * The default maxReceiveCount: the receives a record that fails transiently every time
 * needs to outlast its retry budget, {@link receivesToCoverBudget} (contracts/retry-budget.ts):
 * the smallest n such that the n - 1 full-jitter delays drawn from 0..min(cap, base x 2^(i-1))
 * add up to less than the budget with probability at most 1e-6 (a Chernoff bound; the
 * expected count is the ramp to the cap plus (budget - ramp) / (cap / 2) delays). With
 * the defaults (3600 s, base 10 s, cap 300 s): 28 delays in expectation, 48 with the
 * margin, so 49 receives. The time the tries themselves take is left out, which only
 * adds margin.
 *
 * FIFO adds the batch size. The kit stops a message group at its first failure
 * (Powertools' skipGroupOnError) and reports the rest of the group's batch as failed
 * without running it, so each of those messages is received, and counted, again every
 * time a message ahead of it fails. A message at position k of a batch collects up to
 * k - 1 such receives when each message ahead of it fails once before it succeeds (the
 * usual transient blip); + batchSize keeps its own budget even at the last position of
 * a full batch. Messages held behind a head that fails until its budget is spent are
 * safe too: the kit dead-letters the head itself, and the group goes on.
 *
 * And at least budget / visibility timeout: a try that hangs until the invocation times
 * out never reaches the kit's budget check, and comes back once per visibility timeout.
 * With a short function timeout (so a short visibility timeout) the backoff count alone
 * would let SQS dead-letter such a message, without a reason, well inside the budget.
 */
export function derivedMaxReceiveCount(budget: RetryBudget, fifo: boolean, batchSize: number, visibilityTimeoutSeconds: number = 0): number {
  const timedOutTries = visibilityTimeoutSeconds > 0 ? Math.ceil(budget.budgetSeconds / visibilityTimeoutSeconds) : 0;
  return Math.max(receivesToCoverBudget(budget), timedOutTries) + (fifo ? batchSize : 0);
}

/** SQS caps a queue's visibility timeout at 12 hours. */
export const MAX_VISIBILITY_TIMEOUT_SECONDS = SQS_MAX_VISIBILITY_TIMEOUT_SECONDS;

/** A topic with defaults applied. */
export interface ResolvedTopic {
  readonly name: string;
  readonly fifo: boolean;
  readonly archiveRetentionDays?: number;
  /** The definition's publishers, sorted by kind; absent when the definition lists none. */
  readonly publishers?: TopicPublishers;
}

/** Who may publish to a topic. */
export interface TopicPublishers {
  /** Every entry as the definition has it, with its owner when named (for the runbook). */
  readonly producers: readonly { readonly principal: string; readonly owner?: Owner }[];
  /** Role ARNs. */
  readonly roleArns: readonly string[];
  /** Role names in the stack's own account (the stack builds their ARNs). */
  readonly roleNames: readonly string[];
  /** Account ids whose principals may publish. */
  readonly accounts: readonly string[];
}

const ACCOUNT_ID = /^\d{12}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const ROLE_NAME = /^role\/([\w+=,.@/-]{1,512})$/;

/** Tag values allow letters, digits, spaces and `_.:/=+-@`, up to 256 characters. */
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$/u;

function checkOwner(field: string, owner: Owner): Owner {
  for (const key of ['team', 'contact'] as const) {
    const value = owner[key];
    if (typeof value !== 'string' || !TAG_VALUE.test(value)) {
      fail(`${field}.${key}`, `"${String(value)}" must be 1 to 256 letters, digits, spaces or _.:/=+-@ (it becomes a resource tag)`);
    }
  }
  return { team: owner.team, contact: owner.contact };
}

function resolvePublishers(field: string, publishers: readonly (string | PublisherDefinition)[]): TopicPublishers {
  if (publishers.length === 0) fail(field, 'lists no one, so nothing could publish: name a role or an account, or leave the field out');
  const roleArns: string[] = [];
  const roleNames: string[] = [];
  const accounts: string[] = [];
  const producers = publishers.map((item, i) =>
    typeof item === 'string' ? { principal: item } : { principal: item.principal, ...(item.owner !== undefined && { owner: checkOwner(`${field}[${i}].owner`, item.owner) }) },
  );
  producers.forEach(({ principal: entry }, i) => {
    const name = ROLE_NAME.exec(entry)?.[1];
    if (ROLE_ARN.test(entry)) roleArns.push(entry);
    else if (name !== undefined) roleNames.push(name);
    else if (ACCOUNT_ID.test(entry)) accounts.push(entry);
    else fail(`${field}[${i}]`, `"${entry}" is neither a role ARN (arn:aws:iam::111122223333:role/name), a role of this account (role/name) nor an account id (12 digits)`);
  });
  return { producers, roleArns, roleNames, accounts };
}

/** An event type with defaults applied and its contract versions loaded. */
export interface ResolvedEventType {
  readonly name: string;
  readonly topic: string;
  readonly contract: string;
  readonly compatibility: CompatibilityMode;
  readonly peakEventsPerSecond: number;
  readonly latencySlaP95Seconds: number;
  /** Every version, oldest first; the last is the one producers write. */
  readonly versions: readonly ContractVersion[];
}

/** A consumer with defaults applied and derived settings computed. */
export interface ResolvedConsumer {
  readonly name: string;
  readonly description: string;
  readonly topic: string;
  readonly fifo: boolean;
  readonly eventTypes: readonly string[];
  readonly filter: FilterDefinition;
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  readonly maxConcurrency: number;
  /** How long a downstream outage may last before events are dead-lettered, seconds (the consumer's FANOUT_RETRY_BUDGET_SECONDS). */
  readonly retryBudgetSeconds: number;
  /** Receives before SQS moves a message to the DLQ (the consumer's FANOUT_MAX_RECEIVE_COUNT: the kit dead-letters on the last). */
  readonly maxReceiveCount: number;
  readonly timeoutSeconds: number;
  readonly memoryMiB: number;
  /** At least 6 x function timeout + batching window, as AWS advises for SQS event sources. */
  readonly visibilityTimeoutSeconds: number;
  /** Backoff ceiling of the first retry, seconds (the consumer's FANOUT_RETRY_BASE_DELAY_SECONDS). */
  readonly retryBaseDelaySeconds: number;
  /** Largest backoff before a retry, seconds (the consumer's FANOUT_RETRY_MAX_DELAY_SECONDS). */
  readonly retryMaxDelaySeconds: number;
  readonly entry: string;
  readonly downstream: Required<Extract<DownstreamDefinition, { readonly kind: 'http' }>> | { readonly kind: 'dynamodb'; readonly retentionDays: number };
  readonly owner?: Owner;
  /** Sum of the peak rates of its event types, events per second (an upper bound). */
  readonly peakEventsPerSecond: number;
  /** The tightest latency objective among its event types, seconds. */
  readonly latencySlaP95Seconds: number;
}

/** A checked pipeline, every default applied. */
export interface ResolvedPipeline {
  readonly name: string;
  readonly topics: readonly ResolvedTopic[];
  readonly eventTypes: readonly ResolvedEventType[];
  readonly consumers: readonly ResolvedConsumer[];
  readonly createXRayResourcePolicy: boolean;
  readonly reserveConcurrency: boolean;
  /** Checked on-call targets; both lists empty when the definition names none. */
  readonly onCall: { readonly page: readonly AlarmTarget[]; readonly warn: readonly AlarmTarget[] };
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}(\.fifo)?$/;

function resolveAlarmTargets(field: string, targets: readonly AlarmTarget[] | undefined): AlarmTarget[] {
  return (targets ?? []).map((target, i) => {
    const at = `${field}[${i}]`;
    const keys = Object.keys(target);
    if (keys.length !== 1) fail(at, `must have exactly one of email, https, topicArn; got ${keys.join(', ') || 'none'}`);
    if ('email' in target) {
      if (!EMAIL.test(target.email)) fail(`${at}.email`, `"${target.email}" is not an email address`);
    } else if ('https' in target) {
      let url: URL | undefined;
      try {
        url = new URL(target.https);
      } catch {
        url = undefined;
      }
      if (url?.protocol !== 'https:') fail(`${at}.https`, `"${target.https}" is not an https:// URL`);
    } else if ('topicArn' in target) {
      if (!SNS_TOPIC_ARN.test(target.topicArn)) fail(`${at}.topicArn`, `"${target.topicArn}" is not an SNS topic ARN`);
      if (target.topicArn.endsWith('.fifo')) fail(`${at}.topicArn`, 'CloudWatch alarms cannot notify a FIFO topic');
    } else {
      fail(at, `must have exactly one of email, https, topicArn; got ${keys.join(', ')}`);
    }
    return target;
  });
}

/** The definition is wrong; the message names the field. */
export class PipelineDefinitionError extends FanoutError {
  /** Path of the offending field, e.g. `consumers[1].batchSize`. */
  readonly field: string;
  /** What is wrong with it, without the field. */
  readonly reason: string;
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super(`invalid pipeline definition: ${field}: ${message}`, options);
    this.name = 'PipelineDefinitionError';
    this.field = field;
    this.reason = message;
  }
}

const NAME = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/;
const EVENT_TYPE_NAME = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;

function fail(field: string, message: string, cause?: unknown): never {
  throw new PipelineDefinitionError(field, message, cause === undefined ? undefined : { cause });
}

function checkInteger(field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(field, `must be an integer from ${min} to ${max}, got ${value}`);
  }
}

function checkUnique(kind: string, names: readonly string[]): void {
  const seen = new Set<string>();
  names.forEach((name, index) => {
    if (seen.has(name)) fail(`${kind}[${index}].name`, `duplicate name "${name}"`);
    seen.add(name);
  });
}

const QUEUE_RETENTION_SECONDS = PIPELINE_DEFAULTS.queueRetentionDays * 24 * 60 * 60;
/** The longest retry budget: half the queue's retention, the other half is for a backlog before the first try. */
const HALF_QUEUE_RETENTION_SECONDS = QUEUE_RETENTION_SECONDS / 2;

/**
 * The retry budget and the maxReceiveCount that follows from it, checked against the
 * queue's timings.
 */
function resolveRetryBudget(
  field: string,
  consumer: ConsumerDefinition,
  resolved: {
    readonly fifo: boolean;
    readonly batchSize: number;
    readonly visibilityTimeoutSeconds: number;
    readonly retryBaseDelaySeconds: number;
    readonly retryMaxDelaySeconds: number;
  },
): { retryBudgetSeconds: number; maxReceiveCount: number } {
  const { fifo, batchSize, visibilityTimeoutSeconds, retryBaseDelaySeconds, retryMaxDelaySeconds } = resolved;
  // A larger visibility timeout alone raises the default budget with it rather than failing validation.
  const retryBudgetSeconds = consumer.retryBudgetSeconds ?? Math.max(PIPELINE_DEFAULTS.retryBudgetSeconds, visibilityTimeoutSeconds);
  if (!Number.isInteger(retryBudgetSeconds) || retryBudgetSeconds < 1) {
    fail(`${field}.retryBudgetSeconds`, `must be a positive integer (seconds), got ${retryBudgetSeconds}`);
  }
  // A try that times out returns only after the visibility timeout: a smaller budget is
  // spent by one slow try, and the event is dead-lettered at its next transient failure.
  if (retryBudgetSeconds < visibilityTimeoutSeconds) {
    fail(
      `${field}.retryBudgetSeconds`,
      `${retryBudgetSeconds}s is less than the visibility timeout (${visibilityTimeoutSeconds}s): a single timed-out try would spend the whole budget`,
    );
  }
  // SQS deletes an expired message, it does not dead-letter it: the budget must leave
  // room in the queue's retention for the backlog the event may wait in before its first try.
  if (retryBudgetSeconds > HALF_QUEUE_RETENTION_SECONDS) {
    fail(
      `${field}.retryBudgetSeconds`,
      `${retryBudgetSeconds}s is more than half the queue's ${PIPELINE_DEFAULTS.queueRetentionDays}-day retention (${HALF_QUEUE_RETENTION_SECONDS}s): an event retried that long could expire, and an expired message is deleted, not dead-lettered`,
    );
  }
  const budget: RetryBudget = { budgetSeconds: retryBudgetSeconds, baseSeconds: retryBaseDelaySeconds, capSeconds: retryMaxDelaySeconds };
  const minimum = derivedMaxReceiveCount(budget, fifo, batchSize, visibilityTimeoutSeconds);
  const backoffWords = `backoff from ${retryBaseDelaySeconds}s up to ${retryMaxDelaySeconds}s`;
  if (minimum > MAX_RECEIVE_COUNT) {
    fail(
      `${field}.retryBudgetSeconds`,
      derivedMaxReceiveCount(budget, fifo, batchSize) > MAX_RECEIVE_COUNT
        ? `${retryBudgetSeconds}s needs ${Number.isFinite(minimum) ? minimum : 'more than a million'} receives with ${backoffWords}, more than SQS's ${MAX_RECEIVE_COUNT}: raise retryMaxDelaySeconds or lower the budget`
        : `${retryBudgetSeconds}s needs ${minimum} receives when every try times out (one per ${visibilityTimeoutSeconds}s visibility timeout), more than SQS's ${MAX_RECEIVE_COUNT}: raise visibilityTimeoutSeconds or lower the budget`,
    );
  }
  const maxReceiveCount = consumer.maxReceiveCount ?? minimum;
  checkInteger(`${field}.maxReceiveCount`, maxReceiveCount, 1, MAX_RECEIVE_COUNT);
  if (maxReceiveCount < minimum) {
    fail(
      `${field}.maxReceiveCount`,
      `${maxReceiveCount} cannot cover the retry budget of ${retryBudgetSeconds}s with ${backoffWords}: it needs at least ${minimum} receives${fifo ? ` (including ${batchSize}, the batch size, for messages held behind a failing message of their FIFO group)` : ''}; leave maxReceiveCount unset, or lower retryBudgetSeconds`,
    );
  }
  // A try that crashes or times out never reaches the kit's budget check: such a message
  // comes back after each visibility timeout until SQS moves it, and must reach the DLQ
  // before it expires.
  if (maxReceiveCount * visibilityTimeoutSeconds >= QUEUE_RETENTION_SECONDS) {
    fail(
      `${field}.maxReceiveCount`,
      `${maxReceiveCount} receives x the visibility timeout (${visibilityTimeoutSeconds}s) is not less than the queue's ${PIPELINE_DEFAULTS.queueRetentionDays}-day retention: a message whose every try times out would expire before SQS dead-letters it; lower retryBudgetSeconds or the function timeout`,
    );
  }
  return { retryBudgetSeconds, maxReceiveCount };
}

/**
 * Checks a definition and applies every default.
 * @param schemasDir where the contract folders are
 * @throws PipelineDefinitionError naming the first wrong field
 */
export function resolvePipeline(definition: PipelineDefinition, schemasDir: string): ResolvedPipeline {
  if (!NAME.test(definition.name)) fail('name', `"${definition.name}" must be lower-case letters, digits and dashes`);
  checkUnique('topics', definition.topics.map((t) => t.name));
  checkUnique('eventTypes', definition.eventTypes.map((e) => e.name));
  checkUnique('consumers', definition.consumers.map((c) => c.name));

  const topics: ResolvedTopic[] = definition.topics.map((topic, i) => {
    const field = `topics[${i}]`;
    if (!NAME.test(topic.name)) fail(`${field}.name`, `"${topic.name}" must be lower-case letters, digits and dashes`);
    const fifo = topic.fifo ?? false;
    if (topic.archiveRetentionDays !== undefined) {
      if (!fifo) fail(`${field}.archiveRetentionDays`, 'message archiving is only available on FIFO topics');
      checkInteger(`${field}.archiveRetentionDays`, topic.archiveRetentionDays, 1, 365);
    }
    return {
      name: topic.name,
      fifo,
      ...(topic.archiveRetentionDays !== undefined && { archiveRetentionDays: topic.archiveRetentionDays }),
      ...(topic.publishers !== undefined && { publishers: resolvePublishers(`${field}.publishers`, topic.publishers) }),
    };
  });
  const topicByName = new Map(topics.map((t) => [t.name, t]));

  const eventTypes: ResolvedEventType[] = definition.eventTypes.map((eventType, i) => {
    const field = `eventTypes[${i}]`;
    if (!EVENT_TYPE_NAME.test(eventType.name)) fail(`${field}.name`, `"${eventType.name}" must look like "entity.happened"`);
    if (!topicByName.has(eventType.topic)) fail(`${field}.topic`, `unknown topic "${eventType.topic}"`);
    const compatibility = eventType.compatibility ?? PIPELINE_DEFAULTS.compatibility;
    if (!isCompatibilityMode(compatibility)) fail(`${field}.compatibility`, `unknown compatibility mode "${String(compatibility)}"`);
    if (!(eventType.peakEventsPerSecond > 0)) fail(`${field}.peakEventsPerSecond`, 'must be a positive number');
    if (!(eventType.latencySlaP95Seconds > 0)) fail(`${field}.latencySlaP95Seconds`, 'must be a positive number');
    const contract = eventType.contract ?? eventType.name;
    let versions: ContractVersion[];
    try {
      versions = loadContractVersions(schemasDir, contract);
    } catch (cause) {
      fail(`${field}.contract`, (cause as Error).message, cause);
    }
    return {
      name: eventType.name,
      topic: eventType.topic,
      contract,
      compatibility,
      peakEventsPerSecond: eventType.peakEventsPerSecond,
      latencySlaP95Seconds: eventType.latencySlaP95Seconds,
      versions,
    };
  });
  const eventTypeByName = new Map(eventTypes.map((e) => [e.name, e]));

  const consumers: ResolvedConsumer[] = definition.consumers.map((consumer, i) => {
    const field = `consumers[${i}]`;
    if (!NAME.test(consumer.name)) fail(`${field}.name`, `"${consumer.name}" must be lower-case letters, digits and dashes`);
    const topic = topicByName.get(consumer.topic) ?? fail(`${field}.topic`, `unknown topic "${consumer.topic}"`);
    if (consumer.eventTypes.length === 0) fail(`${field}.eventTypes`, 'must name at least one event type');
    const handled = consumer.eventTypes.map((name, j) => {
      const eventType = eventTypeByName.get(name) ?? fail(`${field}.eventTypes[${j}]`, `unknown event type "${name}"`);
      if (eventType.topic !== topic.name) {
        fail(`${field}.eventTypes[${j}]`, `event type "${name}" is published to "${eventType.topic}", not to ${consumer.name}'s topic "${topic.name}"`);
      }
      return eventType;
    });
    const batchSize = consumer.batchSize ?? PIPELINE_DEFAULTS.batchSize;
    const batchingWindowSeconds = consumer.batchingWindowSeconds ?? PIPELINE_DEFAULTS.batchingWindowSeconds;
    checkInteger(`${field}.batchSize`, batchSize, 1, topic.fifo ? 10 : 10_000);
    checkInteger(`${field}.batchingWindowSeconds`, batchingWindowSeconds, 0, 300);
    if (topic.fifo && batchingWindowSeconds > 0) fail(`${field}.batchingWindowSeconds`, 'a batching window is not supported on FIFO queues');
    if (batchSize > 10 && batchingWindowSeconds === 0) {
      fail(`${field}.batchSize`, `a batch size above 10 (got ${batchSize}) needs a batching window of at least 1 second`);
    }
    const maxConcurrency = consumer.maxConcurrency ?? PIPELINE_DEFAULTS.maxConcurrency;
    checkInteger(`${field}.maxConcurrency`, maxConcurrency, 2, 1000);
    const timeoutSeconds = consumer.timeoutSeconds ?? PIPELINE_DEFAULTS.timeoutSeconds;
    checkInteger(`${field}.timeoutSeconds`, timeoutSeconds, 1, 900);
    const memoryMiB = consumer.memoryMiB ?? PIPELINE_DEFAULTS.memoryMiB;
    checkInteger(`${field}.memoryMiB`, memoryMiB, 128, 10_240);
    const minimumVisibility = 6 * timeoutSeconds + batchingWindowSeconds;
    const visibilityTimeoutSeconds = consumer.visibilityTimeoutSeconds ?? minimumVisibility;
    if (!Number.isInteger(visibilityTimeoutSeconds) || visibilityTimeoutSeconds > MAX_VISIBILITY_TIMEOUT_SECONDS) {
      fail(`${field}.visibilityTimeoutSeconds`, `${visibilityTimeoutSeconds}s would exceed SQS's 12 h (${MAX_VISIBILITY_TIMEOUT_SECONDS} s) limit`);
    }
    if (visibilityTimeoutSeconds < minimumVisibility) {
      fail(
        `${field}.visibilityTimeoutSeconds`,
        `${visibilityTimeoutSeconds}s is less than 6 x the function timeout + the batching window (${minimumVisibility}s): messages would be redelivered while still being processed`,
      );
    }
    const retryBaseDelaySeconds = consumer.retryBaseDelaySeconds ?? PIPELINE_DEFAULTS.retryBaseDelaySeconds;
    checkInteger(`${field}.retryBaseDelaySeconds`, retryBaseDelaySeconds, 1, MAX_VISIBILITY_TIMEOUT_SECONDS);
    // A larger base alone raises the default cap with it rather than failing validation.
    const retryMaxDelaySeconds = consumer.retryMaxDelaySeconds ?? Math.max(PIPELINE_DEFAULTS.retryMaxDelaySeconds, retryBaseDelaySeconds);
    // The backoff is applied as a visibility timeout, so SQS's 12 h limit bounds it.
    checkInteger(`${field}.retryMaxDelaySeconds`, retryMaxDelaySeconds, retryBaseDelaySeconds, MAX_VISIBILITY_TIMEOUT_SECONDS);
    const { retryBudgetSeconds, maxReceiveCount } = resolveRetryBudget(field, consumer, {
      fifo: topic.fifo,
      batchSize,
      visibilityTimeoutSeconds,
      retryBaseDelaySeconds,
      retryMaxDelaySeconds,
    });
    if (!consumer.entry || !/\.(ts|js|mjs)$/.test(consumer.entry)) fail(`${field}.entry`, `"${consumer.entry}" must be a .ts or .js handler file`);
    const filter: FilterDefinition = consumer.filter ?? { scope: 'MessageAttributes', policy: { type: [...consumer.eventTypes] } };
    if (filter.scope !== 'MessageAttributes' && filter.scope !== 'MessageBody') {
      fail(`${field}.filter.scope`, `must be MessageAttributes or MessageBody, got "${String(filter.scope)}"`);
    }
    if (typeof filter.policy !== 'object' || filter.policy === null || Object.keys(filter.policy).length === 0) {
      fail(`${field}.filter.policy`, 'must be a non-empty SNS filter policy object');
    }
    const downstreamDefinition = consumer.downstream ?? { kind: 'dynamodb' as const };
    let downstream: ResolvedConsumer['downstream'];
    if (downstreamDefinition.kind === 'http') {
      let url: URL;
      try {
        url = new URL(downstreamDefinition.url);
      } catch (cause) {
        fail(`${field}.downstream.url`, `"${downstreamDefinition.url}" is not a URL`, cause);
      }
      // Events carry personal data (emails, names): never in clear over the network.
      if (url.protocol !== 'https:') fail(`${field}.downstream.url`, `"${downstreamDefinition.url}" must be an https: URL (TLS only)`);
      downstream = { kind: 'http', url: downstreamDefinition.url, timeoutMs: downstreamDefinition.timeoutMs ?? PIPELINE_DEFAULTS.httpTimeoutMs };
    } else if (downstreamDefinition.kind === 'dynamodb') {
      const retentionDays = consumer.downstreamRetentionDays ?? PIPELINE_DEFAULTS.downstreamRetentionDays;
      const minimum = minimumDownstreamRetentionDays(topic.archiveRetentionDays);
      checkInteger(`${field}.downstreamRetentionDays`, retentionDays, 1, 36_500);
      if (retentionDays < minimum) {
        fail(
          `${field}.downstreamRetentionDays`,
          `${retentionDays} days is shorter than an event can come back (queue ${PIPELINE_DEFAULTS.queueRetentionDays} + DLQ ${PIPELINE_DEFAULTS.dlqRetentionDays}${topic.archiveRetentionDays ? ` + archive ${topic.archiveRetentionDays}` : ''} = ${minimum} days): its effect-log item would expire first and the event be applied again`,
        );
      }
      downstream = { kind: 'dynamodb', retentionDays };
    } else {
      fail(`${field}.downstream.kind`, `must be "dynamodb" or "http", got "${String((downstreamDefinition as { kind: unknown }).kind)}"`);
    }
    return {
      name: consumer.name,
      description: consumer.description,
      topic: topic.name,
      fifo: topic.fifo,
      eventTypes: [...consumer.eventTypes],
      filter,
      batchSize,
      batchingWindowSeconds,
      maxConcurrency,
      retryBudgetSeconds,
      maxReceiveCount,
      timeoutSeconds,
      memoryMiB,
      visibilityTimeoutSeconds,
      retryBaseDelaySeconds,
      retryMaxDelaySeconds,
      entry: consumer.entry,
      downstream,
      ...(consumer.owner !== undefined && { owner: checkOwner(`${field}.owner`, consumer.owner) }),
      peakEventsPerSecond: handled.reduce((sum, e) => sum + e.peakEventsPerSecond, 0),
      latencySlaP95Seconds: Math.min(...handled.map((e) => e.latencySlaP95Seconds)),
    };
  });

  const onCall = { page: resolveAlarmTargets('onCall.page', definition.onCall?.page), warn: resolveAlarmTargets('onCall.warn', definition.onCall?.warn) };
  return { name: definition.name, topics, eventTypes, consumers, onCall, createXRayResourcePolicy: definition.createXRayResourcePolicy ?? true, reserveConcurrency: definition.reserveConcurrency ?? true };
}
