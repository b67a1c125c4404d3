/** CloudWatch alarms and dashboards on the emulator; one it refuses is a note, not a failure. */
import { PutDashboardCommand, PutMetricAlarmCommand, type PutMetricAlarmCommandInput } from '@aws-sdk/client-cloudwatch';
import { generatedName, str, type Materialized, type ResourceContext } from './handler';

/** Puts an alarm (it exists locally but never changes state). */
export async function putAlarm({ logicalId, props, stackName, clients }: ResourceContext): Promise<Materialized> {
  const name = str(props.AlarmName) ?? generatedName(stackName, logicalId, 255);
  const { AlarmName: _ignored, ...rest } = props;
  try {
    await clients.cloudwatch.send(new PutMetricAlarmCommand({ ...(rest as Omit<PutMetricAlarmCommandInput, 'AlarmName'>), AlarmName: name }));
  } catch (error) {
    return {
      resource: { logicalId, type: 'AWS::CloudWatch::Alarm', ref: name, attributes: { Arn: `arn:aws:cloudwatch:::alarm:${name}` }, status: 'skipped' },
      notes: [`${logicalId}: the emulator refused alarm ${name} (${(error as Error).message})`],
    };
  }
  // Alarms exist locally but never change state: the emulator does not evaluate them.
  return { resource: { logicalId, type: 'AWS::CloudWatch::Alarm', ref: name, attributes: { Arn: `arn:aws:cloudwatch:${''}:alarm:${name}` }, status: 'created' } };
}

/** Puts a dashboard. */
export async function putDashboard({ logicalId, props, stackName, clients }: ResourceContext): Promise<Materialized> {
  const name = str(props.DashboardName) ?? generatedName(stackName, logicalId, 255);
  try {
    await clients.cloudwatch.send(new PutDashboardCommand({ DashboardName: name, DashboardBody: str(props.DashboardBody) ?? '{}' }));
  } catch (error) {
    return {
      resource: { logicalId, type: 'AWS::CloudWatch::Dashboard', ref: name, attributes: {}, status: 'skipped' },
      notes: [`${logicalId}: the emulator refused dashboard ${name} (${(error as Error).message})`],
    };
  }
  return { resource: { logicalId, type: 'AWS::CloudWatch::Dashboard', ref: name, attributes: {}, status: 'created' } };
}
