// The account page's sessions and the projects page's event counts end to end, in real
// browsers (Debian's Chromium driven by playwright-core) against a snag bootstrapped by
// lib/snag.mjs.
// Sessions: the user signs in in browser A and again in browser B (a separate profile with a
// Windows Chrome user agent, so the two read differently) → A's account page lists both, its
// own marked "this session" → "Sign out" on B's row removes it, and B's next API call is 401;
// B's open page then shows the sign-in page saying the session ended, and signing in again
// returns to where it was; two more sessions signed in over plain HTTP → "Sign out all other
// sessions" leaves A's alone and theirs (and B's) are dead too.
// Project stats: events stored in two of three projects → once the facets job has counted
// them (polled through the API), each project card says "N events (24h)" beside a sparkline
// labelled for screen readers. Every step is checked through the API too. Screenshots go to a
// folder printed by the tests (kept).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before } from 'node:test';
import { startSnag, test } from './lib/snag.mjs';
import { NO_CHROMIUM, launchChromium, screenshots, watch } from './lib/browser.mjs';

const B_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const B_NAME = 'Chrome 126 on Windows';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let srv;
let shooter;

before(async () => {
    if (NO_CHROMIUM) return;
    shooter = screenshots('ui-account');
    srv = await startSnag({ name: 'ui-account', platform: 'node' });
});

after(async () => {
    await srv?.stop();
});

/** Polls fn (bounded) until it returns something truthy. */
async function until(what, fn, timeoutMs = 30000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const v = await fn();
        if (v) return v;
        if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
        await sleep(250);
    }
}

/** Runs walk(page, problems) in a browser of its own; a failure gets a screenshot. */
async function onPage(t, shotName, walk) {
    t.diagnostic(`screenshots: ${shooter.dir}`);
    const browser = await launchChromium();
    try {
        const ui = await browser.newPage();
        const problems = watch(ui);
        try {
            await walk(ui, problems);
        } catch (err) {
            await shooter.shot(ui, shotName).catch(() => {});
            err.message += `\nUI at ${ui.url()}; problems: ${JSON.stringify(problems)}; screenshots: ${shooter.dir}`;
            throw err;
        }
    } finally {
        await browser.close();
    }
}

