// The web UI's settings pages end to end, in a real browser (Debian's Chromium driven by
// playwright-core) against a snag bootstrapped by lib/snag.mjs: sign in → project settings →
// create a second client key → disable it → give it a rate limit → rotate it (the new DSN is
// shown) → delete the old one → rename the project and change its platform; members → invite
// an address → it is listed as pending with its link → cancel it; an issue of three events
// with a `browser` tag → its detail shows the tag distribution (67% / 33%) once the facets job
// has counted them, and a value leads to the issues with that tag. Every step is checked
// through the API too. Screenshots go to a folder printed by the test (kept).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before } from 'node:test';
import { startSnag, test } from './lib/snag.mjs';
import { NO_CHROMIUM, launchChromium, screenshots, watch } from './lib/browser.mjs';

const INVITEE = 'new.person@example.com';
const TITLE = 'ui settings: checkout failed';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let srv;
let context;
let shooter;

before(async () => {
    if (NO_CHROMIUM) return;
    shooter = screenshots('ui-settings');
    srv = await startSnag({ name: 'ui-settings', platform: 'node' });
    context = await launchChromium();
});

after(async () => {
    await context?.close();
    await srv?.stop();
});

/** Sends one message event with a browser tag through /store/ (all of them one issue). */
async function sendEvent(browser) {
    const ev = {
        event_id: crypto.randomUUID().replace(/-/g, ''),
        timestamp: Date.now() / 1000,
        level: 'error',
        platform: 'javascript',
        logentry: { formatted: TITLE },
        fingerprint: ['ui-settings-checkout'],
        tags: { browser },
    };
    const r = await fetch(`${srv.url}/api/${srv.projectId}/store/`, {
        method: 'POST',
        headers: {
            'Content-Type': 'application/json',
            'X-Sentry-Auth': `Sentry sentry_version=7, sentry_client=snag-e2e/1.0, sentry_key=${srv.key.public}`,
        },
        body: JSON.stringify(ev),
    });
    assert.equal(r.status, 200, await r.text());
}

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

const keysOf = () => srv.apiOk('GET', `/api/0/projects/${srv.org}/${srv.project}/keys/`);

test('UI: project settings and client keys, members and invitations, tag distribution', { skip: NO_CHROMIUM, timeout: 120000 }, async (t) => {
    t.diagnostic(`screenshots: ${shooter.dir}`);
    const ui = await context.newPage();
    const problems = watch(ui);
    ui.on('dialog', (d) => d.accept()); // the confirm() before rotating and deleting
    try {
        await walk(ui, problems);
    } catch (err) {
        await shooter.shot(ui, 'failure.png').catch(() => {});
        err.message += `\nUI at ${ui.url()}; problems: ${JSON.stringify(problems)}; screenshots: ${shooter.dir}`;
        throw err;
    }
});

