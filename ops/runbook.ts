/**
 * RUNBOOK.md, generated: for each consumer what it does, its alarms (what each means
 * and what to do, from the alarm catalog; names from the synthesized template), and how
 * to look at its DLQ, redrive, replay and pause it. Every alarm description's
 * `Runbook: RUNBOOK.md#<anchor>` lands on an `<a id="<anchor>">` this file emits.
 *
 * Pure and deterministic (no dates, stable order), so a test can regenerate the file and
 * fail when the committed one is stale.
 */
import { FanoutError } from '../contracts/errors';
import { RUNBOOK_FILE, type AlarmSpec } from '../model/alarm-catalog';
import { PIPELINE_DEFAULTS, type AlarmTarget, type ResolvedConsumer, type ResolvedPipeline, type ResolvedTopic } from '../model/pipeline-definition';
import { OutputKey } from '../model/stack-outputs';
import type { ConsumerQueueNames } from '../model/resource-names';

/** An alarm as the synthesized template declares it. */
export interface TemplateAlarm {
  readonly logicalId: string;
  /** The AlarmName, or undefined when it is not a literal (CloudFormation would generate it). */
  readonly alarmName?: string;
  readonly description?: string;
  /** The anchor its description points at (`Runbook: RUNBOOK.md#<anchor>`), if any. */
  readonly anchor?: string;
}

/** The runbook cannot be made consistent with the template (an alarm points at no section). */
export class RunbookError extends FanoutError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RunbookError';
  }
}

const ANCHOR = new RegExp(`Runbook: ${RUNBOOK_FILE.replace('.', '\\.')}#([A-Za-z0-9._-]+)`);

/** Every AWS::CloudWatch::Alarm of a synthesized template, in logical-id order. */
export function templateAlarms(template: unknown): TemplateAlarm[] {
  const resources = ((template as { Resources?: Record<string, { Type?: string; Properties?: Record<string, unknown> }> })?.Resources ?? {}) as Record<
    string,
    { Type?: string; Properties?: Record<string, unknown> }
  >;
  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm')
    .map(([logicalId, r]) => {
      const name = r.Properties?.AlarmName;
      const description = r.Properties?.AlarmDescription;
      const anchor = typeof description === 'string' ? ANCHOR.exec(description)?.[1] : undefined;
      return {
        logicalId,
        ...(typeof name === 'string' && { alarmName: name }),
        ...(typeof description === 'string' && { description }),
        ...(anchor !== undefined && { anchor }),
      };
    })
    .sort((a, b) => a.logicalId.localeCompare(b.logicalId));
}

/** What the runbook is made from. */
export interface RunbookInput {
  readonly pipeline: ResolvedPipeline;
  /** The alarm catalog of the pipeline: meanings and actions. */
  readonly catalog: readonly AlarmSpec[];
  /** The alarms of the synthesized template: names and anchors. */
  readonly alarms: readonly TemplateAlarm[];
  readonly queueNames: (consumer: ResolvedConsumer) => ConsumerQueueNames;
}

function outputQuery(stack: string, key: string): string {
  return `$(aws cloudformation describe-stacks --stack-name ${stack} --query "Stacks[0].Outputs[?OutputKey=='${key}'].OutputValue" --output text)`;
}

function comparison(spec: AlarmSpec): string {
  return spec.comparison === 'GreaterThanOrEqualToThreshold' ? '>=' : '>';
}

function alarmSection(spec: AlarmSpec, alarm: TemplateAlarm | undefined, links: readonly string[]): string[] {
  const name = alarm?.alarmName ?? spec.alarmName;
  const out = [`<a id="${spec.runbookAnchor}"></a>`, '', `#### ${spec.title}`, ''];
  out.push(`Severity **${spec.severity}** ([who is told](#who-is-told)). Alarm \`${name}\`: ${spec.metric.namespace} \`${spec.metric.metricName}\` (${spec.metric.statistic} over ${spec.metric.periodSeconds} s) ${comparison(spec)} ${spec.threshold} ${spec.thresholdUnit}, ${spec.datapointsToAlarm} of ${spec.evaluationPeriods} period${spec.evaluationPeriods === 1 ? '' : 's'}; missing data is not breaching.`);
  if (!alarm) out.push('', '> This alarm is in the catalog but not in the synthesized template: check lib/constructs/monitoring.ts.');
  out.push('', `**What it means.** ${spec.meaning}`, '', '**What to do.**', '');
  spec.actions.forEach((action, i) => out.push(`${i + 1}. ${action}`));
  if (links.length > 0) out.push('', `See also: ${links.join(', ')}.`);
  out.push('');
  return out;
}

