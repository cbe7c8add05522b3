"""A small application instrumented with Debian's python3-sentry-sdk (1.9), pointed at snag.

Run with /usr/bin/python3 (the SDK is installed for the system interpreter only) and SENTRY_DSN
set. Prints one JSON line on stdout: the event ids it captured and the HTTP status of every
request the SDK's own transport made.
"""
import json
import logging
import os
import sys

import sentry_sdk
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk import transport as sentry_transport

statuses = []

# Record the answers the SDK's real HTTP transport gets (the request itself is unchanged).
_orig_send_request = sentry_transport.HttpTransport._send_request


def _recording_send_request(self, body, headers, endpoint_type="store", envelope=None):
    orig_request = self._pool.request

    def request(method, url, *args, **kwargs):
        resp = orig_request(method, url, *args, **kwargs)
        statuses.append(
            {
                "url": url.split("?")[0],
                "status": resp.status,
                "encoding": (kwargs.get("headers") or {}).get("Content-Encoding"),
            }
        )
        return resp

    self._pool.request = request
    try:
        return _orig_send_request(self, body, headers, endpoint_type, envelope)
    finally:
        self._pool.request = orig_request


sentry_transport.HttpTransport._send_request = _recording_send_request


def main():
    dsn = os.environ.get("SENTRY_DSN")
    if not dsn:
        print("python_app: SENTRY_DSN is not set", file=sys.stderr)
        return 2

    sentry_sdk.init(
        dsn=dsn,
        release="snag-py@2.0.0",
        environment="py-e2e",
        integrations=[LoggingIntegration(level=logging.INFO, event_level=logging.ERROR)],
        default_integrations=True,
    )
    sentry_sdk.set_user({"id": "py-user-7", "email": "carol@example.com"})
    sentry_sdk.set_tag("component", "billing")

    ids = {}
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    log = logging.getLogger("billing.jobs")
    log.info("starting billing run")  # becomes a breadcrumb

    def charge_customer(amount):
        if amount > 100:
            raise ValueError("amount %d exceeds the limit" % amount)
        return amount

    try:
        charge_customer(250)
    except ValueError:
        ids["exception"] = sentry_sdk.capture_exception()

    ids["message"] = sentry_sdk.capture_message("py e2e: nightly export finished with warnings", "warning")

    # Two log records from the same template with different arguments: one issue.
    for who in ("dave", "erin"):
        log.error("user %s failed to authenticate", who)

    sentry_sdk.flush(timeout=10)
    print(json.dumps({"ids": ids, "requests": statuses}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
