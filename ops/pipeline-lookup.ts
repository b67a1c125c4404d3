/**
 * Finding a consumer or topic of the pipeline by the name an operator typed, with an
 * error that lists the names that exist.
 */
import { FanoutError } from '../contracts/errors';
import type { ResolvedConsumer, ResolvedPipeline, ResolvedTopic } from '../model/pipeline-definition';

/** An operator named a consumer or topic the pipeline does not have (exit code 2: bad input). */
export class UnknownNameError extends FanoutError {
  readonly exitCode = 2;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnknownNameError';
  }
}

/** The consumer called `name`. @throws UnknownNameError listing the consumers */
export function findConsumer(pipeline: ResolvedPipeline, name: string): ResolvedConsumer {
  const consumer = pipeline.consumers.find((c) => c.name === name);
  if (!consumer) {
    throw new UnknownNameError(`pipeline ${pipeline.name} has no consumer "${name}"; its consumers are: ${pipeline.consumers.map((c) => c.name).join(', ')}`);
  }
  return consumer;
}

/** The topic called `name`. @throws UnknownNameError listing the topics */
export function findTopic(pipeline: ResolvedPipeline, name: string): ResolvedTopic {
  const topic = pipeline.topics.find((t) => t.name === name);
  if (!topic) throw new UnknownNameError(`pipeline ${pipeline.name} has no topic "${name}"; its topics are: ${pipeline.topics.map((t) => t.name).join(', ')}`);
  return topic;
}