async function signInUi(page) {
    await page.goto(`${srv.url}/login/`);
    await page.getByLabel('Email').fill(srv.email);
    await page.getByLabel('Password').fill(srv.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Projects' }).waitFor();
}

/** Signs in over plain HTTP as another client would; returns its Cookie header. */
async function signInHttp(userAgent) {
    const r = await fetch(`${srv.url}/api/0/auth/session/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'User-Agent': userAgent },
        body: JSON.stringify({ email: srv.email, password: srv.password }),
    });
    assert.equal(r.status, 200, await r.text());
    const cookie = r.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
    assert.match(cookie, /snag_session=[0-9a-f]+/);
    return cookie;
}

/** The status of GET /api/0/organizations/ with that Cookie header. */
async function statusWithCookie(cookie) {
    const r = await fetch(`${srv.url}/api/0/organizations/`, { headers: { Cookie: cookie } });
    await r.arrayBuffer();
    return r.status;
}

/** What a browser page's next API call answers (its own cookies, same origin). */
const statusInPage = (page) => page.evaluate(() => fetch('/api/0/organizations/').then((r) => r.status));

const sessionsOf = () => srv.apiOk('GET', '/api/0/auth/sessions/');

test('UI: the account page lists the sessions and signs out others', { skip: NO_CHROMIUM, timeout: 120000 }, (t) =>
    onPage(t, 'failure-sessions.png', async (ui, problems) => {
        const shot = shooter.shot;
        const dialogs = [];
        ui.on('dialog', (d) => {
            dialogs.push(d.message());
            d.accept();
        });

        // A: signed in in this browser.
        await signInUi(ui);
        const agentA = await ui.evaluate(() => navigator.userAgent);
        const major = /Chrome\/(\d+)/.exec(agentA)?.[1];
        assert.ok(major, `a Chrome user agent: ${agentA}`);
        const nameA = `${agentA.includes('HeadlessChrome/') ? 'Headless Chrome' : 'Chrome'} ${major} on Linux`;

        // B: the same user in a second browser, with its own profile and cookies.
        const browserB = await launchChromium({ userAgent: B_AGENT });
        try {
            const pageB = await browserB.newPage();
            const problemsB = watch(pageB);
            await signInUi(pageB);
            assert.equal(await statusInPage(pageB), 200, 'B is signed in');

            let listed = await sessionsOf();
            assert.equal(listed.length, 2, JSON.stringify(listed));
            assert.deepEqual(listed.map((s) => s.userAgent).sort(), [agentA, B_AGENT].sort());
            for (const s of listed) {
                assert.match(s.id, /^[0-9a-f]{16}$/);
                assert.equal(s.ipAddress, '127.0.0.1');
                assert.equal(s.current, false, 'signed in by token: no session is the current one');
                assert.ok(Date.parse(s.expires) > Date.parse(s.created), JSON.stringify(s));
            }

            // A's account page: two sessions, A's own marked as this one, B's with a Sign out.
            await ui.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
            await ui.getByRole('heading', { name: 'Account', exact: true }).waitFor();
            const list = ui.getByRole('list', { name: 'Sessions' });
            const rows = list.getByRole('listitem');
            await rows.nth(1).waitFor();
            assert.equal(await rows.count(), 2);
            const rowA = rows.filter({ hasText: 'this session' });
            const rowB = rows.filter({ hasText: B_NAME });
            assert.equal(await rowA.count(), 1, 'one session is marked as this one');
            assert.equal((await rowA.locator('strong').textContent()).trim(), nameA);
            assert.equal(await rowA.getByRole('button').count(), 0, 'no Sign out on the session in use');
            assert.equal(await rowB.count(), 1);
            assert.match(await rowB.textContent(), /^Chrome 126 on Windows\s*127\.0\.0\.1 · signed in .+ · last seen .+Sign out/);
            assert.equal(await rowB.getByText('this session').count(), 0);
            await ui.getByRole('button', { name: 'Sign out all other sessions' }).waitFor();
            await shot(ui, '01-account-sessions.png');

            // Sign out B from A.
            await rowB.getByRole('button', { name: `Sign out ${B_NAME}` }).click();
            await rowB.waitFor({ state: 'detached' });
            assert.equal(await rows.count(), 1);
            assert.match(await rows.first().textContent(), /this session/);
            assert.deepEqual(dialogs, ['Sign out this session?']);
            listed = await sessionsOf();
            assert.deepEqual(listed.map((s) => s.userAgent), [agentA]);
            assert.equal(await ui.getByRole('button', { name: 'Sign out all other sessions' }).count(), 0, 'nothing else to sign out');
            assert.equal(await statusInPage(ui), 200, 'A is still signed in');

            // B really is signed out: its next API call is refused. The page B left open finds
            // out at its next step: the sign-in page says why, and signing in again carries on
            // where it was.
            assert.equal(await statusInPage(pageB), 401);
            await pageB.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
            await pageB.getByRole('status').filter({ hasText: 'Your session has ended' }).waitFor();
            assert.equal(await pageB.getByText('Authentication credentials were not provided.').count(), 0);
            await shot(pageB, '02-browser-b-signed-out.png');
            await pageB.getByLabel('Email').fill(srv.email);
            await pageB.getByLabel('Password').fill(srv.password);
            await pageB.getByRole('button', { name: 'Sign in' }).click();
            await pageB.getByRole('heading', { name: 'Account', exact: true }).waitFor();
            assert.equal(new URL(pageB.url()).pathname, '/settings/account/');
            await pageB.getByRole('list', { name: 'Sessions' }).getByText('this session').waitFor();
            assert.equal(await statusInPage(pageB), 200, 'B is signed in again');

            // Two more sessions, over plain HTTP; A's page lists them (and B's) once reloaded.
            const curl = await signInHttp('curl/8.5.0');
            const python = await signInHttp('python-requests/2.31.0');
            assert.equal(await statusWithCookie(curl), 200);
            assert.equal(await statusWithCookie(python), 200);
            await ui.reload();
            await list.getByRole('button', { name: 'Sign out curl 8.5', exact: true }).waitFor();
            await list.getByRole('button', { name: 'Sign out Python 2.31', exact: true }).waitFor();
            await list.getByRole('button', { name: `Sign out ${B_NAME}`, exact: true }).waitFor();
            assert.equal(await rows.count(), 4);
            await ui.setViewportSize({ width: 360, height: 780 });
            await ui.emulateMedia({ colorScheme: 'dark' });
            await shot(ui, '03-account-sessions-360-dark.png');
            await ui.setViewportSize({ width: 1280, height: 860 });
            await ui.emulateMedia({ colorScheme: 'light' });

            // Sign out all the others: only this one stays, and theirs no longer work.
            await ui.getByRole('button', { name: 'Sign out all other sessions' }).click();
            await list.getByRole('button', { name: 'Sign out curl 8.5', exact: true }).waitFor({ state: 'detached' });
            assert.equal(await rows.count(), 1);
            assert.match(await rows.first().textContent(), /this session/);
            assert.equal(dialogs.at(-1), 'Sign out every other session?');
            assert.equal((await sessionsOf()).length, 1);
            assert.equal(await statusWithCookie(curl), 401);
            assert.equal(await statusWithCookie(python), 401);
            assert.equal(await statusInPage(pageB), 401);
            assert.equal(await statusInPage(ui), 200, 'A is still signed in');
            await shot(ui, '04-account-one-session.png');
            assert.deepEqual(problemsB, [], 'no script errors or CSP violations in B');
        } finally {
            await browserB.close();
        }

        assert.deepEqual(problems, [], 'no script errors or CSP violations in A');
    }),
);

/** Stores one message event in a project through /store/. */
async function sendEvent(project, message) {
    const ev = {
        event_id: crypto.randomUUID().replace(/-/g, ''),
        timestamp: Date.now() / 1000,
        level: 'error',
        platform: 'node',
        logentry: { formatted: message },
    };
    const r = await fetch(`${srv.url}/api/${project.id}/store/`, {
        method: 'POST',
        headers: {
            'Content-Type': 'application/json',
            'X-Sentry-Auth': `Sentry sentry_version=7, sentry_client=snag-e2e/1.0, sentry_key=${project.key.public}`,
        },
        body: JSON.stringify(ev),
    });
    assert.equal(r.status, 200, await r.text());
}

test('UI: the projects page shows each project\'s events of the last 24 hours', { skip: NO_CHROMIUM, timeout: 120000 }, (t) =>
    onPage(t, 'failure-projects.png', async (ui, problems) => {
        const main = { id: srv.projectId, key: srv.key, slug: srv.project };
        const single = await srv.createProject('e2e-single');
        const quiet = await srv.createProject('e2e-quiet');
        const want = { [main.slug]: 5, [single.slug]: 1, [quiet.slug]: 0 };
        // Two issues in the main project: the counts are per project, over all its issues.
        for (let i = 0; i < 5; i++) await sendEvent(main, i < 3 ? 'ui account: first issue' : 'ui account: second issue');
        await sendEvent(single, 'ui account: the only event');

        // The counts arrive once the facets job has run; the API has all 24 hourly buckets.
        const statsPath = `/api/0/organizations/${srv.org}/projects/?statsPeriod=24h`;
        const totalOf = (p) => p.stats.reduce((sum, [, n]) => sum + n, 0);
        const projects = await until('the facets job counted the events', async () => {
            const list = await srv.apiOk('GET', statsPath);
            return list.every((p) => Array.isArray(p.stats) && totalOf(p) === want[p.slug]) && list;
        });
        assert.deepEqual(projects.map((p) => p.slug).sort(), Object.keys(want).sort());
        for (const p of projects) {
            assert.equal(p.stats.length, 24, `${p.slug}: 24 hourly buckets`);
            for (let i = 1; i < 24; i++) assert.equal(p.stats[i][0] - p.stats[i - 1][0], 3600, `${p.slug}: hourly steps`);
        }

        await signInUi(ui);
        const cards = ui.getByRole('list', { name: 'Projects' }).getByRole('listitem');
        await cards.nth(2).waitFor();
        assert.equal(await cards.count(), 3);
        const texts = { [main.slug]: '5 events (24h)', [single.slug]: '1 event (24h)', [quiet.slug]: '0 events (24h)' };
        for (const [slug, n] of Object.entries(want)) {
            const card = cards.filter({ has: ui.getByText(slug, { exact: true }) });
            assert.equal(await card.count(), 1, slug);
            const stats = card.locator('.projectstats');
            assert.equal((await stats.textContent()).replace(/\s+/g, ' ').trim(), texts[slug]);
            const label = `${n} event${n === 1 ? '' : 's'} in the last 24 hours`;
            const spark = card.getByRole('img', { name: label, exact: true });
            assert.equal(await spark.count(), 1, `${slug}: a sparkline labelled "${label}"`);
            assert.equal(await spark.evaluate((el) => el.tagName.toLowerCase()), 'svg');
            const bars = await spark.locator('rect').count();
            if (n === 0) assert.equal(bars, 0, `${slug}: no bars without events`);
            else assert.ok(bars >= 1 && bars <= 2, `${slug}: the events' hour (or two, across the hour) has a bar, got ${bars}`);
        }
        await shooter.shot(ui, '05-projects-stats.png');
        await ui.setViewportSize({ width: 360, height: 780 });
        await ui.emulateMedia({ colorScheme: 'dark' });
        await shooter.shot(ui, '06-projects-stats-360-dark.png');

        assert.deepEqual(problems, [], 'no script errors or CSP violations in the UI');
    }),
);
