/**
 * The CDK app: builds the project's pipeline (pipeline.ts, through loadPipeline) into one
 * stack named after it. Run by the CDK CLI (`npx cdk synth`, `npx cdk deploy`, see cdk.json).
 *
 * Before anything is built, the definition is checked against the files beside it
 * (contracts and their examples, each consumer's handler map: model/source-checks.ts);
 * every mismatch is one line naming the file and the field, and synth fails.
 *
 * With no AWS credentials configured, the stack is synthesized for a fixed dummy
 * account and region (OFFLINE_ENV), so `cdk synth` works offline; `cdk deploy` runs
 * with credentials and so with the real account and region.
 *
 * The cdk-nag AwsSolutions checks run on every synth: a finding that is neither fixed
 * nor suppressed with a reason fails it.
 */
import { createFanoutApp, OFFLINE_ENV } from '../lib/fanout-stack';
import { loadPipeline, loadPipelineDefinition } from '../model/load-pipeline';
import { PROJECT_ROOT } from '../model/project-root';
import { PipelineDefinitionError } from '../model/pipeline-definition';
import { checkPipelineSources, definitionProblem, PipelineSourceError, problemLine } from '../model/source-checks';

try {
  const definition = loadPipelineDefinition();
  checkPipelineSources(definition, { projectRoot: PROJECT_ROOT }, loadPipeline);
  const { app } = createFanoutApp({
    definition,
    env: {
      account: process.env.CDK_DEFAULT_ACCOUNT ?? OFFLINE_ENV.account,
      region: process.env.CDK_DEFAULT_REGION ?? OFFLINE_ENV.region,
    },
    nag: true,
  });
  app.synth();
} catch (error) {
  // One line per problem, naming the file and the field, not a stack trace: these are input, not bugs.
  if (error instanceof PipelineSourceError) {
    console.error(error.message);
    process.exit(1);
  }
  if (error instanceof PipelineDefinitionError) {
    console.error(problemLine(definitionProblem(error)));
    process.exit(1);
  }
  throw error;
}
