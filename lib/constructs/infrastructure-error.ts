/**
 * The error the constructs raise when they are wired wrongly (a programming error in
 * the stack, not a bad pipeline definition: those fail earlier, in resolvePipeline).
 */
import { FanoutError } from '../../contracts/errors';

/** A construct was given props it cannot build from; the message says which. */
export class InfrastructureError extends FanoutError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InfrastructureError';
  }
}
