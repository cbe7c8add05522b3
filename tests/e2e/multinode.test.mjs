// Several snag nodes on one PostgreSQL database (PostgreSQL only; skipped on SQLite): two real
// `snag serve` processes ingest the same new groups at the same time — exactly one issue per
// group, counts equal to the events acknowledged with 200, distinct short ids —, an issue
// resolved through one node reopens when the other ingests a new event of it, and live updates
// cross nodes: a WebSocket on node B hears of an event the real @sentry/node SDK sent to node A
// (PostgreSQL LISTEN/NOTIFY), in the very message node A's own WebSocket gets, once.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before } from 'node:test';
import { brief, E2E_DIR, healthStatus, hexId, PG_ONLY, run as runCmd, startSnag, test } from './lib/snag.mjs';
import { wsOpen } from './lib/ws.mjs';

const GROUPS = 10;
const PER_GROUP = 50;
const IN_FLIGHT = 24; // requests open at once, over both nodes
const REQUEST_TIMEOUT_MS = 15000;

let a; // the first node (it bootstrapped the user, token, org and project)
let b; // the second node, same database
const run = Array.from(crypto.randomBytes(8), (x) => 'abcdefghijklmnop'[x % 16]).join('');
// Group labels are letters: grouping treats digits in a message as parameters.
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const label = (g) => (typeof g === 'number' ? `${LETTERS[g]}${LETTERS[g]}${LETTERS[g]}` : g);
const title = (g) => `multinode ${run} group ${label(g)}`;

before(async () => {
    if (PG_ONLY) return;
    a = await startSnag({ name: 'multinode', platform: 'other', project: 'multi-project' });
    b = await a.startNode('node-b');
});
after(async () => {
    await a?.stop().catch(() => {});
});

const newId = () => crypto.randomUUID().replace(/-/g, '');

function mkEvent(g, extra = {}) {
    return {
        event_id: newId(),
        timestamp: Date.now() / 1000,
        level: 'error',
        platform: 'other',
        logentry: { formatted: title(g) },
        ...extra,
    };
}

