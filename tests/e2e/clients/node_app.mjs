// A small "application" instrumented with the real @sentry/node SDK, pointed at snag by
// SENTRY_DSN. It reports errors, user feedback, a message, a span, a cron check-in and a log,
// flushes, and
// prints one JSON line on stdout describing what it sent and what the server answered:
//   {"eventIds": {...}, "envelopes": [{"items": ["event"], "status": 200}, ...], "flushed": true}
// The transport is the SDK's own node transport; the wrapper only records the answers.
import * as Sentry from '@sentry/node';

const dsn = process.env.SENTRY_DSN;
if (!dsn) {
    console.error('node_app: SENTRY_DSN is not set');
    process.exit(2);
}

const envelopes = [];
const pending = [];

function approxSize([header, items]) {
    let n = Buffer.byteLength(JSON.stringify(header)) + 1;
    for (const [itemHeader, payload] of items) {
        n += Buffer.byteLength(JSON.stringify(itemHeader)) + 1;
        if (typeof payload === 'string') n += Buffer.byteLength(payload);
        else if (payload instanceof Uint8Array) n += payload.length;
        else n += Buffer.byteLength(JSON.stringify(payload));
        n += 1;
    }
    return n;
}

function recordingTransport(options) {
    const inner = Sentry.makeNodeTransport(options);
    return {
        send(envelope) {
            const items = envelope[1].map((item) => item[0].type);
            // The node transport gzips bodies over 32 KiB; record the size to know which did.
            const bytes = approxSize(envelope);
            const p = Promise.resolve(inner.send(envelope)).then(
                (res) => {
                    envelopes.push({ items, bytes, status: res ? res.statusCode : null });
                    return res;
                },
                (err) => {
                    envelopes.push({ items, bytes, status: null, error: String(err) });
                    throw err;
                },
            );
            pending.push(p.catch(() => {}));
            return p;
        },
        flush(timeout) {
            return inner.flush(timeout);
        },
    };
}

Sentry.init({
    dsn,
    release: 'snag-e2e@1.2.3',
    environment: 'e2e-test',
    tracesSampleRate: 1.0,
    enableLogs: true,
    transport: recordingTransport,
    // Keep the SDK from adding process-wide noise (uncaught handlers exit the process).
    defaultIntegrations: undefined,
});

Sentry.setUser({ id: 'user-1', email: 'alice@example.com', username: 'alice' });
Sentry.setTag('feature', 'checkout');
Sentry.addBreadcrumb({ category: 'auth', message: 'user alice logged in', level: 'info' });
Sentry.addBreadcrumb({ category: 'cart', message: 'added 3 items', level: 'info', data: { items: 3 } });

const eventIds = { boom: [], typeError: null, feedback: null, message: null, large: null };

// The same throw site reached twice with different data: one issue, two events.
function processOrder(orderId) {
    validateOrder(orderId);
}
function validateOrder(orderId) {
    throw new Error(`boom: order ${orderId} failed validation`);
}

// A different error type from a different place: a second issue.
function readConfig(config) {
    return config.settings.timeout; // TypeError: Cannot read properties of undefined
}
function loadSettings() {
    return readConfig({});
}

for (const [i, orderId] of [17, 4242].entries()) {
    try {
        processOrder(orderId);
    } catch (err) {
        if (i === 0) {
            eventIds.boom.push(Sentry.captureException(err));
        } else {
            // A second user on the second event: the userCount becomes 2.
            Sentry.withScope((scope) => {
                scope.setUser({ id: 'user-2', email: 'bob@example.com' });
                eventIds.boom.push(Sentry.captureException(err));
            });
        }
    }
}

try {
    loadSettings();
} catch (err) {
    eventIds.typeError = Sentry.captureException(err);
}

// An event over the transport's 32 KiB gzip threshold: sent gzip-compressed and chunked.
function exportReport(rows) {
    throw new RangeError(`report has ${rows.length} rows, limit is 100`);
}
try {
    exportReport(Array.from({ length: 1500 }));
} catch (err) {
    Sentry.withScope((scope) => {
        scope.setExtra('report', 'r'.repeat(60000));
        eventIds.large = Sentry.captureException(err);
    });
}

// User feedback about the TypeError (a `feedback` envelope item): snag keeps it as the
// issue's user report, not as an event.
eventIds.feedback = Sentry.captureFeedback({
    message: 'The settings page went blank when I saved',
    name: 'Alice Example',
    email: 'alice@example.com',
    associatedEventId: eventIds.typeError,
});

eventIds.message = Sentry.captureMessage('snag e2e: payment provider unreachable', 'warning');

// Other item types: a span (v2 span item, the SDK's default streaming lifecycle), a cron
// check-in pair and a structured log.
Sentry.startSpan({ name: 'checkout-flow', op: 'task' }, () => {
    Sentry.startSpan({ name: 'charge-card', op: 'http.client' }, () => {
        let x = 0;
        for (let i = 0; i < 1000; i++) x += i;
        return x;
    });
});
const checkInId = Sentry.captureCheckIn(
    { monitorSlug: 'nightly-report', status: 'in_progress' },
    { schedule: { type: 'crontab', value: '0 3 * * *' }, checkinMargin: 5, maxRuntime: 30, timezone: 'UTC' },
);
Sentry.captureCheckIn({ checkInId, monitorSlug: 'nightly-report', status: 'ok', duration: 1.5 });
Sentry.logger.info('order %s processed', [4242], { orderId: 4242 });
Sentry.logger.warn('inventory low');

const flushed = await Sentry.flush(10000);
await Promise.all(pending);
await Sentry.close(5000);
await Promise.all(pending);
process.stdout.write(JSON.stringify({ eventIds, envelopes, flushed }) + '\n');
