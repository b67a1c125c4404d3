/**
 * The X-Ray resource policy SNS active tracing needs.
 */
import { Stack } from 'aws-cdk-lib';
import * as xray from 'aws-cdk-lib/aws-xray';
import { Construct } from 'constructs';

/** Properties of an {@link SnsTracingPolicy}. */
export interface SnsTracingPolicyProps {
  /** The policy's name, unique in the account, e.g. `fanout-sample-sns-active-tracing`. */
  readonly policyName: string;
  /** ARNs of the topics with active tracing that may send segments. */
  readonly topicArns: readonly string[];
}

/**
 * Lets SNS send trace segments to X-Ray for the given topics (and no others): without
 * it, a topic's `TracingConfig: Active` records nothing. X-Ray allows a handful of
 * resource policies per account, so a stack creates one for all its topics.
 */
export class SnsTracingPolicy extends Construct {
  /** The policy. */
  readonly policy: xray.CfnResourcePolicy;

  constructor(scope: Construct, id: string, props: SnsTracingPolicyProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.policy = new xray.CfnResourcePolicy(this, 'Policy', {
      policyName: props.policyName,
      policyDocument: stack.toJsonString({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'SnsActiveTracing',
            Effect: 'Allow',
            Principal: { Service: 'sns.amazonaws.com' },
            Action: ['xray:PutTraceSegments', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
            // X-Ray has no resource-level permissions; the conditions do the scoping.
            Resource: '*',
            Condition: {
              StringEquals: { 'aws:SourceAccount': stack.account },
              ArnLike: { 'aws:SourceArn': [...props.topicArns] },
            },
          },
        ],
      }),
    });
  }
}