/** POSTs one event as an envelope to node; resolves {status, text, retryAfter, ms}, never rejects. */
async function send(node, ev) {
    const body = `${JSON.stringify({ event_id: ev.event_id, sent_at: new Date().toISOString() })}\n{"type":"event"}\n${JSON.stringify(ev)}\n`;
    const started = Date.now();
    try {
        const r = await fetch(`${node.url}/api/${node.projectId}/envelope/`, {
            method: 'POST',
            headers: {
                'Content-Type': 'application/x-sentry-envelope',
                'X-Sentry-Auth': `Sentry sentry_version=7, sentry_client=snag-e2e/1.0, sentry_key=${node.key.public}`,
            },
            body,
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        return { status: r.status, text: await r.text(), retryAfter: r.headers.get('retry-after'), ms: Date.now() - started };
    } catch (e) {
        return { status: 0, text: `${e.name}: ${e.message}`, ms: Date.now() - started };
    }
}

/** Runs the jobs (functions returning promises) with at most `limit` at once; results in order. */
async function pool(jobs, limit) {
    const out = new Array(jobs.length);
    let next = 0;
    const worker = async () => {
        while (next < jobs.length) {
            const i = next++;
            out[i] = await jobs[i]();
        }
    };
    await Promise.all(Array.from({ length: limit }, worker));
    return out;
}

/** Polls fn() (bounded) until it returns a truthy value; returns it, or throws with the last one. */
async function eventually(what, fn, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
        last = await fn();
        if (last && last.ok) return last;
        if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

test('both nodes answer /_health/ on one database', { skip: PG_ONLY }, async () => {
    assert.notEqual(a.port, b.port);
    assert.equal(await healthStatus(a), 200);
    assert.equal(await healthStatus(b), 200);
    // the second node sees what the first one created: same token, org and project
    const proj = await b.api('GET', `/api/0/projects/${a.org}/${a.project}/`);
    assert.equal(proj.status, 200, proj.text);
    assert.equal(String(proj.json?.id), a.projectId);
});

test(`the same ${GROUPS} new groups ingested concurrently through both nodes make ${GROUPS} issues with exact counts`, { skip: PG_ONLY }, async (t) => {
    // Round-robin over groups, alternating nodes: each group's first two events go to different
    // nodes in the first wave, so both nodes race to create every group.
    const jobs = [];
    const plan = []; // {g, node, ev}
    for (let i = 0; i < PER_GROUP; i++) {
        for (let g = 0; g < GROUPS; g++) {
            const node = (i + g) % 2 === 0 ? a : b;
            const ev = mkEvent(g);
            plan.push({ g, node, ev });
            jobs.push(() => send(node, ev));
        }
    }
    const answers = await pool(jobs, IN_FLIGHT);

    const acked = new Array(GROUPS).fill(0);
    const perNode = new Map([[a, 0], [b, 0]]);
    const refused = [];
    answers.forEach((r, i) => {
        if (r.status === 200) {
            acked[plan[i].g]++;
            perNode.set(plan[i].node, perNode.get(plan[i].node) + 1);
        } else {
            refused.push({ node: plan[i].node === a ? 'A' : 'B', status: r.status, retryAfter: r.retryAfter, text: r.text.slice(0, 200) });
        }
    });
    t.diagnostic(`acknowledged ${answers.length - refused.length}/${answers.length}; A ${perNode.get(a)}, B ${perNode.get(b)}; refused ${JSON.stringify(refused.slice(0, 3))}`);
    // The database is up and the writers take their locks in one order: every event must be
    // acknowledged (a 503 here — e.g. "deadlock detected" between the nodes' writers — is an
    // event lost for SDKs that do not retry). A refusal must still be the documented 503.
    for (const r of refused) assert.ok(r.status === 503 && r.retryAfter, `not a 503 with Retry-After: ${JSON.stringify(r)}`);
    assert.deepEqual(refused, [], `${refused.length} of ${answers.length} events refused`);
    assert.ok(perNode.get(a) > 0 && perNode.get(b) > 0, 'both nodes took events');
    const slowest = Math.max(...answers.map((r) => r.ms));
    assert.ok(slowest < REQUEST_TIMEOUT_MS, `slowest answer ${slowest} ms`);

    // The same answer through both nodes: exactly one issue per group, counts as acknowledged.
    for (const node of [a, b]) {
        const label = node === a ? 'node A' : 'node B';
        const issues = await node.issues(`multinode ${run}`);
        const byTitle = new Map();
        for (const i of issues) {
            assert.ok(!byTitle.has(i.title), `${label}: two issues titled ${i.title}: ${JSON.stringify(issues.map(brief))}`);
            byTitle.set(i.title, i);
        }
        assert.equal(issues.length, GROUPS, `${label}: ${JSON.stringify(issues.map(brief))}`);
        for (let g = 0; g < GROUPS; g++) {
            const i = byTitle.get(title(g));
            assert.ok(i, `${label}: no issue for group ${g}`);
            assert.equal(i.count, String(acked[g]), `${label}: group ${g} counts ${i.count}, ${acked[g]} events were acknowledged`);
        }
        const shortIds = issues.map((i) => i.shortId);
        assert.ok(shortIds.every((s) => typeof s === 'string' && s.length > 0), `${label}: short ids ${JSON.stringify(shortIds)}`);
        assert.equal(new Set(shortIds).size, GROUPS, `${label}: duplicate short ids ${JSON.stringify(shortIds)}`);
        const total = issues.reduce((n, i) => n + Number(i.count), 0);
        assert.equal(total, acked.reduce((x, y) => x + y, 0), `${label}: counts sum`);
    }

    // Each node serves an event the other one stored.
    const fromA = plan.find((p, i) => p.node === a && answers[i].status === 200).ev;
    const fromB = plan.find((p, i) => p.node === b && answers[i].status === 200).ev;
    for (const [node, ev] of [[b, fromA], [a, fromB]]) {
        const r = await node.api('GET', `/api/0/projects/${a.org}/${a.project}/events/${hexId(ev.event_id)}/`);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json?.eventID, hexId(ev.event_id));
    }
});

test('one event id sent to both nodes at once is stored once', { skip: PG_ONLY }, async () => {
    const ev = mkEvent('dup');
    const answers = await Promise.all([a, b, a, b].map((node) => send(node, ev)));
    assert.deepEqual(answers.map((r) => r.status), [200, 200, 200, 200], JSON.stringify(answers));
    const issues = await a.issues(`${title('dup')}`);
    assert.equal(issues.length, 1, JSON.stringify(issues.map(brief)));
    assert.equal(issues[0].count, '1', 'the copies were counted');
});

test('an issue resolved through node A reopens when node B ingests a new event of it', { skip: PG_ONLY }, async () => {
    const g = 'reopen';
    const first = mkEvent(g);
    assert.equal((await send(a, first)).status, 200);
    const [issue] = await a.issues(title(g));
    assert.ok(issue, 'no issue for the first event');
    assert.equal(issue.count, '1');

    const put = await a.api('PUT', `/api/0/issues/${issue.id}/`, { status: 'resolved' });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json?.status, 'resolved');
    // node B sees the resolution (it may cache for seconds, never longer)
    await eventually('node B sees the issue resolved', async () => {
        const r = await b.api('GET', `/api/0/issues/${issue.id}/`);
        return { ok: r.status === 200 && r.json?.status === 'resolved', status: r.status, issue: r.json && brief(r.json) };
    });

    const second = mkEvent(g);
    const r = await send(b, second);
    assert.equal(r.status, 200, r.text);
    for (const [label, node] of [['node B', b], ['node A', a]]) {
        await eventually(`${label} shows the issue reopened with count 2`, async () => {
            const d = await node.api('GET', `/api/0/issues/${issue.id}/`);
            return { ok: d.status === 200 && d.json?.status === 'unresolved' && d.json?.count === '2', status: d.status, issue: d.json && brief(d.json) };
        });
    }
    const ev = await a.api('GET', `/api/0/projects/${a.org}/${a.project}/events/${hexId(second.event_id)}/`);
    assert.equal(ev.status, 200, ev.text);
    assert.equal(String(ev.json?.groupID), String(issue.id), 'the new event joined another issue');
});

// A message sent with the real SDK (its own transport, envelope and auth) to the DSN of node A.
const SDK_SCRIPT = `
import * as Sentry from '@sentry/node';
Sentry.init({ dsn: process.env.SENTRY_DSN, defaultIntegrations: false });
const eventId = Sentry.captureMessage(process.env.MESSAGE, 'warning');
const flushed = await Sentry.flush(10000);
console.log(JSON.stringify({ eventId, flushed }));
`;

test('live: a WebSocket on node B receives the event the @sentry/node SDK sent to node A', { skip: PG_ONLY, timeout: 60000 }, async () => {
    const auth = { Authorization: `Bearer ${a.token}` };
    const onB = await wsOpen(b.url, auth);
    const onA = await wsOpen(a.url, auth);
    assert.equal(onB.status, 101, 'WebSocket on node B');
    assert.equal(onA.status, 101, 'WebSocket on node A');
    try {
        assert.ok(await onB.next((m) => m.type === 'hello', 5000), 'hello from node B');
        assert.ok(await onA.next((m) => m.type === 'hello', 5000), 'hello from node A');

        const message = `multinode ${run} live crosses nodes`;
        const r = await runCmd(process.execPath, ['--input-type=module', '-e', SDK_SCRIPT], {
            env: { ...process.env, SENTRY_DSN: a.dsn, MESSAGE: message },
            cwd: E2E_DIR,
        });
        assert.equal(r.code, 0, `SDK script exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
        const sent = JSON.parse(r.stdout.trim().split('\n').pop());
        assert.ok(sent.flushed, `the SDK did not flush: ${r.stdout}`);
        const eventId = hexId(sent.eventId);

        const isIt = (m) => m.type === 'event' && m.eventId === eventId;
        const remote = await onB.next(isIt, 10000);
        assert.ok(remote, `node B pushed nothing for ${eventId}: ${JSON.stringify(onB.messages)}`);
        const local = await onA.next(isIt, 10000);
        assert.ok(local, `node A pushed nothing for ${eventId}: ${JSON.stringify(onA.messages)}`);
        assert.deepEqual(remote, local, 'the same message from either node');
        assert.equal(remote.projectId, String(a.projectId));
        assert.equal(remote.level, 'warning');
        assert.equal(remote.title, message);
        assert.match(remote.issueId, /^\d+$/);
        const issue = await b.api('GET', `/api/0/issues/${remote.issueId}/`);
        assert.equal(issue.status, 200, issue.text);
        assert.equal(issue.json?.title, message);

        // node A's listener skips its own notifications: one message per node, not two on A
        await new Promise((res) => setTimeout(res, 1000));
        assert.equal(onA.messages.filter(isIt).length, 1, JSON.stringify(onA.messages));
        assert.equal(onB.messages.filter(isIt).length, 1, JSON.stringify(onB.messages));
        const resyncs = [...onA.messages, ...onB.messages].filter((m) => m.type === 'resync');
        assert.deepEqual(resyncs, [], 'nobody was told to resync');
    } finally {
        onA.close?.();
        onB.close?.();
    }
});

test('both nodes shut down cleanly (exit 0, no sanitizer report)', { skip: PG_ONLY }, async () => {
    assert.equal(await healthStatus(a), 200);
    assert.equal(await healthStatus(b), 200);
    await a.stop(); // stops node B first, then A, then drops the database
});
