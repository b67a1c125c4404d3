/**
 * SNS calls for replaying a FIFO topic's archive: setting a subscription's ReplayPolicy
 * and reading its ReplayStatus. Each takes its client as a parameter.
 */
import { GetSubscriptionAttributesCommand, SetSubscriptionAttributesCommand, type SNSClient } from '@aws-sdk/client-sns';
import { FanoutError } from '../../contracts/errors';

/** The endpoint does not take a ReplayPolicy (the local emulator), or refused this one. */
export class ReplayUnsupportedError extends FanoutError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReplayUnsupportedError';
  }
}

/**
 * Starts a replay on one subscription.
 * @throws ReplayUnsupportedError when the endpoint rejects the ReplayPolicy attribute
 */
export async function startReplay(sns: SNSClient, subscriptionArn: string, policy: string): Promise<void> {
  try {
    await sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn, AttributeName: 'ReplayPolicy', AttributeValue: policy }));
  } catch (error) {
    const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    // An endpoint that does not know the attribute names the attribute as the bad
    // parameter (moto: InvalidParameterException "AttributeName").
    if (e.name === 'InvalidParameterException' || e.name === 'InvalidParameter' || e.$metadata?.httpStatusCode === 501) {
      throw new ReplayUnsupportedError(`${e.name}: ${e.message ?? ''}`.trim(), { cause: error });
    }
    throw error;
  }
}

/** The subscription's ReplayStatus (e.g. `Completed`, `In progress`), when the endpoint reports one. */
export async function replayStatus(sns: SNSClient, subscriptionArn: string): Promise<string | undefined> {
  const { Attributes = {} } = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn }));
  return Attributes.ReplayStatus;
}
