"""moto's server, with DynamoDB's isolation.

moto serves each request on its own thread and does not lock its DynamoDB backend, so two
conditional writes of one item racing each other can both pass their condition (measured:
8 concurrent `attribute_not_exists` puts of one key had two winners in 2 rounds of 200).
DynamoDB itself never lets that happen, and Fanout's once-only guarantee rests on it: the
idempotency record and the effect log are conditional writes. This runs moto's own
`main()` with every DynamoDB request served one at a time, which is what a conditional
write or a transaction promises; every other service keeps moto's threads, so an SQS long
poll never waits on a lock.

Started by local/emulator.ts with the project's virtualenv Python and moto's arguments.
"""

import threading

from moto import server
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

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

if __name__ == "__main__":
    server.main()
