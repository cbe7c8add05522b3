// Debian's python3-sentry-sdk 1.9 (gzip bodies to /store/, X-Sentry-Auth) against a real snag.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before } from 'node:test';
import { CLIENTS_DIR, SYSTEM_PYTHON, brief, entry, lastJsonLine, run, startSnag, tagValue, test } from './lib/snag.mjs';

let s;
let report;
let issues;

const MESSAGE = 'py e2e: nightly export finished with warnings';

before(async () => {
    s = await startSnag({ name: 'python-sdk', platform: 'python', project: 'py-project' });
});
after(async () => {
    await s?.stop().catch(() => {});
});

test('the python app (sentry_sdk 1.9) runs and every request is answered 200', async () => {
    assert.ok(fs.existsSync(SYSTEM_PYTHON), `${SYSTEM_PYTHON} is missing`);
    const probe = await run(SYSTEM_PYTHON, ['-c', 'import sentry_sdk; print(sentry_sdk.VERSION)']);
    assert.equal(probe.code, 0, `python3-sentry-sdk is not importable by ${SYSTEM_PYTHON} (apt-get install python3-sentry-sdk): ${probe.stderr}`);

    const r = await run(SYSTEM_PYTHON, [path.join(CLIENTS_DIR, 'python_app.py')], {
        env: { ...process.env, SENTRY_DSN: s.dsn, PYTHONDONTWRITEBYTECODE: '1' },
        timeoutMs: 60000,
    });
    assert.equal(r.code, 0, `python_app exited ${r.code}/${r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    report = lastJsonLine(r.stdout);
    assert.equal(report.requests.length, 4, `requests: ${JSON.stringify(report.requests)}`);
    for (const req of report.requests) {
        assert.equal(req.status, 200, `request answered ${req.status}: ${JSON.stringify(req)}\nstderr: ${r.stderr}`);
        assert.match(req.url, new RegExp(`/api/${s.projectId}/store/$`));
        assert.equal(req.encoding, 'gzip');
    }
    assert.match(report.ids.exception, /^[0-9a-f]{32}$/);
    assert.match(report.ids.message, /^[0-9a-f]{32}$/);
});

test('issues: exception, message, and one issue for the logging template', async () => {
    assert.ok(report, 'client run failed');
    issues = await s.waitForIssues((l) => l.length >= 3, { timeoutMs: 3000 });
    assert.equal(issues.length, 3, `issues: ${JSON.stringify(issues.map(brief), null, 1)}`);

    const exc = issues.find((i) => i.title.startsWith('ValueError'));
    assert.ok(exc, `no ValueError issue: ${JSON.stringify(issues.map(brief))}`);
    assert.equal(exc.title, 'ValueError: amount 250 exceeds the limit');
    assert.equal(exc.culprit, '__main__ in charge_customer');
    assert.equal(exc.count, '1');
    assert.equal(exc.userCount, 1);
    assert.equal(exc.level, 'error');
    assert.equal(exc.metadata?.type, 'ValueError');
    assert.equal(exc.metadata?.value, 'amount 250 exceeds the limit');

    const msg = issues.find((i) => i.title === MESSAGE);
    assert.ok(msg, `no message issue: ${JSON.stringify(issues.map(brief))}`);
    assert.equal(msg.level, 'warning');
    assert.equal(msg.count, '1');

    const logIssue = issues.find((i) => /failed to authenticate/.test(i.title));
    assert.ok(logIssue, `no logging issue: ${JSON.stringify(issues.map(brief))}`);
    // logging.error("user %s failed to authenticate", who) twice: grouped on the template.
    assert.equal(logIssue.count, '2', 'the two log records share the template and must group');
    assert.match(logIssue.title, /^user (dave|erin) failed to authenticate$/);
    assert.equal(logIssue.level, 'error');
    assert.equal(logIssue.userCount, 1);
});

test('exception event: frames, user, tags, breadcrumbs as the SDK sent them', async () => {
    assert.ok(issues, 'previous test failed');
    const exc = issues.find((i) => i.title.startsWith('ValueError'));
    const ev = await s.apiOk('GET', `/api/0/issues/${exc.id}/events/latest/`);
    assert.equal(ev.eventID, report.ids.exception);
    assert.equal(ev.platform, 'python');

    const e = entry(ev, 'exception');
    assert.ok(e, `no exception entry: ${JSON.stringify((ev.entries || []).map((x) => x.type))}`);
    const v = e.data.values.at(-1);
    assert.equal(v.type, 'ValueError');
    assert.equal(v.value, 'amount 250 exceeds the limit');
    const frames = v.stacktrace.frames;
    assert.deepEqual(frames.map((f) => f.function).slice(-2), ['main', 'charge_customer']);
    const top = frames.at(-1);
    assert.equal(top.filename, 'python_app.py');
    assert.equal(top.module, '__main__');
    assert.ok(top.lineNo > 0);
    assert.ok(
        (top.context || []).some(([n, line]) => n === top.lineNo && /raise ValueError/.test(line)),
        `context of the top frame lacks the raise line: ${JSON.stringify(top.context)}`,
    );

    assert.equal(ev.user?.id, 'py-user-7');
    assert.equal(ev.user?.email, 'carol@example.com');
    assert.equal(tagValue(ev, 'component'), 'billing');
    assert.equal(tagValue(ev, 'release'), 'snag-py@2.0.0');
    assert.equal(tagValue(ev, 'environment'), 'py-e2e');
    assert.equal(ev.sdk?.name, 'sentry.python');

    const crumbs = entry(ev, 'breadcrumbs');
    assert.ok(crumbs, 'no breadcrumbs entry');
    const started = crumbs.data.values.find((b) => b.message === 'starting billing run');
    assert.ok(started, `no logging breadcrumb: ${JSON.stringify(crumbs.data.values)}`);
    assert.equal(started.category, 'billing.jobs');
    assert.equal(started.level, 'info');
});

test('logging events keep the template and their own parameters', async () => {
    assert.ok(issues, 'previous test failed');
    const logIssue = issues.find((i) => /failed to authenticate/.test(i.title));
    const events = await s.apiOk('GET', `/api/0/issues/${logIssue.id}/events/`);
    assert.equal(events.length, 2);
    const messages = [];
    for (const brief of events) {
        const ev = await s.apiOk('GET', `/api/0/projects/${s.org}/${s.project}/events/${brief.eventID}/`);
        const m = entry(ev, 'message');
        assert.ok(m, `no message entry: ${JSON.stringify((ev.entries || []).map((x) => x.type))}`);
        assert.equal(m.data.message, 'user %s failed to authenticate');
        messages.push(m.data.formatted);
        assert.equal(tagValue(ev, 'logger'), 'billing.jobs');
    }
    assert.deepEqual(messages.sort(), ['user dave failed to authenticate', 'user erin failed to authenticate']);
});

test('snag shuts down cleanly (exit 0, no sanitizer report)', async () => {
    await s.stop();
});
