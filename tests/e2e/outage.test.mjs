// PostgreSQL going away under a running snag (PostgreSQL only; skipped on SQLite). The test
// has a throwaway PostgreSQL of its own (scripts/pg.sh) so it can stop and start it: while it
// is down, ingest answers 503 with Retry-After and a JSON detail (never a hang, a crash or a
// 200), /_health/ answers 503; when it is back (same data folder and port) the same snag
// process answers 200 again within seconds and stores the events, and its live listener
// (LISTEN for the other nodes' events) is back too: a WebSocket open all along is told to
// resync, since events may have been missed meanwhile; it still exits 0 on SIGTERM.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before } from 'node:test';
import { healthStatus, hexId, PG_ONLY, startPostgres, startSnag, test } from './lib/snag.mjs';
import { wsOpen } from './lib/ws.mjs';

const ANSWER_MS = 15000; // any single answer, database up or down
const RECOVER_MS = 10000; // from PostgreSQL accepting connections again to ingest answering 200

let pg; // the dedicated PostgreSQL
let s;
let live; // a WebSocket on /api/0/live/ open across the outage
const run = Array.from(crypto.randomBytes(8), (x) => 'abcdefghijklmnop'[x % 16]).join('');
const title = `outage ${run}`;
const acked = []; // event ids answered 200, all of which must be stored in the end
let refusedCount = 0; // events answered 503 while the database was down

before(async () => {
    if (PG_ONLY) return;
    pg = await startPostgres();
    s = await startSnag({ name: 'outage', platform: 'other', project: 'outage-project', pgAdminUrl: pg.url });
});
after(async () => {
    try {
        live?.close?.();
        await s?.stop().catch(() => {});
    } finally {
        await pg?.destroy();
    }
});

const newId = () => crypto.randomUUID().replace(/-/g, '');
const mkEvent = () => ({
    event_id: newId(),
    timestamp: Date.now() / 1000,
    level: 'error',
    platform: 'other',
    logentry: { formatted: title }, // one issue for every event of this file
});

/** Sends one event (store or envelope endpoint); resolves {status, headers, text, json, ms} or {status: 0, error}. */
async function send(ev, kind = 'envelope') {
    const started = Date.now();
    const auth = `Sentry sentry_version=7, sentry_client=snag-e2e/1.0, sentry_key=${s.key.public}`;
    const [p, type, body] =
        kind === 'store'
            ? ['store', 'application/json', JSON.stringify(ev)]
            : ['envelope', 'application/x-sentry-envelope', `${JSON.stringify({ event_id: ev.event_id })}\n{"type":"event"}\n${JSON.stringify(ev)}\n`];
    try {
        const r = await fetch(`${s.url}/api/${s.projectId}/${p}/`, {
            method: 'POST',
            headers: { 'Content-Type': type, 'X-Sentry-Auth': auth },
            body,
            signal: AbortSignal.timeout(ANSWER_MS),
        });
        const text = await r.text();
        let json;
        try {
            json = JSON.parse(text);
        } catch {
            json = undefined;
        }
        return { status: r.status, headers: r.headers, text, json, ms: Date.now() - started };
    } catch (e) {
        return { status: 0, error: `${e.name}: ${e.message}`, ms: Date.now() - started };
    }
}

/** Asserts the documented answer to an event while the database is down. */
function assertUnavailable(r, what) {
    assert.notEqual(r.status, 0, `${what}: no answer within ${ANSWER_MS} ms (${r.error}) after ${r.ms} ms`);
    assert.equal(r.status, 503, `${what}: ${r.status} ${r.text}`);
    const ra = r.headers.get('retry-after');
    assert.match(ra ?? '', /^[1-9]\d*$/, `${what}: Retry-After ${ra}`);
    assert.equal(typeof r.json?.detail, 'string', `${what}: JSON detail in ${r.text}`);
}

async function getEvent(id) {
    return s.api('GET', `/api/0/projects/${s.org}/${s.project}/events/${hexId(id)}/`);
}

test('with the database up, ingest answers 200 and stores', { skip: PG_ONLY }, async () => {
    assert.equal(await healthStatus(s), 200);
    const ev = mkEvent();
    const r = await send(ev);
    assert.equal(r.status, 200, r.text || r.error);
    acked.push(ev.event_id);
    assert.equal((await getEvent(ev.event_id)).status, 200);
    live = await wsOpen(s.url, { Authorization: `Bearer ${s.token}` });
    assert.equal(live.status, 101);
    assert.ok(await live.next((m) => m.type === 'hello', 5000), 'hello');
});

