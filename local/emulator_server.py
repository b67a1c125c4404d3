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

Two costs of moto that grow with the data are cut, because under sustained load they made
the emulator, not Fanout, the thing being measured (10,000 events slowed it from ~300 to
~20 events a minute):

3. Every TransactWriteItems deep-copied each table it touches, to roll back on failure:
   O(items in the table) per transaction, so the effect log made each event slower than
   the last. Here only the items the transaction touches are saved and restored. (The
   whole-table copy also took back a cancelled transaction's DynamoDB stream records; the
   item-level undo leaves them. Fanout's tables have no streams.)
4. Each request listed moto's package directory from disk to route itself; the listing is
   read once.
5. Every message an SQS receive hands out had its retention checked through
   GetQueueAttributes, which rebuilt all of the queue's attributes three times, each time
   counting the whole queue three ways: a receive cost O(backlog) per message, so a
   backlog made draining it slower. A GetQueueAttributes now builds them once, and the
   retention check reads the one attribute it needs.
6. moto's SQS reads the clock through datetime arithmetic for each message it looks at;
   here through time.time(), the same seconds since the epoch.

Two signals of events dropped before any queue are added, because without them such a
drop leaves no trace locally:

7. SNS counts, per topic, the notifications a subscription's filter policy dropped
   (CloudWatch AWS/SNS NumberOfNotificationsFilteredOut, and -NoMessageAttributes when an
   attribute-scoped policy met a message without attributes: a producer that forgot
   `type`). moto counts nothing. Here each such drop is put into moto's CloudWatch under
   the same namespace, name and TopicName dimension, so the local runner reads the signal
   Fanout's alarms watch in AWS. (-InvalidAttributes is not counted: moto does not tell an
   attribute it cannot read from one that does not match.)
8. A message that every subscription of its topic filtered out reached nobody, whatever
   the reason (no attributes, attributes without `type`, a type nobody takes). AWS has no
   metric for that; locally it is counted as Fanout/Local NotificationsMatchingNoSubscription
   (TopicName), which the local runner warns about.

Two more costs are cut, found by profiling the emulator under the sample's load (py-spy,
`npm start -- --rate 30`): DynamoDB took about half of the time moto held the GIL, most
of it parsing and validating the same few update expressions again and again.

9. Each distinct UpdateExpression is parsed once, and each validation copies the parsed
   tree through pickle instead of copy.deepcopy (the same copy, about three times
   faster; anything pickle cannot copy still goes through deepcopy).
10. No access-log line per request.

