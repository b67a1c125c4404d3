/**
 * The CDK app: builds the project's pipeline (pipeline.ts, through loadPipeline) into one
 * stack named after it.
 * Run by the CDK CLI (`npx cdk synth`, `npx cdk deploy`, see cdk.json).
 *
 * With no AWS credentials configured, the stack is synthesized for a fixed dummy
 * account and region (OFFLINE_ENV), so `cdk synth` works offline; `cdk deploy` runs
 * with credentials and so with the real account and region.
 *
 * The cdk-nag AwsSolutions checks run on every synth: a finding that is neither fixed
 * nor suppressed with a reason fails it.
 */
import { createFanoutApp, OFFLINE_ENV } from '../lib/fanout-stack';
import { loadPipelineDefinition } from '../model/load-pipeline';
import { PipelineDefinitionError } from '../model/pipeline-definition';

try {
  const { app } = createFanoutApp({
    definition: loadPipelineDefinition(),
    env: {
      account: process.env.CDK_DEFAULT_ACCOUNT ?? OFFLINE_ENV.account,
      region: process.env.CDK_DEFAULT_REGION ?? OFFLINE_ENV.region,
    },
    nag: true,
  });
  app.synth();
} catch (error) {
  if (error instanceof PipelineDefinitionError) {
    // One line naming the field, not a stack trace: the definition is input, not a bug.
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
