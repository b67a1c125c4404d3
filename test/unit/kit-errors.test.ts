/**
 * Which errors decide as permanent (issue 9, break 5): a PermanentError wrapped by a
 * library, or by the kit's own IdempotencyCleanupError, still goes to the DLQ.
 */
import { describe, expect, it } from 'vitest';
import { IdempotencyPersistenceLayerError, IdempotencyUnknownError } from '@aws-lambda-powertools/idempotency';
import { ContractViolationError, FanoutError, PermanentError, TransientError } from '../../contracts/errors';
import { DeadLetterSendError, IdempotencyCleanupError, permanentFailureOf, UnhandledEventTypeError } from '../../lambdas/kit/errors';

describe('permanentFailureOf', () => {
  it('is the error itself when it is permanent, a subclass included', () => {
    const permanent = new PermanentError('CRM answered 422');
    expect(permanentFailureOf(permanent)).toBe(permanent);
    const unhandled = new UnhandledEventTypeError('no handler');
    expect(permanentFailureOf(unhandled)).toBe(unhandled);
    const violation = new ContractViolationError('user.signed-up', 2, [{ path: '/email', rule: 'format', message: 'bad' }]);
    expect(permanentFailureOf(violation)).toBe(violation);
  });

  it('finds a PermanentError through plain wrappers, however deep', () => {
    const permanent = new PermanentError('CRM answered 422');
    const powertools = new IdempotencyPersistenceLayerError('Failed to delete record from idempotency store', { cause: permanent });
    expect(permanentFailureOf(powertools)).toBe(permanent);
    const deep = new Error('outer', { cause: new FanoutError('middle', { cause: new IdempotencyUnknownError('inner', { cause: permanent }) }) });
    expect(permanentFailureOf(deep)).toBe(permanent);
  });

  it('returns the first PermanentError on the chain, not a deeper one', () => {
    const inner = new PermanentError('inner');
    const outer = new PermanentError('outer', { cause: new Error('plain', { cause: inner }) });
    expect(permanentFailureOf(new Error('wrap', { cause: outer }))).toBe(outer);
  });

  it('stops at a TransientError: its cause does not make it permanent', () => {
    const transient = new TransientError('CRM answered 503', { cause: new PermanentError('a 4xx on an earlier call') });
    expect(permanentFailureOf(transient)).toBeUndefined();
    expect(permanentFailureOf(new Error('wrap', { cause: transient }))).toBeUndefined();
    // The kit's own transient (the DLQ send failed) stays transient, whatever it wraps.
    expect(permanentFailureOf(new DeadLetterSendError('could not send to the DLQ', { cause: new PermanentError('x') }))).toBeUndefined();
  });

  it('survives a cause cycle, and answers undefined when no PermanentError is on it', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(permanentFailureOf(a)).toBeUndefined();
    const self = new Error('self');
    (self as { cause?: unknown }).cause = self;
    expect(permanentFailureOf(self)).toBeUndefined();
    // A cycle below the permanent error does not hide it.
    const permanent = new PermanentError('p');
    const loop = new Error('loop', { cause: permanent });
    (permanent as { cause?: unknown }).cause = loop;
    expect(permanentFailureOf(loop)).toBe(permanent);
  });

  it('answers undefined for a non-error and for a plain error', () => {
    for (const value of [undefined, null, 'boom', 42, { name: 'PermanentError', message: 'look-alike' }]) expect(permanentFailureOf(value)).toBeUndefined();
    expect(permanentFailureOf(new Error('plain', { cause: 'a string cause' }))).toBeUndefined();
    // A name is not a type: an error merely called PermanentError is not one.
    expect(permanentFailureOf(Object.assign(new Error('x'), { name: 'PermanentError' }))).toBeUndefined();
  });
});

describe('IdempotencyCleanupError', () => {
  it('carries the function’s error as cause and the store’s as cleanupError, and says both', () => {
    const rejected = new PermanentError('CRM answered 422');
    const store = new IdempotencyPersistenceLayerError('Failed to delete record from idempotency store', { cause: new Error('throttled') });
    const error = new IdempotencyCleanupError(rejected, store);
    expect(error).toBeInstanceOf(FanoutError);
    expect(error.name).toBe('IdempotencyCleanupError');
    expect(error.cause).toBe(rejected);
    expect(error.cleanupError).toBe(store);
    expect(error.message).toBe('CRM answered 422 (and the idempotency record of the failed try could not be removed: Failed to delete record from idempotency store)');
  });

  it('is neither permanent nor transient itself: it decides as its cause does', () => {
    const permanent = new IdempotencyCleanupError(new PermanentError('422'), new Error('throttled'));
    expect(permanent).not.toBeInstanceOf(PermanentError);
    expect(permanent).not.toBeInstanceOf(TransientError);
    expect(permanentFailureOf(permanent)).toBe(permanent.cause);
    expect(permanentFailureOf(new IdempotencyCleanupError(new TransientError('503'), new Error('throttled')))).toBeUndefined();
    expect(permanentFailureOf(new IdempotencyCleanupError('a thrown string', 'another'))).toBeUndefined();
    expect(new IdempotencyCleanupError('a thrown string', 'another').message).toBe('a thrown string (and the idempotency record of the failed try could not be removed: another)');
  });
});
