/**
 * Names of the stack outputs: the one agreement between the stack (which emits them),
 * the local runner (which writes the same keys for the emulator's resources) and the
 * CLI (which finds every resource through them, never by a hard-coded name).
 *
 * Output keys must be alphanumeric, so resource names are turned into PascalCase.
 */

/** `crm-sync` → `CrmSync`, `user.signed-up` → `UserSignedUp`. */
export function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

/** Output keys. */
export const OutputKey = {
  topicArn: (topic: string) => `TopicArn${pascal(topic)}`,
  queueUrl: (consumer: string) => `QueueUrl${pascal(consumer)}`,
  queueArn: (consumer: string) => `QueueArn${pascal(consumer)}`,
  dlqUrl: (consumer: string) => `DlqUrl${pascal(consumer)}`,
  dlqArn: (consumer: string) => `DlqArn${pascal(consumer)}`,
  subscriptionDlqUrl: (consumer: string) => `SubscriptionDlqUrl${pascal(consumer)}`,
  subscriptionArn: (consumer: string) => `SubscriptionArn${pascal(consumer)}`,
  functionName: (consumer: string) => `FunctionName${pascal(consumer)}`,
  eventSourceMappingId: (consumer: string) => `EventSourceMappingId${pascal(consumer)}`,
  downstreamTableName: (consumer: string) => `DownstreamTableName${pascal(consumer)}`,
  idempotencyTableName: () => 'IdempotencyTableName',
  schemaRegistryName: () => 'SchemaRegistryName',
  alarmTopicArn: () => 'AlarmTopicArn',
  pageTopicArn: () => 'PageTopicArn',
  dashboardName: () => 'DashboardName',
} as const;

/** A stack's outputs, key to value, as `cdk deploy --outputs-file` writes them per stack. */
export type StackOutputs = Readonly<Record<string, string>>;
