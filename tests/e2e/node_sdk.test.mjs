// @sentry/node (the real SDK, its own transport) against a real snag: errors, a message, user,
// tags, breadcrumbs, release/environment, user feedback, plus span, check-in and log items.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before } from 'node:test';
import { CLIENTS_DIR, entry, lastJsonLine, run, startSnag, tagValue, test, brief } from './lib/snag.mjs';

let s;
let report; // what the client app says it sent and what snag answered
let issues;

const MESSAGE = 'snag e2e: payment provider unreachable';

before(async () => {
    s = await startSnag({ name: 'node-sdk', platform: 'node' });
});
after(async () => {
    await s?.stop().catch(() => {});
});

const byTitle = (re) => issues.find((i) => re.test(i.title));

test('the @sentry/node app runs and every envelope it sends is answered 200', async () => {
    const r = await run(process.execPath, [path.join(CLIENTS_DIR, 'node_app.mjs')], {
        env: { ...process.env, SENTRY_DSN: s.dsn },
        timeoutMs: 60000,
    });
    assert.equal(r.code, 0, `node_app exited ${r.code}/${r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    report = lastJsonLine(r.stdout);
    assert.equal(report.flushed, true, `Sentry.flush() did not complete: ${r.stdout}`);
    const bad = report.envelopes.filter((e) => e.status !== 200);
    assert.deepEqual(bad, [], `envelopes not answered 200: ${JSON.stringify(bad)}`);
    const types = report.envelopes.flatMap((e) => e.items);
    assert.equal(types.filter((t) => t === 'event').length, 5, `item types sent: ${types}`);
    // One event is over the transport's 32 KiB threshold, so the SDK gzipped that body.
    assert.ok(report.envelopes.some((e) => e.items.includes('event') && e.bytes > 32 * 1024), 'no event envelope over 32 KiB');
    for (const t of ['span', 'check_in', 'log', 'feedback']) {
        assert.ok(types.includes(t), `the SDK sent no ${t} item (sent: ${types}); the test would not prove anything`);
    }
    assert.equal(report.eventIds.boom.length, 2);
    for (const id of [...report.eventIds.boom, report.eventIds.typeError, report.eventIds.message, report.eventIds.large]) {
        assert.match(id, /^[0-9a-f]{32}$/);
    }
});

test('four issues: same throw site grouped, other types and the message separate', async () => {
    assert.ok(report, 'client run failed');
    // Answers come after commit: the issues are visible at once (waitForIssues is a bounded poll).
    issues = await s.waitForIssues((l) => l.length >= 4, { timeoutMs: 3000 });
    assert.equal(issues.length, 4, `issues: ${JSON.stringify(issues.map(brief), null, 1)}`);

    const boom = byTitle(/^Error: boom/);
    assert.ok(boom, `no "Error: boom…" issue in ${JSON.stringify(issues.map(brief))}`);
    assert.match(boom.title, /^Error: boom: order (17|4242) failed validation$/);
    assert.equal(boom.culprit, 'validateOrder(node_app)');
    assert.equal(boom.count, '2', 'two events from the same throw site must group into one issue');
    assert.equal(boom.userCount, 2, 'two distinct users (user-1, user-2) hit the boom issue');
    assert.equal(boom.level, 'error');
    assert.equal(boom.status, 'unresolved');
    assert.equal(boom.metadata?.type, 'Error');
    assert.match(boom.metadata?.value ?? '', /^boom: order (17|4242) failed validation$/);
    assert.equal(String(boom.project?.id), s.projectId);
    assert.equal(boom.project?.slug, s.project);
    assert.ok(boom.shortId && typeof boom.shortId === 'string', 'shortId');
    assert.ok(Date.parse(boom.firstSeen) <= Date.parse(boom.lastSeen), `firstSeen ${boom.firstSeen} lastSeen ${boom.lastSeen}`);
    assert.ok(Math.abs(Date.parse(boom.lastSeen) - Date.now()) < 5 * 60 * 1000, `lastSeen ${boom.lastSeen} is not now`);

    const te = byTitle(/^TypeError/);
    assert.ok(te, `no TypeError issue in ${JSON.stringify(issues.map(brief))}`);
    assert.equal(te.title, "TypeError: Cannot read properties of undefined (reading 'timeout')");
    assert.equal(te.culprit, 'readConfig(node_app)');
    assert.equal(te.count, '1');
    assert.equal(te.userCount, 1);
    assert.notEqual(te.id, boom.id);

    const msg = issues.find((i) => i.title === MESSAGE);
    assert.ok(msg, `no issue titled with the message in ${JSON.stringify(issues.map(brief))}`);
    assert.equal(msg.level, 'warning');
    assert.equal(msg.count, '1');
    assert.equal(new Set(issues.map((i) => i.id)).size, 4);
});

test('a gzip-compressed SDK event (over 32 KiB) is stored whole', async () => {
    assert.ok(issues, 'previous test failed');
    const large = byTitle(/^RangeError/);
    assert.ok(large, `no RangeError issue in ${JSON.stringify(issues.map(brief))}`);
    assert.equal(large.title, 'RangeError: report has 1500 rows, limit is 100');
    assert.equal(large.culprit, 'exportReport(node_app)');
    const ev = await s.apiOk('GET', `/api/0/projects/${s.org}/${s.project}/events/${report.eventIds.large}/`);
    // Sentry's API shows `extra` as `context`.
    assert.equal(ev.context?.report, 'r'.repeat(60000));
});

test('issue text search finds the issue by title words', async () => {
    assert.ok(issues, 'previous test failed');
    const found = await s.issues('is:unresolved TypeError');
    assert.deepEqual(found.map((i) => i.title), ["TypeError: Cannot read properties of undefined (reading 'timeout')"]);
    const none = await s.issues('is:unresolved no-such-words-anywhere');
    assert.deepEqual(none, []);
});

test('issue detail and its events list match what the SDK sent', async () => {
    assert.ok(issues, 'previous test failed');
    const boom = byTitle(/^Error: boom/);
    const detail = await s.apiOk('GET', `/api/0/issues/${boom.id}/`);
    assert.equal(String(detail.id), String(boom.id));
    assert.equal(detail.count, '2');
    assert.equal(detail.title, boom.title);

    const events = await s.apiOk('GET', `/api/0/issues/${boom.id}/events/`);
    assert.ok(Array.isArray(events));
    assert.deepEqual(events.map((e) => e.eventID).sort(), [...report.eventIds.boom].sort());
});

test('latest event of the grouped issue: exception frames, breadcrumbs, user, tags, sdk', async () => {
    assert.ok(issues, 'previous test failed');
    const boom = byTitle(/^Error: boom/);
    const ev = await s.apiOk('GET', `/api/0/issues/${boom.id}/events/latest/`);
    assert.ok(report.eventIds.boom.includes(ev.eventID), `latest eventID ${ev.eventID} not one of ${report.eventIds.boom}`);
    assert.equal(ev.platform, 'node');
    assert.match(ev.title, /^Error: boom: order (17|4242) failed validation$/);
    assert.ok(!Number.isNaN(Date.parse(ev.dateCreated)), `dateCreated ${ev.dateCreated}`);
    assert.ok(!Number.isNaN(Date.parse(ev.dateReceived)), `dateReceived ${ev.dateReceived}`);

    const exc = entry(ev, 'exception');
    assert.ok(exc, `no exception entry; entries: ${JSON.stringify((ev.entries || []).map((e) => e.type))}`);
    const value = exc.data.values.at(-1);
    assert.equal(value.type, 'Error');
    assert.match(value.value, /^boom: order (17|4242) failed validation$/);
    const frames = value.stacktrace.frames;
    const fns = frames.map((f) => f.function);
    assert.equal(fns.at(-1), 'validateOrder', `frames (oldest first): ${fns}`);
    assert.equal(fns.at(-2), 'processOrder', `frames (oldest first): ${fns}`);
    const top = frames.at(-1);
    assert.match(top.filename, /node_app\.mjs$/);
    assert.equal(typeof top.lineNo, 'number');
    assert.ok(top.lineNo > 0);
    assert.equal(top.inApp, true);
    // Context lines come back as [[lineNo, text], …] in Sentry's API.
    assert.ok(Array.isArray(top.context) && top.context.length > 0, `no context on the top frame: ${JSON.stringify(top)}`);
    assert.ok(
        top.context.some(([n, line]) => n === top.lineNo && /throw new Error\(`boom/.test(line)),
        `context does not contain the throw line: ${JSON.stringify(top.context)}`,
    );

    const crumbs = entry(ev, 'breadcrumbs');
    assert.ok(crumbs, 'no breadcrumbs entry');
    const auth = crumbs.data.values.find((b) => b.category === 'auth');
    assert.ok(auth, `no auth breadcrumb: ${JSON.stringify(crumbs.data.values)}`);
    assert.equal(auth.message, 'user alice logged in');
    assert.equal(auth.level, 'info');
    const cart = crumbs.data.values.find((b) => b.category === 'cart');
    assert.deepEqual(cart?.data, { items: 3 });

    const expectedUser = ev.eventID === report.eventIds.boom[0] ? 'user-1' : 'user-2';
    assert.equal(ev.user?.id, expectedUser);

    assert.equal(tagValue(ev, 'release'), 'snag-e2e@1.2.3');
    assert.equal(tagValue(ev, 'environment'), 'e2e-test');
    assert.equal(tagValue(ev, 'feature'), 'checkout');
    assert.equal(tagValue(ev, 'level'), 'error');
    assert.equal(ev.sdk?.name, 'sentry.javascript.node');
    assert.equal(ev.sdk?.version, '11.12.0');
    assert.equal(typeof ev.contexts, 'object');
    assert.ok(ev.contexts.runtime?.name === 'node', `contexts.runtime: ${JSON.stringify(ev.contexts.runtime)}`);
});

