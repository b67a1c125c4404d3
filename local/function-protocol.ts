/**
 * Messages between the local runner and a consumer's execution environment (a child
 * process running local/consumer-process.ts), over Node's IPC channel. Types only, so
 * both sides import them without importing each other.
 */
import type { SQSEvent } from 'aws-lambda';

/** An error as Lambda reports it. */
export interface SerializedError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly stackTrace?: readonly string[];
}

/** What the Lambda context carries for one invocation. */
export interface InvocationContext {
  readonly awsRequestId: string;
  /** Epoch milliseconds when the function times out (getRemainingTimeInMillis). */
  readonly deadlineMs: number;
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
}

/** Runner → environment. */
export type ToEnvironment = { readonly type: 'invoke'; readonly id: number; readonly event: SQSEvent; readonly context: InvocationContext };

/** Environment → runner. */
export type FromEnvironment =
  | { readonly type: 'ready'; readonly initDurationMs: number }
  | { readonly type: 'init-error'; readonly error: SerializedError }
  | { readonly type: 'result'; readonly id: number; readonly response: unknown }
  | { readonly type: 'error'; readonly id: number; readonly error: SerializedError };
