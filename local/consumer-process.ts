/**
 * One execution environment of a consumer Lambda, run as its own Node process: imports
 * the bundled asset from cdk.out (init), then runs invocations the runner sends over
 * IPC, one at a time, like the Lambda Node.js runtime. Errors a handler throws are
 * reported; an uncaught exception or an exit ends the process, and the runner restarts
 * it like Lambda resets a crashed environment.
 *
 * Usage (the runner builds this file to .mjs and spawns it):
 *   node consumer-process.mjs <asset index.mjs> <handler export name>
 */
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { FromEnvironment, InvocationContext, SerializedError, ToEnvironment } from './function-protocol';

type Handler = (event: unknown, context: Context, callback: (error?: unknown, result?: unknown) => void) => unknown;

function send(message: FromEnvironment): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, undefined, () => resolve());
  });
}

function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, stackTrace: (error.stack ?? '').split('\n').slice(1).map((line) => line.trim()) };
  }
  return { errorType: 'Error', errorMessage: String(error) };
}

function lambdaContext(context: InvocationContext): Context {
  const unsupported = () => {
    throw new Error('context.done/fail/succeed are not supported: return a value or a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: context.functionName,
    functionVersion: context.functionVersion,
    invokedFunctionArn: context.invokedFunctionArn,
    memoryLimitInMB: context.memoryLimitInMB,
    awsRequestId: context.awsRequestId,
    logGroupName: context.logGroupName,
    logStreamName: context.logStreamName,
    getRemainingTimeInMillis: () => Math.max(0, context.deadlineMs - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/** Calls a handler in either style Lambda supports: async (returns a promise) or callback. */
function call(handler: Handler, event: unknown, context: Context): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const callback = (error?: unknown, result?: unknown) => (error ? reject(error) : resolve(result));
    try {
      const returned = handler(event, context, callback);
      if (returned && typeof (returned as Promise<unknown>).then === 'function') (returned as Promise<unknown>).then(resolve, reject);
      else if (handler.length < 3) resolve(returned);
    } catch (error) {
      reject(error);
    }
  });
}

async function main(): Promise<void> {
  const [assetFile, exportName = 'handler'] = process.argv.slice(2);
  // The runner went away (even killed): an environment must not outlive it.
  process.on('disconnect', () => process.exit(0));
  const started = Date.now();
  let handler: Handler;
  try {
    if (!assetFile) throw new Error('usage: consumer-process <asset file> <handler export>');
    const module = (await import(pathToFileURL(assetFile).href)) as Record<string, unknown>;
    const exported = module[exportName];
    if (typeof exported !== 'function') throw new Error(`${assetFile} does not export a function "${exportName}"`);
    handler = exported as Handler;
  } catch (error) {
    await send({ type: 'init-error', error: serializeError(error) });
    process.exit(1);
  }
  process.on('message', (message: ToEnvironment) => {
    if (message.type !== 'invoke') return;
    call(handler, message.event, lambdaContext(message.context)).then(
      // Lambda serializes the response as JSON; undefined becomes null.
      (response) => send({ type: 'result', id: message.id, response: JSON.parse(JSON.stringify(response ?? null)) as unknown }),
      (error: unknown) => send({ type: 'error', id: message.id, error: serializeError(error) }),
    );
  });
  await send({ type: 'ready', initDurationMs: Date.now() - started });
}

await main();