Started by local/emulator.ts with the project's virtualenv Python and moto's arguments,
once, or twice (DynamoDB in a process of its own, so both cores work).
"""

import copy
import functools
import logging
import pickle
import threading
import time

from moto import backends, server
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.parsing import expressions as dynamodb_expressions
from moto.dynamodb.parsing import validators as dynamodb_validators
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.cloudwatch.models import cloudwatch_backends
from moto.sns import models as sns
from moto.sqs import models as sqs

_DYNAMODB = threading.Lock()
_list_of_moto_modules = backends.list_of_moto_modules
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


# 3. Roll a failed transaction back item by item. moto's own rollback assigns its saved
# copy of each table back; handing it the live table makes that a no-op, and the items
# saved here put things back instead. DynamoDB requests are served one at a time (above),
# so nothing else sees the table between the writes and their undoing.
class _TablesAsTheyAre:
    @staticmethod
    def deepcopy(value, memo=None):
        if isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)


dynamodb_models.copy = _TablesAsTheyAre
_transact_write_items = dynamodb_models.DynamoDBBackend.transact_write_items


def _touched_items(backend, transact_items):
    """(table, hash key, range key, deep copy of the item or None) for each item written."""
    saved = []
    for entry in transact_items:
        for op in entry.values():
            table = backend.tables.get(op.get("TableName"))
            key = op.get("Key") or op.get("Item")
            if table is None or not key or table.hash_key_attr not in key:
                continue  # moto rejects it before writing anything
            hash_key = DynamoType(key[table.hash_key_attr])
            range_attr = table.range_key_attr
            range_key = DynamoType(key[range_attr]) if range_attr and range_attr in key else None
            if range_attr and range_key is None:
                continue
            saved.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
    return saved


def _transact_write_items_undoing_touched(self, transact_items, *args, **kwargs):
    saved = _touched_items(self, transact_items)
    try:
        return _transact_write_items(self, transact_items, *args, **kwargs)
    except BaseException:
        for table, hash_key, range_key, item in reversed(saved):
            rows = table.items[hash_key] if range_key is not None else table.items
            slot = range_key if range_key is not None else hash_key
            if item is None:
                rows.pop(slot, None)
            else:
                rows[slot] = item
        raise


dynamodb_models.DynamoDBBackend.transact_write_items = _transact_write_items_undoing_touched

# 4. The list of moto's service packages does not change while the server runs.
backends.list_of_moto_modules = functools.cache(lambda: tuple(_list_of_moto_modules()))


# 5. The queue's attributes once per GetQueueAttributes, and retention without them.
_get_queue_attributes = sqs.SQSBackend.get_queue_attributes


def _get_queue_attributes_once(self, queue_name, attribute_names):
    queue = self.get_queue(queue_name)
    known = {*queue.BASE_ATTRIBUTES, *queue.FIFO_ATTRIBUTES, *queue.KMS_ATTRIBUTES}
    if not attribute_names or "All" in attribute_names or not known.issuperset(attribute_names):
        return _get_queue_attributes(self, queue_name, attribute_names)  # moto's answers and errors
    attributes = queue.attributes
    return {name: attributes[name] for name in attribute_names if attributes.get(name) is not None}


def _within_retention(self, queue_name, message):
    retention_seconds = self.get_queue(queue_name).message_retention_period
    return retention_seconds + message.sent_timestamp / 1000 > time.time()


sqs.SQSBackend.get_queue_attributes = _get_queue_attributes_once
sqs.SQSBackend.is_message_valid_based_on_retention_period = _within_retention


# 6. moto's clock for SQS, without building two datetimes per reading.
_unix_time = sqs.unix_time


def _unix_time_now(dt=None):
    return time.time() if dt is None else _unix_time(dt)


sqs.unix_time = _unix_time_now
sqs.unix_time_millis = lambda dt=None: _unix_time_now(dt) * 1000.0

LOCAL_NAMESPACE = "Fanout/Local"


def _count(topic, namespace, metric_names):
    region = topic.arn.split(":")[3]
    dimensions = [{"Name": "TopicName", "Value": topic.name}]
    cloudwatch_backends[topic.account_id][region].put_metric_data(
        namespace,
        [{"MetricName": name, "Value": 1, "Unit": "Count", "Dimensions": dimensions} for name in metric_names],
    )


def _publish_counting_filtered_out(
    self, message, subject=None, message_attributes=None, group_id=None, deduplication_id=None, message_structure=None
):
    # moto's Topic.publish, with each subscription's filter evaluated here first so that
    # what it drops is counted (a subscription that matches evaluates it again, as before).
    message_id = str(sns.mock_random.uuid4())
    subscriptions, _ = self.sns_backend.list_subscriptions_by_topic(topic_arn=self.arn)
    reached = 0
    for subscription in subscriptions:
        matcher = subscription._filter_policy_matcher
        if matcher is not None and not matcher.matches(message_attributes, message):
            names = ["NumberOfNotificationsFilteredOut"]
            if matcher.filter_policy_scope == "MessageAttributes" and not message_attributes:
                names.append("NumberOfNotificationsFilteredOut-NoMessageAttributes")
            _count(self, "AWS/SNS", names)
            continue
        reached += 1
        subscription.publish(
            message,
            message_id,
            subject=subject,
            message_attributes=message_attributes,
            group_id=group_id,
            deduplication_id=deduplication_id,
            message_structure=message_structure,
        )
    if subscriptions and reached == 0:
        _count(self, LOCAL_NAMESPACE, ["NotificationsMatchingNoSubscription"])
    self.sent_notifications.append((message_id, message, subject, message_attributes, group_id))
    return message_id


sns.Topic.publish = _publish_counting_filtered_out

# 9. Each distinct UpdateExpression is parsed once. moto parses it up to three times per
#    update (the response's placeholder check, the transaction's, the backend's), and only
#    reads the tree: every validation works on its own deep copy (Validator.__init__).
dynamodb_expressions.UpdateExpressionParser.make = classmethod(
    functools.lru_cache(maxsize=1024)(dynamodb_expressions.UpdateExpressionParser.make.__func__)
)

_deepcopy_in_validators = dynamodb_validators.deepcopy


def _copy_expression_tree(value, memo=None):
    if isinstance(value, dynamodb_validators.Node):
        try:
            return pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        except Exception:  # anything pickle cannot copy: moto's own way
            pass
    return _deepcopy_in_validators(value, memo)


dynamodb_validators.deepcopy = _copy_expression_tree

# 10. No line per request: under load, writing the access log (through a lock, on the
#     GIL) took about a tenth of the server's threads' time. Warnings and errors still show.
logging.getLogger("werkzeug").setLevel(logging.WARNING)

if __name__ == "__main__":
    server.main()
