// sentry-cli 3.x (the real binary from @sentry/cli's optional dependency) against a real snag:
// `send-event` through the DSN (an envelope with X-Sentry-Auth) and `info` through the API.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { SENTRY_CLI, brief, entry, hexId, run, startSnag, tagValue, test } from './lib/snag.mjs';

let s;
let home;

before(async () => {
    s = await startSnag({ name: 'sentry-cli', platform: 'other', project: 'cli-project' });
    // No ~/.sentryclirc, no stray SENTRY_* settings from the caller's environment.
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'snag-e2e-cli-home-'));
});
after(async () => {
    await s?.stop().catch(() => {});
    if (home) fs.rmSync(home, { recursive: true, force: true });
});

function cliEnv(extra) {
    return {
        PATH: process.env.PATH,
        HOME: home,
        SENTRY_LOAD_DOTENV: '0',
        SENTRY_DISABLE_UPDATE_CHECK: 'true',
        SENTRY_LOG_LEVEL: 'warn',
        ...extra,
    };
}

async function cli(args, extraEnv) {
    const r = await run(SENTRY_CLI, args, { env: cliEnv(extraEnv), cwd: home, timeoutMs: 30000 });
    return r;
}

/** Runs `sentry-cli send-event …` with SENTRY_DSN and returns the event id it printed (32 hex). */
async function sendEvent(args) {
    const r = await cli(['send-event', ...args], { SENTRY_DSN: s.dsn });
    assert.equal(r.code, 0, `sentry-cli send-event ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    const m = /Event id: ([0-9a-f-]{32,36})/i.exec(r.stdout);
    assert.ok(m, `no event id in sentry-cli output: ${r.stdout}`);
    return hexId(m[1]);
}

async function event(id) {
    return s.apiOk('GET', `/api/0/projects/${s.org}/${s.project}/events/${id}/`);
}

test('sentry-cli is the expected version', async () => {
    const r = await cli(['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^sentry-cli 3\.8\.0\b/);
});

test('send-event -m "hello from cli" --no-environ creates an issue titled with the message', async () => {
    const id = await sendEvent(['-m', 'hello from cli', '--no-environ']);
    const issues = await s.waitForIssues((l) => l.some((i) => i.title === 'hello from cli'), { timeoutMs: 3000 });
    const issue = issues.find((i) => i.title === 'hello from cli');
    assert.equal(issue.count, '1');
    assert.equal(issue.level, 'error');
    assert.equal(issue.status, 'unresolved');

    const ev = await event(id);
    assert.equal(ev.eventID, id);
    assert.equal(ev.title, 'hello from cli');
    assert.equal(ev.platform, 'native', 'sentry-cli 3.x sends platform "native"');
    assert.equal(ev.sdk?.name, 'sentry-cli');
    const m = entry(ev, 'message');
    assert.ok(m, `no message entry: ${JSON.stringify((ev.entries || []).map((e) => e.type))}`);
    assert.equal(m.data.formatted, 'hello from cli');
    // --no-environ: the process environment must not be in the event.
    assert.equal(ev.context?.environ, undefined, 'extra.environ present despite --no-environ');
    assert.ok(!JSON.stringify(ev).includes(home), 'the CLI environment leaked into the event despite --no-environ');
});

test('an issue takes its platform from its first event, not from the project', async () => {
    // Sentry: Group.platform is set from the event that created the issue. The project here is
    // "other"; sentry-cli's events are "native".
    const issues = await s.issues('is:unresolved hello from cli');
    assert.equal(issues.length, 1, JSON.stringify(issues.map(brief)));
    assert.equal(issues[0].platform, 'native');
});

test('send-event with --tag, --release, --env, --level and --user', async () => {
    const id = await sendEvent([
        '-m', 'deploy verification failed',
        '--no-environ',
        '--tag', 'deploy:blue',
        '--tag', 'region:eu-west',
        '-r', 'cli-app@3.1.4',
        '-E', 'staging',
        '-l', 'warning',
        '-u', 'id:42',
        '-u', 'username:frank',
    ]);
    const issues = await s.waitForIssues((l) => l.some((i) => i.title === 'deploy verification failed'), { timeoutMs: 3000 });
    const issue = issues.find((i) => i.title === 'deploy verification failed');
    assert.equal(issue.level, 'warning');
    assert.equal(issue.count, '1');

    const ev = await event(id);
    assert.equal(tagValue(ev, 'deploy'), 'blue');
    assert.equal(tagValue(ev, 'region'), 'eu-west');
    assert.equal(tagValue(ev, 'release'), 'cli-app@3.1.4');
    assert.equal(tagValue(ev, 'environment'), 'staging');
    assert.equal(tagValue(ev, 'level'), 'warning');
    assert.equal(ev.user?.id, '42');
    assert.equal(ev.user?.username, 'frank');

    const issuesEvents = await s.apiOk('GET', `/api/0/issues/${issue.id}/events/`);
    assert.deepEqual(issuesEvents.map((e) => e.eventID), [id]);
});

test('send-event message templates with different arguments group into one issue', async () => {
    const a = await sendEvent(['-m', 'backup of %s failed', '-a', 'db-primary', '--no-environ']);
    const b = await sendEvent(['-m', 'backup of %s failed', '-a', 'db-replica', '--no-environ']);
    assert.notEqual(a, b);
    const issues = await s.waitForIssues((l) => l.some((i) => /^backup of/.test(i.title) && i.count === '2'), {
        timeoutMs: 3000,
    });
    const backup = issues.filter((i) => /^backup of/.test(i.title));
    assert.equal(backup.length, 1, `backup issues: ${JSON.stringify(backup.map(brief))}`);
    assert.match(backup[0].title, /^backup of db-(primary|replica) failed$/);
    const ev = await event(a);
    const m = entry(ev, 'message');
    assert.equal(m?.data?.message, 'backup of %s failed');
    assert.equal(m?.data?.formatted, 'backup of db-primary failed');
});

test('send-event PATH: an exception event from a JSON file', async () => {
    const file = path.join(home, 'event.json');
    fs.writeFileSync(
        file,
        JSON.stringify({
            level: 'fatal',
            platform: 'python',
            exception: {
                values: [
                    {
                        type: 'ImportError',
                        value: 'No module named cli_widgets',
                        stacktrace: {
                            frames: [
                                { filename: 'app/boot.py', module: 'app.boot', function: 'start', lineno: 10, in_app: true },
                                { filename: 'app/loader.py', module: 'app.loader', function: 'load_plugins', lineno: 33, in_app: true },
                            ],
                        },
                    },
                ],
            },
        }),
    );
    const r = await cli(['send-event', file], { SENTRY_DSN: s.dsn });
    assert.equal(r.code, 0, `send-event ${file}: ${r.stdout}\n${r.stderr}`);
    const issues = await s.waitForIssues((l) => l.some((i) => i.title.startsWith('ImportError')), { timeoutMs: 3000 });
    const issue = issues.find((i) => i.title.startsWith('ImportError'));
    assert.equal(issue.title, 'ImportError: No module named cli_widgets');
    assert.equal(issue.culprit, 'app.loader in load_plugins');
    assert.equal(issue.level, 'fatal');
});

test('info with SENTRY_URL and SENTRY_AUTH_TOKEN verifies the token via GET /api/0/', async () => {
    const r = await cli(['info'], { SENTRY_URL: s.url, SENTRY_AUTH_TOKEN: s.token, SENTRY_ORG: s.org, SENTRY_PROJECT: s.project });
    assert.equal(r.code, 0, `sentry-cli info exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`Sentry Server: ${s.url.replace(/[.]/g, '\\.')}`));
    assert.match(r.stdout, /Method: Auth Token/);
    assert.match(r.stdout, new RegExp(`User: ${s.email.replace(/[.]/g, '\\.')}`));
    assert.match(r.stdout, /- project:releases/);
    assert.match(r.stdout, /- org:read/);

    const root = await s.apiOk('GET', '/api/0/');
    assert.equal(root.user?.email, s.email);
    assert.ok(Array.isArray(root.auth?.scopes) && root.auth.scopes.includes('project:releases'), JSON.stringify(root));
});

test('info with a wrong token fails (401 from GET /api/0/)', async () => {
    const r = await cli(['info'], { SENTRY_URL: s.url, SENTRY_AUTH_TOKEN: `${s.token}x` });
    assert.notEqual(r.code, 0, `sentry-cli info succeeded with a bad token:\n${r.stdout}`);
    assert.match(r.stderr, /401/);
    const raw = await fetch(`${s.url}/api/0/`, { headers: { Authorization: `Bearer ${s.token}x` } });
    assert.equal(raw.status, 401);
    const body = await raw.json();
    assert.equal(typeof body.detail, 'string');
});

test('snag shuts down cleanly (exit 0, no sanitizer report)', async () => {
    await s.stop();
});