test('every captured event is retrievable by id from the project', async () => {
    assert.ok(report, 'client run failed');
    const all = [...report.eventIds.boom, report.eventIds.typeError, report.eventIds.message, report.eventIds.large];
    for (const id of all) {
        const ev = await s.apiOk('GET', `/api/0/projects/${s.org}/${s.project}/events/${id}/`);
        assert.equal(ev.eventID, id);
    }
    const te = await s.apiOk('GET', `/api/0/projects/${s.org}/${s.project}/events/${report.eventIds.typeError}/`);
    const exc = entry(te, 'exception');
    const fns = exc.data.values.at(-1).stacktrace.frames.map((f) => f.function);
    assert.deepEqual(fns.slice(-2), ['loadSettings', 'readConfig']);
    assert.equal(te.user?.id, 'user-1');
    assert.equal(te.user?.email, 'alice@example.com');

    const msg = await s.apiOk('GET', `/api/0/projects/${s.org}/${s.project}/events/${report.eventIds.message}/`);
    assert.equal(msg.title, MESSAGE);
    assert.equal(msg.message, MESSAGE);

    const missing = await s.api('GET', `/api/0/projects/${s.org}/${s.project}/events/${'0'.repeat(31)}1/`);
    assert.equal(missing.status, 404);
    assert.equal(typeof missing.json?.detail, 'string');
});