async function walk(ui, problems) {
    const shot = shooter.shot;
    // The issue first: the facets job counts its tags while the settings are walked through.
    for (const b of ['Chrome 120', 'Chrome 120', 'Firefox 121']) await sendEvent(b);
    const [issue] = await srv.waitForIssues((l) => l.some((i) => i.title === TITLE && Number(i.count) === 3));

    // Sign in.
    await ui.goto(`${srv.url}/login/`);
    await ui.getByLabel('Email').fill(srv.email);
    await ui.getByLabel('Password').fill(srv.password);
    await ui.getByRole('button', { name: 'Sign in' }).click();
    await ui.getByRole('heading', { name: 'Projects' }).waitFor();

    // Project settings, from the project's card.
    await ui.getByRole('link', { name: 'Settings of Project e2e-project' }).click();
    await ui.getByRole('heading', { name: 'Project e2e-project settings' }).waitFor();
    const keys = ui.getByRole('list', { name: 'Client keys' });
    await keys.locator('.keyrow').first().waitFor();
    assert.equal(await keys.locator('.keyrow').count(), 1, 'one key to begin with');

    // A second key.
    await ui.getByLabel('New key name').fill('Staging');
    await ui.getByRole('button', { name: 'Create key' }).click();
    const staging = keys.locator('.keyrow', { hasText: 'Staging' });
    await staging.waitFor();
    const stagingId = await staging.getAttribute('data-key-id');
    const row = keys.locator(`.keyrow[data-key-id="${stagingId}"]`);
    assert.match(await row.locator('.dsn').textContent(), new RegExp(`^http://${stagingId}@127\\.0\\.0\\.1:\\d+/${srv.projectId}$`));
    assert.equal((await keysOf()).length, 2);

    // Disable it.
    await row.getByRole('button', { name: 'Disable' }).click();
    await row.getByRole('button', { name: 'Enable' }).waitFor();
    assert.match(await row.textContent(), /Disabled/);
    assert.equal((await keysOf()).find((k) => k.id === stagingId).isActive, false);

    // A rate limit: 100 events per hour.
    await row.getByRole('button', { name: 'Edit' }).click();
    await row.getByLabel('Events (empty or 0: no limit)').fill('100');
    await row.getByLabel('Window').selectOption({ label: 'per hour' });
    await row.getByRole('button', { name: 'Save key' }).click();
    await row.getByText('100 events per hour').waitFor();
    assert.deepEqual((await keysOf()).find((k) => k.id === stagingId).rateLimit, { window: 3600, count: 100 });
    await shot(ui, '01-project-settings.png');

    // Rotate: a new key with the same name and limit; its DSN is shown.
    await row.getByRole('button', { name: 'Rotate' }).click();
    const fresh = (await ui.getByTestId('rotated-dsn').textContent()).trim();
    const freshId = /^http:\/\/([0-9a-f]{32})@/.exec(fresh)?.[1];
    assert.ok(freshId && freshId !== stagingId, `a new DSN: ${fresh}`);
    await keys.locator(`.keyrow[data-key-id="${freshId}"]`).waitFor();
    const keysNow = await keysOf();
    assert.equal(keysNow.length, 3);
    const k = keysNow.find((x) => x.id === freshId);
    assert.equal(k.name, 'Staging');
    assert.deepEqual(k.rateLimit, { window: 3600, count: 100 });
    assert.equal(keysNow.find((x) => x.id === stagingId).isActive, false, 'the rotated key is disabled');
    await shot(ui, '02-key-rotated.png');

    // Delete the old one.
    await row.getByRole('button', { name: 'Delete' }).click();
    await row.waitFor({ state: 'detached' });
    assert.deepEqual((await keysOf()).map((x) => x.id).includes(stagingId), false);

    // Rename the project and change its platform (the slug stays).
    await ui.getByLabel('Project name').fill('Storefront');
    await ui.getByLabel('Platform').selectOption({ label: 'Browser JavaScript' });
    await ui.getByRole('button', { name: 'Save', exact: true }).click();
    await ui.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await ui.getByRole('heading', { name: 'Storefront settings' }).waitFor();
    const proj = await srv.apiOk('GET', `/api/0/projects/${srv.org}/${srv.project}/`);
    assert.equal(proj.name, 'Storefront');
    assert.equal(proj.platform, 'javascript');

    // Narrow and dark.
    await ui.setViewportSize({ width: 360, height: 780 });
    await ui.emulateMedia({ colorScheme: 'dark' });
    await shot(ui, '03-project-settings-360-dark.png');
    await ui.setViewportSize({ width: 1280, height: 860 });
    await ui.emulateMedia({ colorScheme: 'light' });

    // Members: invite an address as admin; it is pending, with the link to pass on.
    await ui.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Members' }).click();
    await ui.getByRole('heading', { name: 'Members', exact: true }).waitFor();
    assert.match(await ui.getByRole('list', { name: 'Members' }).textContent(), /e2e-admin@example\.com/);
    await ui.getByLabel('Email').fill(INVITEE);
    await ui.getByLabel('Role', { exact: true }).selectOption('admin');
    await ui.getByRole('button', { name: 'Invite' }).click();
    const pendingList = ui.getByRole('list', { name: 'Pending invitations' });
    await pendingList.getByText(INVITEE, { exact: true }).waitFor();
    assert.match(await ui.getByTestId('invite-link').textContent(), /\/accept\/\d+\/\S+\/$/);
    let members = await srv.apiOk('GET', `/api/0/organizations/${srv.org}/members/`);
    const invited = members.find((m) => m.email === INVITEE);
    assert.ok(invited && invited.pending && invited.role === 'admin', JSON.stringify(invited));
    await shot(ui, '04-members.png');
    await ui.setViewportSize({ width: 360, height: 780 });
    await ui.emulateMedia({ colorScheme: 'dark' });
    await shot(ui, '05-members-360-dark.png');
    await ui.setViewportSize({ width: 1280, height: 860 });
    await ui.emulateMedia({ colorScheme: 'light' });

    // Cancel it.
    await ui.getByRole('button', { name: `Cancel invitation of ${INVITEE}` }).click();
    await ui.getByText('No open invitations.').waitFor();
    members = await srv.apiOk('GET', `/api/0/organizations/${srv.org}/members/`);
    assert.equal(members.some((m) => m.email === INVITEE), false);

    // The issue's tag distribution, once the facets job has counted the three events.
    await until('the facets job counted the browser tag', async () => {
        const tags = await srv.apiOk('GET', `/api/0/issues/${issue.id}/tags/`);
        return tags.find((x) => x.key === 'browser' && x.totalValues === 3);
    });
    await ui.goto(`${srv.url}/organizations/${srv.org}/issues/${issue.id}/`);
    const dist = ui.getByRole('region', { name: 'Tag distribution' });
    const chrome = dist.getByRole('link', { name: /^Chrome 120\s*—\s*67%$/ });
    await chrome.waitFor();
    await dist.getByRole('link', { name: /^Firefox 121\s*—\s*33%$/ }).waitFor();
    const spark = ui.locator('.stats svg.sparkline');
    assert.equal(await spark.getAttribute('aria-label'), '3 events in the last 24 hours');
    await shot(ui, '06-issue-tags.png');

    // A value leads to the project's issues with that tag, each with its sparkline.
    await chrome.click();
    await ui.waitForURL((u) => new URL(u).searchParams.get('query') === 'is:unresolved browser:"Chrome 120"');
    const listed = ui.locator('.issue', { hasText: TITLE });
    await listed.waitFor();
    assert.equal(await listed.getByRole('img').getAttribute('aria-label'), '3 events in the last 24 hours');
    await shot(ui, '07-issues-by-tag.png');

    assert.deepEqual(problems, [], 'no script errors or CSP violations in the UI');
}
