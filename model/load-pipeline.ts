/**
 * The one place that says which pipeline this project builds: the team's own
 * `pipeline.ts` at the project root, with its contracts in `schemas/`. The CDK app,
 * every `fanout` command and the local runner go through here, so none of them names
 * the pipeline (or its file) itself.
 */
import { join } from 'node:path';
import { pipeline } from '../pipeline';
import { resolvePipeline, type PipelineDefinition, type ResolvedPipeline } from './pipeline-definition';
import { PROJECT_ROOT } from './project-root';

/** The pipeline file, relative to the project root (messages name it; the scaffolds edit it). */
export const PIPELINE_FILE = 'pipeline.ts';

/** Where the contract data lives: one folder per event type, one file per version. */
export const SCHEMAS_DIR = join(PROJECT_ROOT, 'schemas');

/** The project's pipeline definition as written (the CDK app builds its stack from it). */
export function loadPipelineDefinition(): PipelineDefinition {
  return pipeline;
}

let resolved: ResolvedPipeline | undefined;

/**
 * The project's pipeline, checked and with every default applied (resolved once per process).
 * @throws PipelineDefinitionError naming the first wrong field
 */
export function loadPipeline(): ResolvedPipeline {
  resolved ??= resolvePipeline(pipeline, SCHEMAS_DIR);
  return resolved;
}