test('with PostgreSQL stopped: ingest 503 + Retry-After + JSON detail, /_health/ 503, no hang, no crash', { skip: PG_ONLY }, async (t) => {
    // A stream of events in flight while the database goes away: every answer must come in
    // time and be 200 (then it is stored, checked after the restart) or the documented 503.
    let streaming = true;
    const inFlight = [];
    const stream = Promise.all(
        Array.from({ length: 4 }, async (_, i) => {
            while (streaming) {
                const ev = mkEvent();
                const r = await send(ev, i % 2 ? 'store' : 'envelope');
                inFlight.push({ ev, r });
            }
        }),
    );
    await new Promise((r) => setTimeout(r, 300));
    const stoppedAt = Date.now();
    await pg.stop(); // pg_ctl stop -m fast: sessions are terminated; returns once it is down
    await new Promise((r) => setTimeout(r, 300));
    streaming = false;
    await stream;
    let ok = 0;
    for (const { ev, r } of inFlight) {
        if (r.status === 200) {
            acked.push(ev.event_id);
            ok++;
        } else {
            assertUnavailable(r, 'an event sent while PostgreSQL stopped');
            refusedCount++;
        }
    }
    t.diagnostic(`${inFlight.length} events sent around the stop (${ok} acknowledged, ${inFlight.length - ok} refused), ${Date.now() - stoppedAt} ms`);
    assert.ok(inFlight.length - ok > 0, 'no event was sent while PostgreSQL was down');

    // Down for good now: every kind of ingest is refused the documented way.
    for (const kind of ['envelope', 'store', 'envelope', 'store']) {
        const r = await send(mkEvent(), kind);
        assertUnavailable(r, `${kind} with PostgreSQL down`);
        refusedCount++;
    }
    // several at once (the writer must not wedge on a batch)
    const burst = await Promise.all(Array.from({ length: 8 }, () => send(mkEvent())));
    burst.forEach((r, i) => assertUnavailable(r, `concurrent event ${i} with PostgreSQL down`));
    refusedCount += burst.length;

    const h = await fetch(`${s.url}/_health/`, { signal: AbortSignal.timeout(ANSWER_MS) });
    await h.arrayBuffer();
    assert.equal(h.status, 503, '/_health/ with PostgreSQL down');
    // the API is refused as JSON too
    const list = await s.api('GET', `/api/0/projects/${s.org}/${s.project}/issues/`);
    assert.equal(list.status, 503, `issue list with PostgreSQL down: ${list.status} ${list.text}`);
    assert.equal(typeof list.json?.detail, 'string', list.text);
    assert.equal(s.exited(), null, 'snag exited while PostgreSQL was down');
});

test('PostgreSQL back on the same folder and port: the same process answers 200 within seconds and stores', { skip: PG_ONLY }, async (t) => {
    await pg.start(); // returns once PostgreSQL accepts connections
    const started = Date.now();
    let ok = null;
    const seen = [];
    while (!ok) {
        const ev = mkEvent();
        const r = await send(ev);
        if (r.status === 200) {
            ok = ev;
            acked.push(ev.event_id);
            break;
        }
        assertUnavailable(r, 'an event while snag reconnects');
        refusedCount++;
        seen.push(r.status);
        assert.ok(Date.now() - started < RECOVER_MS, `ingest still refused ${RECOVER_MS} ms after PostgreSQL came back: ${seen.join(',')}`);
        await new Promise((r) => setTimeout(r, 200));
    }
    t.diagnostic(`ingest answered 200 again ${Date.now() - started} ms after PostgreSQL started (${seen.length} refused meanwhile)`);
    assert.equal(s.exited(), null, 'snag restarted or exited');
    assert.equal(await healthStatus(s), 200);

    // every acknowledged event is stored; the refused ones were not counted
    for (const id of acked) {
        const r = await getEvent(id);
        assert.equal(r.status, 200, `acknowledged event ${id} is not stored: ${r.status} ${r.text}`);
    }
    const issues = await s.issues(title);
    assert.equal(issues.length, 1, JSON.stringify(issues));
    assert.equal(issues[0].count, String(acked.length), `count ${issues[0].count}: ${acked.length} events acknowledged, ${refusedCount} refused`);

    // and it keeps working: a few more, both endpoints
    for (const kind of ['store', 'envelope']) {
        const ev = mkEvent();
        const r = await send(ev, kind);
        assert.equal(r.status, 200, `${kind} after recovery: ${r.status} ${r.text || r.error}`);
        acked.push(ev.event_id);
    }
    assert.equal((await s.issues(title))[0].count, String(acked.length));

    // the live listener reconnected (with backoff) and said events may have been missed
    const resync = await live.next((m) => m.type === 'resync', RECOVER_MS);
    assert.ok(resync, `no resync on the live WebSocket after the outage: ${JSON.stringify(live.messages)}`);
});

test('snag shuts down cleanly after the outage (exit 0, no sanitizer report)', { skip: PG_ONLY }, async () => {
    await s.stop();
});