test('span, check-in and log items create no issues', async () => {
    assert.ok(issues, 'previous test failed');
    const everything = await s.issues('');
    assert.equal(everything.length, 4, `issues (any status): ${JSON.stringify(everything.map(brief))}`);
    assert.ok(!everything.some((i) => /checkout-flow|nightly-report|inventory low|order .* processed/.test(i.title)));
});

test('Sentry.captureFeedback() becomes the user report of the issue it is about', async () => {
    assert.ok(issues, 'previous test failed');
    const typeError = byTitle(/^TypeError/);
    assert.ok(typeError, `no TypeError issue in ${JSON.stringify(issues.map(brief))}`);
    const r = await s.api('GET', `/api/0/issues/${typeError.id}/user-reports/`);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.length, 1, `user reports: ${JSON.stringify(r.json)}`);
    const [ur] = r.json;
    assert.equal(ur.eventID, report.eventIds.typeError);
    assert.equal(ur.name, 'Alice Example');
    assert.equal(ur.email, 'alice@example.com');
    assert.equal(ur.comments, 'The settings page went blank when I saved');
    const all = await s.api('GET', `/api/0/projects/${s.org}/${s.project}/user-reports/`);
    assert.equal(all.status, 200);
    assert.equal(all.json.length, 1, 'the feedback is stored once, as a report, not as an event');
});

test('snag shuts down cleanly (exit 0, no sanitizer report)', async () => {
    await s.stop();
});