function consumerSection(input: RunbookInput, consumer: ResolvedConsumer, byAnchor: ReadonlyMap<string, TemplateAlarm>): string[] {
  const { pipeline } = input;
  const stack = pipeline.name;
  const n = consumer.name;
  const names = input.queueNames(consumer);
  const topic = pipeline.topics.find((t) => t.name === consumer.topic)!;
  const link = (suffix: string, text: string) => `[${text}](#${n}-${suffix})`;
  const out: string[] = [`<a id="${n}"></a>`, '', `## Consumer \`${n}\``, '', consumer.description, ''];
  out.push(
    `- Who to contact: ${consumer.owner ? `${consumer.owner.team}, ${consumer.owner.contact}` : 'no owner named in the definition (set `owner` on the consumer)'}.`,
    `- Subscribes to topic \`${consumer.topic}\`${consumer.fifo ? ' (FIFO: ordered per message group)' : ''}, event types ${consumer.eventTypes.map((t) => `\`${t}\``).join(', ')}; filter on the ${consumer.filter.scope === 'MessageBody' ? 'message body' : 'message attributes'}: \`${JSON.stringify(consumer.filter.policy)}\`.`,
    `- Queue \`${names.queue}\`, DLQ \`${names.deadLetterQueue}\` (after ${consumer.maxReceiveCount} receives, kept 14 days), subscription DLQ \`${names.subscriptionDeadLetterQueue}\`.`,
    `- Function: batch size ${consumer.batchSize}, batching window ${consumer.batchingWindowSeconds} s, maximum concurrency ${consumer.maxConcurrency}, timeout ${consumer.timeoutSeconds} s, ${consumer.memoryMiB} MiB; queue visibility timeout ${consumer.visibilityTimeoutSeconds} s.`,
    `- Expected peak ${consumer.peakEventsPerSecond} events/s; latency objective ${consumer.latencySlaP95Seconds} s at p95. Downstream: ${consumer.downstream.kind === 'http' ? `HTTP API \`${consumer.downstream.url}\`` : 'its DynamoDB table'}.`,
    '',
    `### Alarms of \`${n}\``,
    '',
  );
  for (const spec of input.catalog.filter((s) => s.subject.kind === 'consumer' && s.subject.name === n)) {
    const links =
      spec.kind === 'dlq-depth' || spec.kind === 'subscription-dlq-depth'
        ? [link('dlq', 'look at the DLQ'), link('redrive', 'redrive')]
        : spec.kind === 'function-errors' || spec.kind === 'function-duration'
          ? [link('pause', 'pause the consumer')]
          : [];
    out.push(...alarmSection(spec, byAnchor.get(spec.runbookAnchor), links));
  }

  out.push(
    `<a id="${n}-dlq"></a>`,
    '',
    `### Look at the DLQ of \`${n}\``,
    '',
    'Count the messages and read each one\'s failure context (reason, first seen, receive count, correlation id) without consuming them:',
    '',
    '```sh',
    `npx fanout dlq ${n} --peek 10`,
    `npx fanout dlq ${n} --subscription      # what SNS could not deliver`,
    `npx fanout dlq ${n} --json | jq '.messages[] | {reason, correlationId, eventId}'`,
    '```',
    '',
    `Console: SQS → \`${names.deadLetterQueue}\` → **Send and receive messages** → **Poll for messages**; the \`fanout-error-name\` and \`fanout-error-message\` attributes say why. Polling there hides the messages for the queue's visibility timeout; \`fanout dlq\` puts them back at once.`,
    `Search the logs by the correlation id: CloudWatch Logs Insights on the function's log group, \`filter correlation_id = "<id>"\`.`,
    '',
    `<a id="${n}-redrive"></a>`,
    '',
    `### Redrive \`${n}\``,
    '',
    `Fix the cause first, or the messages come straight back. Processing is idempotent (keyed on the event id), so an event that was already applied is skipped as a duplicate.`,
    '',
    '```sh',
    `npx fanout redrive ${n} --dry-run        # how many, and how`,
    `npx fanout redrive ${n} --rate 10        # move them back, 10 a second; Ctrl-C cancels`,
    `npx fanout redrive ${n} --subscription   # what SNS could not deliver, back to the queue as SNS would have delivered it`,
    '```',
    '',
    `Console: SQS → \`${names.deadLetterQueue}\` → **Start DLQ redrive** → **Redrive to source queue(s)**, optionally with a custom velocity. Do not use the console for \`${names.subscriptionDeadLetterQueue}\`: SQS's DLQ redrive works only for a queue's own DLQ, not for an SNS subscription's; \`fanout redrive --subscription\` moves those. A console or move-task redrive keeps the messages' \`fanout-*\` failure attributes; \`fanout dlq\` shows them as an earlier failure if the message fails again.`,
    '',
    'With the AWS CLI:',
    '',
    '```sh',
    `aws sqs start-message-move-task --source-arn ${outputQuery(stack, OutputKey.dlqArn(n))} \\`,
    `  --destination-arn ${outputQuery(stack, OutputKey.queueArn(n))} --max-number-of-messages-per-second 10`,
    `aws sqs list-message-move-tasks --source-arn ${outputQuery(stack, OutputKey.dlqArn(n))}`,
    '```',
    '',
    `<a id="${n}-replay"></a>`,
    '',
    `### Replay to \`${n}\``,
    '',
    ...replayLines(topic, n),
    '',
    `<a id="${n}-pause"></a>`,
    '',
    `### Pause and resume \`${n}\``,
    '',
    `Pausing stops the function from taking messages: they wait in the queue (the queue keeps them ${PIPELINE_DEFAULTS.queueRetentionDays} days: nothing is lost during a shorter pause; the age alarm says how long they have waited), and the age alarm will fire. Pause when the downstream is down for long or the consumer would do harm; resume when it is fixed.`,
    '',
    '```sh',
    `aws lambda update-event-source-mapping --uuid ${outputQuery(stack, OutputKey.eventSourceMappingId(n))} --no-enabled`,
    `aws lambda update-event-source-mapping --uuid ${outputQuery(stack, OutputKey.eventSourceMappingId(n))} --enabled`,
    '```',
    '',
    `Console: Lambda → the function in output \`${OutputKey.functionName(n)}\` → **Configuration** → **Triggers** → the SQS trigger → **Disable** (**Enable** to resume).`,
    '',
  );
  return out;
}

