"""moto's server, with DynamoDB's isolation and SQS FIFO's ordering.

moto serves each request on its own thread and does not lock its DynamoDB backend, so two
conditional writes of one item racing each other can both pass their condition (measured:
8 concurrent `attribute_not_exists` puts of one key had two winners in 2 rounds of 200).
DynamoDB itself never lets that happen, and Fanout's once-only guarantee rests on it: the
idempotency record and the effect log are conditional writes. This runs moto's own
`main()` with every DynamoDB request served one at a time, which is what a conditional
write or a transaction promises; every other service keeps moto's threads, so an SQS long
poll never waits on a lock.

Two SQS FIFO defects of moto 5.2.5 are mended here too, because a FIFO consumer that
dies mid-batch (the chaos suite kills them) trips both and then applies a message group
out of order, which SQS never does:

1. A received message whose visibility timeout has expired stays in the queue's
   in-flight set until a receive scan reaches it, so its group still counts as in flight
   and the scan skips the group's earlier messages and delivers a later one first (m1-m3
   received and never deleted: after the timeout moto returns m3, m4, m5). SQS counts
   only messages still hidden as in flight.
2. Concurrent FIFO receives run on their own threads and each may find a group free and
   take part of it, so one group is in flight in two batches at once. FIFO short-poll
   receives (the local poller's), visibility changes and deletes are therefore served one
   at a time. Long polls are left alone: holding a lock through their wait would stall
   every other SQS call.

Started by local/emulator.ts with the project's virtualenv Python and moto's arguments.
"""

import threading

from moto import server
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.sqs import models as sqs

_DYNAMODB = threading.Lock()
_serve = DomainDispatcherApplication.__call__


def _serve_isolated(self, environ, start_response):
    # The JSON protocol names the operation in X-Amz-Target, e.g. DynamoDB_20120810.PutItem.
    if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
        with _DYNAMODB:
            # Drain the response inside the lock: the backend's work is done in __call__,
            # and a lazily produced body must not escape it either.
            return list(_serve(self, environ, start_response))
    return _serve(self, environ, start_response)


DomainDispatcherApplication.__call__ = _serve_isolated


_SQS_FIFO = threading.RLock()
_receive = sqs.SQSBackend.receive_message
_change_visibility = sqs.SQSBackend.change_message_visibility
_delete = sqs.SQSBackend.delete_message


def _forget_expired(queue):
    # 1. In flight means hidden: an expired receive no longer holds its group, so the scan
    # starts the group at its first message again.
    for message in [m for m in queue.pending_messages if m.visible]:
        queue.pending_messages.remove(message)


def _receive_fifo_in_order(self, queue_name, count, wait_seconds_timeout, *args, **kwargs):
    queue = self.get_queue(queue_name)
    if not queue.fifo_queue:
        return _receive(self, queue_name, count, wait_seconds_timeout, *args, **kwargs)
    if wait_seconds_timeout:
        # A long poll's wait must not hold the lock; only the clean-up does. (moto's own
        # loop then re-reads its in-flight groups once: concurrent FIFO long polls, which
        # only `fanout dlq` and redrive make, may still split a group, never reorder it.)
        with _SQS_FIFO:
            _forget_expired(queue)
        return _receive(self, queue_name, count, wait_seconds_timeout, *args, **kwargs)
    # 2. One FIFO short-poll receive, visibility change or delete at a time (re-entrant:
    # the batch operations call the single ones).
    with _SQS_FIFO:
        _forget_expired(queue)
        return _receive(self, queue_name, count, wait_seconds_timeout, *args, **kwargs)


def _fifo(backend, queue_name):
    try:
        return backend.get_queue(queue_name).fifo_queue
    except Exception:  # an unknown queue: let moto answer as it does
        return False


# Standard queues keep moto's threads: the lock is for FIFO groups only.
def _change_visibility_serially(self, queue_name, *args, **kwargs):
    if not _fifo(self, queue_name):
        return _change_visibility(self, queue_name, *args, **kwargs)
    with _SQS_FIFO:
        return _change_visibility(self, queue_name, *args, **kwargs)


def _delete_serially(self, queue_name, *args, **kwargs):
    if not _fifo(self, queue_name):
        return _delete(self, queue_name, *args, **kwargs)
    with _SQS_FIFO:
        return _delete(self, queue_name, *args, **kwargs)


sqs.SQSBackend.receive_message = _receive_fifo_in_order
sqs.SQSBackend.change_message_visibility = _change_visibility_serially
sqs.SQSBackend.delete_message = _delete_serially

if __name__ == "__main__":
    server.main()
