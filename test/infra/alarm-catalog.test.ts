/**
 * The alarm catalog is pure: checked here on resolved definitions, no synth.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AlarmKind, alarmCatalog, MetricSource, runbookLink } from '../../model/alarm-catalog';
import { resolvePipeline, type PipelineDefinition } from '../../model/pipeline-definition';
import { pipeline as samplePipeline } from '../../pipeline';

const SCHEMAS = join(import.meta.dirname, '../../schemas');
const sample = resolvePipeline(samplePipeline, SCHEMAS);

describe('alarmCatalog', () => {
  it('gives each consumer the seven alarms and each topic four, in a stable order', () => {
    const specs = alarmCatalog(sample);
    const consumerKinds = [
      AlarmKind.DlqDepth,
      AlarmKind.OldestMessageAge,
      AlarmKind.QueueDepth,
      AlarmKind.FunctionErrors,
      AlarmKind.FunctionThrottles,
      AlarmKind.FunctionDuration,
      AlarmKind.SubscriptionDlqDepth,
    ];
    expect(specs.map((s) => s.id)).toEqual([
      ...sample.consumers.map((c) => c.name).flatMap((c) => consumerKinds.map((k) => `${c}-${k}`)),
      ...sample.topics.map((t) => t.name).flatMap((t) => [
        `${t}-filtered-no-attributes`,
        `${t}-filtered-invalid-attributes`,
        `${t}-failed-to-redrive-to-dlq`,
        `${t}-notifications-failed`,
      ]),
    ]);
    expect(alarmCatalog(sample)).toEqual(specs);
  });

  it('watches SNS’s own signals of an event dropped before any queue, per topic', () => {
    const byId = new Map(alarmCatalog(sample).map((s) => [s.id, s]));
    for (const [id, metricName] of [
      ['user-events-filtered-no-attributes', 'NumberOfNotificationsFilteredOut-NoMessageAttributes'],
      ['user-events-filtered-invalid-attributes', 'NumberOfNotificationsFilteredOut-InvalidAttributes'],
      ['user-events-failed-to-redrive-to-dlq', 'NumberOfNotificationsFailedToRedriveToDlq'],
    ] as const) {
      const spec = byId.get(id)!;
      expect({ id, metric: spec.metric, threshold: spec.threshold, severity: spec.severity }).toEqual({
        id,
        metric: { source: 'topic', namespace: 'AWS/SNS', metricName, statistic: 'Sum', periodSeconds: 60 },
        threshold: 1,
        severity: 'page',
      });
    }
    // Names every subscription of the topic that filters on attributes (crm-sync in the sample; email-marketing filters on the body).
    const attributeFiltered = sample.consumers.filter((c) => c.topic === 'user-events' && c.filter.scope === 'MessageAttributes').map((c) => c.name);
    expect(attributeFiltered).toContain('crm-sync');
    expect(attributeFiltered).not.toContain('email-marketing');
    expect(byId.get('user-events-filtered-no-attributes')!.meaning).toContain(
      attributeFiltered.length === 1
        ? `The subscription of ${attributeFiltered[0]} selects events by the \`type\` message attribute`
        : `The subscriptions of ${attributeFiltered.join(', ')} select events by the \`type\` message attribute`,
    );
  });

  it('leaves out the attribute-filter alarms of a topic whose subscriptions all filter on the body', () => {
    const bodyFiltered = resolvePipeline({
      ...samplePipeline,
      consumers: samplePipeline.consumers.map((c) =>
        c.topic === 'billing-events' ? { ...c, filter: { scope: 'MessageBody' as const, policy: { type: [...c.eventTypes] } } } : c,
      ),
    }, SCHEMAS);
    const ids = alarmCatalog(bodyFiltered).map((s) => s.id);
    expect(ids.filter((id) => id.startsWith('billing-events-'))).toEqual(['billing-events-failed-to-redrive-to-dlq', 'billing-events-notifications-failed']);
    expect(ids).toContain('user-events-filtered-no-attributes');
  });

  it('ids, alarm names and runbook anchors are unique and URL-safe', () => {
    const specs = alarmCatalog(sample);
    for (const key of ['id', 'alarmName', 'runbookAnchor'] as const) {
      expect(new Set(specs.map((s) => s[key])).size).toBe(specs.length);
    }
    for (const spec of specs) {
      expect(spec.runbookAnchor).toMatch(/^[a-z0-9-]+$/);
      expect(spec.alarmName).toBe(`fanout-sample-${spec.id}`);
    }
  });

  it('every description is the meaning followed by the runbook link', () => {
    for (const spec of alarmCatalog(sample)) {
      expect(spec.description).toBe(`${spec.meaning} Runbook: RUNBOOK.md#${spec.runbookAnchor}`);
      expect(spec.description.endsWith(runbookLink(spec.runbookAnchor))).toBe(true);
      // CloudWatch caps AlarmDescription at 1024 characters.
      expect(spec.description.length).toBeLessThanOrEqual(1024);
      expect(spec.meaning.length).toBeGreaterThan(40);
      expect(spec.actions.length).toBeGreaterThan(0);
      expect(spec.title.startsWith(`${spec.subject.name}: `)).toBe(true);
    }
  });

  it('watches the right metric of the right resource', () => {
    const byId = new Map(alarmCatalog(sample).map((s) => [s.id, s]));
    expect(byId.get('crm-sync-dlq-depth')!.metric).toEqual({
      source: MetricSource.DeadLetterQueue,
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      statistic: 'Maximum',
      periodSeconds: 60,
    });
    expect(byId.get('crm-sync-subscription-dlq-depth')!.metric.source).toBe(MetricSource.SubscriptionDeadLetterQueue);
    expect(byId.get('crm-sync-oldest-message-age')!.metric).toMatchObject({ source: MetricSource.Queue, metricName: 'ApproximateAgeOfOldestMessage' });
    expect(byId.get('crm-sync-queue-depth')!.metric).toMatchObject({ source: MetricSource.Queue, metricName: 'ApproximateNumberOfMessagesVisible' });
    expect(byId.get('crm-sync-function-errors')!.metric).toMatchObject({ source: MetricSource.Function, namespace: 'AWS/Lambda', metricName: 'Errors', statistic: 'Sum' });
    expect(byId.get('crm-sync-function-throttles')!.metric).toMatchObject({ source: MetricSource.Function, metricName: 'Throttles', statistic: 'Sum' });
    expect(byId.get('crm-sync-function-duration')!.metric).toMatchObject({ source: MetricSource.Function, metricName: 'Duration', statistic: 'p99' });
    expect(byId.get('user-events-notifications-failed')!).toMatchObject({
      subject: { kind: 'topic', name: 'user-events' },
      metric: { source: MetricSource.Topic, namespace: 'AWS/SNS', metricName: 'NumberOfNotificationsFailed', statistic: 'Sum' },
      threshold: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('derives thresholds from the definition: SLA, peak x SLA rounded up, 80% of the timeout', () => {
    const definition: PipelineDefinition = {
      name: 'thresholds',
      topics: [{ name: 'events' }],
      eventTypes: [
        { name: 'user.signed-up', topic: 'events', peakEventsPerSecond: 0.1, latencySlaP95Seconds: 45 },
        { name: 'user.profile-updated', topic: 'events', peakEventsPerSecond: 0.2, latencySlaP95Seconds: 10 },
      ],
      consumers: [
        {
          name: 'both',
          description: 'Handles both event types, with its own timeout.',
          topic: 'events',
          eventTypes: ['user.signed-up', 'user.profile-updated'],
          timeoutSeconds: 7,
          maxConcurrency: 9,
          entry: 'lambdas/consumers/crm-sync/handler.ts',
        },
        {
          name: 'signups',
          description: 'Handles sign-ups only.',
          topic: 'events',
          eventTypes: ['user.signed-up'],
          // The smallest budget its 180 s visibility timeout allows; 20 receives is above the 13 it needs.
          retryBudgetSeconds: 180,
          maxReceiveCount: 20,
          entry: 'lambdas/consumers/crm-sync/handler.ts',
        },
      ],
    };
    const specs = alarmCatalog(resolvePipeline(definition, SCHEMAS));
    const spec = (consumer: string, kind: string) => specs.find((s) => s.id === `${consumer}-${kind}`)!;
    // The tightest SLA of its two event types.
    expect(spec('both', AlarmKind.OldestMessageAge)).toMatchObject({ threshold: 10, comparison: 'GreaterThanThreshold', thresholdUnit: 'seconds' });
    expect(spec('signups', AlarmKind.OldestMessageAge).threshold).toBe(45);
    // (0.1 + 0.2)/s x 10 s is 3 (not 4 from floating-point noise); 0.1/s x 45 s = 4.5, rounded up to 5.
    expect(spec('both', AlarmKind.QueueDepth)).toMatchObject({ threshold: 3, comparison: 'GreaterThanThreshold' });
    expect(spec('signups', AlarmKind.QueueDepth).threshold).toBe(5);
    // 80% of 7 s; 80% of the default 30 s.
    expect(spec('both', AlarmKind.FunctionDuration)).toMatchObject({ threshold: 5600, thresholdUnit: 'milliseconds' });
    expect(spec('signups', AlarmKind.FunctionDuration).threshold).toBe(24_000);
    expect(spec('both', AlarmKind.FunctionThrottles).meaning).toContain('caps concurrency at 9');
    expect(spec('both', AlarmKind.DlqDepth).meaning).toContain('for its whole retry budget (3600 s from its first try');
    // Its 7 s timeout makes a 42 s visibility timeout: tries that time out every time need 86 to span the hour.
    expect(spec('both', AlarmKind.DlqDepth).meaning).toContain('was received 86 times without an answer');
    expect(spec('signups', AlarmKind.DlqDepth).meaning).toContain('for its whole retry budget (180 s from its first try');
    expect(spec('signups', AlarmKind.DlqDepth).meaning).toContain('was received 20 times without an answer');
  });

  it('on FIFO, the DLQ alarm says a message may have been held behind a failing one of its group', () => {
    const billing = alarmCatalog(sample).find((s) => s.id === `billing-sync-${AlarmKind.DlqDepth}`)!;
    expect(billing.meaning).toContain('was received 59 times without succeeding (its tries crashed or timed out, or it was held behind a failing event of its message group)');
    const crm = alarmCatalog(sample).find((s) => s.id === `crm-sync-${AlarmKind.DlqDepth}`)!;
    expect(crm.meaning).toContain('was received 49 times without an answer');
    expect(crm.meaning).not.toContain('message group');
  });
});