/** The fixed example window of the replay instructions (fixed, so the output stays deterministic). */
export const REPLAY_EXAMPLE = { from: '2026-01-15T09:00:00Z', to: '2026-01-15T10:00:00Z' } as const;

function replayLines(topic: ResolvedTopic, consumer: string): string[] {
  if (topic.fifo && topic.archiveRetentionDays !== undefined) {
    return [
      `Topic \`${topic.name}\` keeps an archive for ${topic.archiveRetentionDays} days: replay a time range to this consumer's subscription (for example after restoring its downstream from a backup). Replayed events already applied are skipped as duplicates.`,
      '',
      '```sh',
      `npx fanout replay ${topic.name} --from 6h --consumer ${consumer} --dry-run`,
      `npx fanout replay ${topic.name} --from ${REPLAY_EXAMPLE.from} --to ${REPLAY_EXAMPLE.to} --consumer ${consumer}`,
      '```',
    ];
  }
  return [
    `Topic \`${topic.name}\` is ${topic.fifo ? 'a FIFO topic without an archive' : 'a standard topic'}: SNS keeps no archive of it, so there is nothing to replay. Re-publish from the producer's source of truth with the original event ids (\`npx fanout publish\`); the consumers' idempotency skips what was already applied.`,
  ];
}

/**
 * Renders RUNBOOK.md.
 * @throws RunbookError when a template alarm's description points at an anchor the runbook would not contain
 */
/** Who may publish to a topic and whom to contact about what they publish. */
function producerLines(topic: ResolvedTopic): string[] {
  if (!topic.publishers) return ['Producers: not listed in the definition: any principal of the account whose IAM policies allow `sns:Publish` may publish.'];
  return [
    'Producers (the only principals the topic policy lets publish), and who to contact:',
    '',
    ...topic.publishers.producers.map((p) => `- \`${p.principal}\`: ${p.owner ? `${p.owner.team}, ${p.owner.contact}` : 'no owner named'}`),
  ];
}

function describeTarget(target: AlarmTarget): string {
  if ('email' in target) return `email ${target.email}`;
  if ('https' in target) return `HTTPS ${target.https}`;
  return `topic ${target.topicArn}`;
}

/** Who each severity reaches, from the definition's on-call targets. */
function whoIsTold(pipeline: ResolvedPipeline): string[] {
  const list = (targets: readonly AlarmTarget[]) => (targets.length === 0 ? 'nobody' : targets.map(describeTarget).join(', '));
  const out = [
    `- **page** alarms (events dead-lettered or not delivered: they wait for a person): ${list(pipeline.onCall.page)}; and every **warn** target.`,
    `- **warn** alarms (early signs: age, backlog, errors, throttles, duration): ${list(pipeline.onCall.warn)}.`,
    '- Every alarm, and its recovery, goes to the alarm topic (stack output `AlarmTopicArn`); page alarms also to the page topic (`PageTopicArn`). Email and HTTPS targets are subscribed to them; an existing topic is an action of the alarms.',
  ];
  if (pipeline.onCall.page.length === 0) {
    out.push('', '**Nobody is paged.** Set `onCall.page` in the pipeline definition, or subscribe to the alarm topic, before relying on these alarms.');
  }
  return out;
}

