/**
 * Apply-once per event: Powertools idempotency on DynamoDB, keyed on the envelope `id`
 * (never the SQS message id, which differs per queue and changes on redrive),
 * namespaced by consumer so consumers sharing the table never see each other's keys.
 *
 * The key is `<consumer>#<hash of the event id>`. Powertools would prefix it with
 * AWS_LAMBDA_FUNCTION_NAME by default (read when the persistence layer is built), tying the memory
 * of applied events to one deployment of the function: a renamed or replaced function,
 * or the local runner, would apply every event again. The consumer's name is what stays.
 */
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';
import type { Outcome } from './consumer';
import { IdempotencyCleanupError } from './errors';

/** What running work through the gate did. */
export interface GateResult {
  /** The outcome of the first (and only) application of the event. */
  readonly outcome: Outcome;
  /** True when the event had already been applied, so `work` did not run now. */
  readonly duplicate: boolean;
}

/** Runs a piece of work at most once per event id. */
export interface IdempotencyGate {
  /** Lets in-progress records expire with the invocation, so a crashed try does not block retries. */
  registerContext(context: Context): void;
  /**
   * Runs `work` unless `eventId` was already applied successfully.
   * When `work` throws, nothing is recorded and a later try runs it again.
   * @throws what `work` threw, unchanged
   * @throws IdempotencyCleanupError with what `work` threw as its cause, when the in-progress record of the failed try could not be removed
   * @throws IdempotencyAlreadyInProgressError (transient) while another invocation applies the same event
   */
  once(eventId: string, work: () => Promise<Outcome>): Promise<GateResult>;
}

/** Options of {@link createIdempotencyGate}. */
export interface IdempotencyGateOptions {
  readonly persistenceStore: BasePersistenceLayer;
  /** The consumer's name: the prefix of every key, whatever the function is called. */
  readonly consumer: string;
  /** How long a record of an applied event is kept, seconds: longer than the longest redelivery path. */
  readonly expiresAfterSeconds: number;
}

interface Work {
  ran: boolean;
  /** Set when `run` threw: what it threw. */
  failure?: { readonly error: unknown };
  readonly run: () => Promise<Outcome>;
}

/** An {@link IdempotencyGate} backed by Powertools' `makeIdempotent`. */
export function createIdempotencyGate(options: IdempotencyGateOptions): IdempotencyGate {
  const config = new IdempotencyConfig({ expiresAfterSeconds: options.expiresAfterSeconds });
  // Only argument 0 (the event id) is hashed into the key, after the consumer's prefix;
  // argument 1 carries the work and a flag telling a first application from a replayed result.
  const applyOnce = makeIdempotent(
    async (_key: { readonly eventId: string }, work: Work): Promise<Outcome> => {
      work.ran = true;
      try {
        return await work.run();
      } catch (error) {
        work.failure = { error };
        throw error;
      }
    },
    { persistenceStore: options.persistenceStore, config, dataIndexArgument: 0, keyPrefix: options.consumer },
  );
  return {
    registerContext(context) {
      config.registerLambdaContext(context);
    },
    async once(eventId, run) {
      const work: Work = { ran: false, run };
      let outcome: Outcome;
      try {
        outcome = await applyOnce({ eventId }, work);
      } catch (error) {
        // Powertools replaces the function's error with its own when deleting the
        // in-progress record then fails, and that one carries only the store's error: a
        // permanent failure would be retried as transient. Keep the function's error as
        // the cause, so it still decides.
        if (work.failure && error !== work.failure.error) throw new IdempotencyCleanupError(work.failure.error, error);
        throw error;
      }
      return { outcome, duplicate: !work.ran };
    },
  };
}
