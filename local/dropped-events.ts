/**
 * Events SNS dropped before any queue, as the local world sees them: the emulator counts
 * what a subscription's attribute filter policy dropped for want of attributes in
 * CloudWatch, under the metric AWS uses (local/emulator_server.py, item 7), and this
 * reads it back, so a producer that forgets the `type` attribute is told locally what
 * the alarm `<pipeline>-<topic>-filtered-no-attributes` tells in AWS.
 */
import { GetMetricStatisticsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { NO_ATTRIBUTES_METRIC } from '../ops/routing';

/** A topic to watch: its name in the definition, its physical name (the metric's TopicName). */
export interface WatchedTopic {
  readonly name: string;
  readonly topicName: string;
  /** Consumers whose subscriptions filter on message attributes: the ones that dropped it. */
  readonly attributeFiltered: readonly string[];
}

/** Notifications SNS filtered out for having no attributes, per topic (definition name), since `sinceMs`. */
export async function droppedWithoutAttributes(cloudwatch: CloudWatchClient, topics: readonly WatchedTopic[], sinceMs: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const topic of topics) {
    const { Datapoints = [] } = await cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: 'AWS/SNS',
        MetricName: NO_ATTRIBUTES_METRIC,
        Dimensions: [{ Name: 'TopicName', Value: topic.topicName }],
        // Whole minutes around the window: datapoints are bucketed by period.
        StartTime: new Date(sinceMs - 60_000),
        EndTime: new Date(Date.now() + 60_000),
        Period: 60,
        Statistics: ['Sum'],
      }),
    );
    counts.set(topic.name, Datapoints.reduce((sum, d) => sum + (d.Sum ?? 0), 0));
  }
  return counts;
}

/**
 * The warning for `dropped` more notifications of `topic`. SNS counts one per subscription
 * that dropped it, so an event dropped by two subscriptions counts twice.
 */
export function droppedWarning(pipelineName: string, topic: WatchedTopic, dropped: number): string {
  return (
    `${topic.name}: ${dropped} notification(s) published without message attributes were dropped by ${topic.attributeFiltered.join(', ')} ` +
    `(${NO_ATTRIBUTES_METRIC}); in AWS the alarm ${pipelineName}-${topic.name}-filtered-no-attributes pages. ` +
    'Set the `type` attribute on every publish (README, "Publishing from any language"); `npx fanout route <event.json>` shows where an event goes.'
  );
}

/**
 * Polls {@link droppedWithoutAttributes} every `intervalMs` and calls `onDropped` with the
 * increase since the last poll, per topic. Returns a function that stops it (and
 * resolves once a poll in progress has ended).
 */
export function watchDroppedEvents(options: {
  readonly cloudwatch: CloudWatchClient;
  readonly topics: readonly WatchedTopic[];
  readonly sinceMs: number;
  /** Counts since `sinceMs` already told, per topic: only what comes on top is reported. */
  readonly alreadyReported?: ReadonlyMap<string, number>;
  readonly intervalMs: number;
  readonly onDropped: (topic: WatchedTopic, dropped: number) => void;
  readonly onError?: (error: Error) => void;
}): () => Promise<void> {
  const seen = new Map<string, number>(options.alreadyReported);
  let stopped = false;
  let polling: Promise<void> = Promise.resolve();
  const poll = async () => {
    try {
      const counts = await droppedWithoutAttributes(options.cloudwatch, options.topics, options.sinceMs);
      for (const topic of options.topics) {
        const total = counts.get(topic.name) ?? 0;
        const increase = total - (seen.get(topic.name) ?? 0);
        seen.set(topic.name, total);
        if (increase > 0 && !stopped) options.onDropped(topic, increase);
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