export function renderRunbook(input: RunbookInput): string {
  const { pipeline, catalog, alarms } = input;
  const byAnchor = new Map(alarms.filter((a) => a.anchor !== undefined).map((a) => [a.anchor!, a]));
  const catalogAnchors = new Set(catalog.map((s) => s.runbookAnchor));
  const orphans = alarms.filter((a) => a.anchor === undefined || !catalogAnchors.has(a.anchor));
  if (orphans.length > 0) {
    throw new RunbookError(
      `alarms in the template point at no runbook section: ${orphans.map((a) => `${a.alarmName ?? a.logicalId} (${a.anchor ? `#${a.anchor}` : 'no "Runbook:" link in its description'})`).join(', ')}`,
    );
  }
  const out: string[] = [
    `# Runbook: \`${pipeline.name}\``,
    '',
    '<!-- Generated by `npx fanout runbook` from the pipeline definition, the alarm catalog (model/alarm-catalog.ts) and the synthesized template. Do not edit by hand: change those and regenerate; `npx fanout runbook --check` (and the unit tests) fail when this file is stale. -->',
    '',
    `Every alarm of the stack \`${pipeline.name}\` links to its section here. Commands find every resource through the stack's outputs: on AWS from CloudFormation, locally from the file the local runner writes (\`--outputs-file .fanout/outputs.json\`, or \`export FANOUT_OUTPUTS_FILE=.fanout/outputs.json\`). They honour \`AWS_PROFILE\`, \`AWS_REGION\` and \`AWS_ENDPOINT_URL\`, print \`--json\` for scripts, and exit 0 when all is well, 1 when they found a problem, 2 on bad input.`,
    '',
    '## First look',
    '',
    '```sh',
    'npx fanout status          # per consumer: backlog, in flight, DLQs, oldest message, alarm states',
    '```',
    '',
    '<a id="who-is-told"></a>',
    '',
    '## Who is told',
    '',
    ...whoIsTold(pipeline),
    '',
    '## Alarms',
    '',
    '| Alarm | Severity | About | Fires when | Section |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const spec of catalog) {
    const name = byAnchor.get(spec.runbookAnchor)?.alarmName ?? spec.alarmName;
    out.push(`| \`${name}\` | ${spec.severity} | ${spec.subject.kind} \`${spec.subject.name}\` | \`${spec.metric.metricName}\` ${comparison(spec)} ${spec.threshold} ${spec.thresholdUnit} | [${spec.title}](#${spec.runbookAnchor}) |`);
  }
  out.push('', '## Consumers', '');
  for (const consumer of pipeline.consumers) out.push(`- [\`${consumer.name}\`](#${consumer.name}): ${consumer.description}`);
  out.push('');
  for (const consumer of pipeline.consumers) out.push(...consumerSection(input, consumer, byAnchor));
  for (const topic of pipeline.topics) {
    out.push(`<a id="topic-${topic.name}"></a>`, '', `## Topic \`${topic.name}\``, '');
    const subscribers = pipeline.consumers.filter((c) => c.topic === topic.name).map((c) => `[\`${c.name}\`](#${c.name})`);
    out.push(
      `${topic.fifo ? 'FIFO' : 'Standard'} topic${topic.archiveRetentionDays !== undefined ? ` with a ${topic.archiveRetentionDays}-day archive` : ''}, event types ${pipeline.eventTypes.filter((e) => e.topic === topic.name).map((e) => `\`${e.name}\``).join(', ')}; consumers: ${subscribers.join(', ') || 'none'}.`,
      '',
      ...producerLines(topic),
      '',
    );
    for (const spec of catalog.filter((s) => s.subject.kind === 'topic' && s.subject.name === topic.name)) {
      const dlqLinks = pipeline.consumers.filter((c) => c.topic === topic.name).map((c) => `[\`${c.name}\` DLQs](#${c.name}-dlq)`);
      out.push(...alarmSection(spec, byAnchor.get(spec.runbookAnchor), dlqLinks));
    }
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

/** The anchors a rendered runbook defines (`<a id="...">`). */
export function runbookAnchors(markdown: string): Set<string> {
  return new Set([...markdown.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1]!));
}
