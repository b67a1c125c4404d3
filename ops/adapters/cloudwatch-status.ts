/**
 * CloudWatch reads for `fanout status`: the latest age of the oldest message of a queue,
 * and the states of the pipeline's alarms. Each takes its client as a parameter.
 */
import { DescribeAlarmsCommand, GetMetricStatisticsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';

/** The queue name in an SQS queue URL (the last path segment), the QueueName dimension. */
export function queueNameOf(queueUrl: string): string {
  return queueUrl.replace(/\/+$/, '').split('/').pop() ?? queueUrl;
}

/**
 * The most recent ApproximateAgeOfOldestMessage (seconds, Maximum over a minute) of the
 * last `lookbackMinutes`, or undefined when CloudWatch has no datapoint (the emulator
 * publishes no SQS metrics; AWS publishes none for a queue idle for hours).
 */
export async function oldestMessageAgeSeconds(cloudWatch: CloudWatchClient, queueName: string, now: Date, lookbackMinutes = 10): Promise<number | undefined> {
  const { Datapoints = [] } = await cloudWatch.send(
    new GetMetricStatisticsCommand({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: queueName }],
      StartTime: new Date(now.getTime() - lookbackMinutes * 60_000),
      EndTime: now,
      Period: 60,
      Statistics: ['Maximum'],
    }),
  );
  const latest = [...Datapoints].sort((a, b) => (b.Timestamp?.getTime() ?? 0) - (a.Timestamp?.getTime() ?? 0))[0];
  return latest?.Maximum;
}

/** Alarm name → state (`OK`, `ALARM`, `INSUFFICIENT_DATA`) for every alarm whose name starts with the prefix. */
export async function alarmStates(cloudWatch: CloudWatchClient, prefix: string): Promise<Map<string, string>> {
  const states = new Map<string, string>();
  let nextToken: string | undefined;
  do {
    const page = await cloudWatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, AlarmTypes: ['MetricAlarm'], MaxRecords: 100, NextToken: nextToken }));
    for (const alarm of page.MetricAlarms ?? []) if (alarm.AlarmName) states.set(alarm.AlarmName, alarm.StateValue ?? 'INSUFFICIENT_DATA');
    nextToken = page.NextToken;
  } while (nextToken);
  return states;
}
