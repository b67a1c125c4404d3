/**
 * Events SNS dropped before any queue, as the local world sees them. The emulator counts
 * in CloudWatch (local/emulator_server.py, items 7 and 8) what an attribute filter policy
 * dropped for want of attributes, under the metric AWS uses and Fanout alarms on, and
 * what every subscription of its topic filtered out, which AWS does not count; this reads
 * both back, so a producer that forgets the `type` attribute, or sends a type nobody
 * takes, is told so locally.
 */
import { GetMetricStatisticsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { NO_ATTRIBUTES_METRIC } from '../ops/routing';

/** A topic to watch: its name in the definition, its physical name (the metrics' TopicName). */
export interface WatchedTopic {
  readonly name: string;
  readonly topicName: string;
  /** Consumers whose subscriptions filter on message attributes: the ones that drop a message without any. */
  readonly attributeFiltered: readonly string[];
}

/** What was dropped on one topic. */
export interface DroppedCounts {
  /** Notifications attribute filters dropped because the message had no attributes (one per subscription). */
  readonly withoutAttributes: number;
  /** Messages every subscription of the topic filtered out: nobody received them. */
  readonly matchingNoSubscription: number;
}

/** The emulator's own count of messages that reached no subscription (no such metric in AWS). */
export const LOCAL_NO_SUBSCRIPTION_METRIC = { namespace: 'Fanout/Local', metricName: 'NotificationsMatchingNoSubscription' } as const;

async function sum(cloudwatch: CloudWatchClient, namespace: string, metricName: string, topicName: string, sinceMs: number): Promise<number> {
  const { Datapoints = [] } = await cloudwatch.send(
    new GetMetricStatisticsCommand({
      Namespace: namespace,
      MetricName: metricName,
      Dimensions: [{ Name: 'TopicName', Value: topicName }],
      // Whole minutes around the window: datapoints are bucketed by period.
      StartTime: new Date(sinceMs - 60_000),
      EndTime: new Date(Date.now() + 60_000),
      Period: 60,
      Statistics: ['Sum'],
    }),
  );
  return Datapoints.reduce((total, d) => total + (d.Sum ?? 0), 0);
}

/** What SNS dropped on each topic (by definition name) since `sinceMs`. */
export async function droppedEvents(cloudwatch: CloudWatchClient, topics: readonly WatchedTopic[], sinceMs: number): Promise<Map<string, DroppedCounts>> {
  const counts = new Map<string, DroppedCounts>();
  for (const topic of topics) {
    counts.set(topic.name, {
      withoutAttributes: topic.attributeFiltered.length === 0 ? 0 : await sum(cloudwatch, 'AWS/SNS', NO_ATTRIBUTES_METRIC, topic.topicName, sinceMs),
      matchingNoSubscription: await sum(cloudwatch, LOCAL_NO_SUBSCRIPTION_METRIC.namespace, LOCAL_NO_SUBSCRIPTION_METRIC.metricName, topic.topicName, sinceMs),
    });
  }
  return counts;
}

/** The warnings for `dropped` more of each kind on `topic`. */
export function droppedWarnings(pipelineName: string, topic: WatchedTopic, dropped: DroppedCounts): string[] {
  const warnings: string[] = [];
  if (dropped.withoutAttributes > 0) {
    warnings.push(
      `${topic.name}: ${dropped.withoutAttributes} notification(s) published without message attributes were dropped by ${topic.attributeFiltered.join(', ')} ` +
        `(${NO_ATTRIBUTES_METRIC}); in AWS the alarm ${pipelineName}-${topic.name}-filtered-no-attributes pages. ` +
        'Set the `type` attribute on every publish (README, "Publishing from any language").',
    );
  }
  if (dropped.matchingNoSubscription > 0) {
    warnings.push(
      `${topic.name}: ${dropped.matchingNoSubscription} event(s) matched no subscription at all (no \`type\` attribute, or a type or content no consumer takes): nobody received them. ` +
        'AWS counts this under no metric of its own; `npx fanout route <event.json>` shows where an event goes and why.',
    );
  }
  return warnings;
}

/**
 * Polls {@link droppedEvents} every `intervalMs` and calls `onWarning` for what was dropped
 * since the last poll. Returns a function that stops it (and resolves once a poll in
 * progress has ended).
 */
export function watchDroppedEvents(options: {
  readonly cloudwatch: CloudWatchClient;
  readonly pipelineName: string;
  readonly topics: readonly WatchedTopic[];
  readonly sinceMs: number;
  /** Counts since `sinceMs` already told, per topic: only what comes on top is reported. */
  readonly alreadyReported?: ReadonlyMap<string, DroppedCounts>;
  readonly intervalMs: number;
  readonly onWarning: (warning: string) => void;
  readonly onError?: (error: Error) => void;
}): () => Promise<void> {
  const seen = new Map<string, DroppedCounts>(options.alreadyReported);
  let stopped = false;
  let polling: Promise<void> = Promise.resolve();
  const poll = async () => {
    try {
      const counts = await droppedEvents(options.cloudwatch, options.topics, options.sinceMs);
      for (const topic of options.topics) {
        const now = counts.get(topic.name) ?? { withoutAttributes: 0, matchingNoSubscription: 0 };
        const before = seen.get(topic.name) ?? { withoutAttributes: 0, matchingNoSubscription: 0 };
        seen.set(topic.name, now);
        const increase = { withoutAttributes: now.withoutAttributes - before.withoutAttributes, matchingNoSubscription: now.matchingNoSubscription - before.matchingNoSubscription };
        if (!stopped) for (const warning of droppedWarnings(options.pipelineName, topic, increase)) options.onWarning(warning);
      }
    } catch (error) {
      if (!stopped) options.onError?.(error as Error);
    }
  };
  const timer = setInterval(() => {
    polling = polling.then(poll);
  }, options.intervalMs);
  return async () => {
    stopped = true;
    clearInterval(timer);
    await polling;
  };
}
