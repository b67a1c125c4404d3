/**
 * The pure batching of client/batching.ts that the publisher tests (test/unit/publisher.test.ts)
 * reach only through a stand-in SNS client: sorting a PublishBatch answer and holding
 * FIFO groups back. Entry building and packing are tested there, through the publisher's
 * re-exports.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchEntryId, FifoGroupBlockers, sortBatchResponse } from '../../client/batching';

describe('client/batching.ts', () => {
  it('imports no AWS SDK: it is the pure half of the publisher', () => {
    const source = readFileSync(join(import.meta.dirname, '../../client/batching.ts'), 'utf8');
    expect(source).not.toMatch(/from '@aws-sdk\//);
  });
});

describe('sortBatchResponse', () => {
  const pending = ['a', 'b', 'c', 'd', 'e'];

  it('sorts entries into published, refused and to-retry, and retries what SNS did not answer', () => {
    const sorted = sortBatchResponse(pending, {
      Successful: [{ Id: batchEntryId(1), MessageId: 'm1', SequenceNumber: '7' }, { Id: batchEntryId(0), MessageId: 'm0' }],
      Failed: [
        { Id: batchEntryId(3), Code: 'InvalidParameter', Message: 'bad', SenderFault: true },
        { Id: batchEntryId(2), Code: 'InternalError', Message: 'oops', SenderFault: false },
      ],
    });
    expect(sorted.published).toEqual([
      { item: 'b', messageId: 'm1', sequenceNumber: '7' },
      { item: 'a', messageId: 'm0' },
    ]);
    expect(sorted.rejected).toEqual([{ item: 'd', code: 'InvalidParameter', message: 'bad' }]);
    expect(sorted.retryable).toEqual([
      { item: 'c', code: 'InternalError', message: 'oops' },
      { item: 'e', code: 'NoResult', message: 'SNS returned no result for this entry' },
    ]);
  });

  it('retries a throttling code even when SNS calls it the sender’s fault, and counts an entry answered twice once', () => {
    const sorted = sortBatchResponse(pending.slice(0, 2), {
      Successful: [{ Id: batchEntryId(0), MessageId: 'm0' }],
      Failed: [
        { Id: batchEntryId(0), Code: 'InternalError', SenderFault: false },
        { Id: batchEntryId(1), Code: 'Throttling', SenderFault: true },
        { Id: 'unknown', Code: 'InternalError' },
      ],
    });
    expect(sorted.published.map((p) => p.item)).toEqual(['a']);
    expect(sorted.rejected).toEqual([]);
    expect(sorted.retryable).toEqual([{ item: 'b', code: 'Throttling', message: '' }]);
  });
});

describe('FifoGroupBlockers', () => {
  it('holds a group’s later events behind its earliest failed event, per topic and group', () => {
    const blockers = new FifoGroupBlockers();
    blockers.block('t.fifo', 'g1', { index: 5, id: 'e5' });
    blockers.block('t.fifo', 'g1', { index: 2, id: 'e2' });
    blockers.block('t.fifo', 'g1', { index: 7, id: 'e7' });
    expect(blockers.blockerOf('t.fifo', 'g1', 3)).toEqual({ index: 2, id: 'e2' });
    expect(blockers.blockerOf('t.fifo', 'g1', 2)).toBeUndefined();
    expect(blockers.blockerOf('t.fifo', 'g1', 1)).toBeUndefined();
    expect(blockers.blockerOf('t.fifo', 'g2', 9)).toBeUndefined();
    expect(blockers.blockerOf('u.fifo', 'g1', 9)).toBeUndefined();
  });
});
