// The web UI end to end, in a real browser: Debian's Chromium driven by playwright-core.
// A fresh snag with no user → create the owner in the UI → organization, team and project in
// the UI → a page on another origin (its own little server) sends an error with the real
// @sentry/browser, bundled here with esbuild → the issue appears live in the open list (pushed
// over the WebSocket, no reload) → open it with the
// keyboard → stack trace and breadcrumbs → resolve it, checked through the API. Markup in the
// error message must stay text. Screenshots go to a folder printed by the test (kept).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { E2E_DIR, PG_ADMIN_URL, createDatabase, freePort, snagBin, test } from './lib/snag.mjs';
import { NO_CHROMIUM, launchChromium, screenshots, watch } from './lib/browser.mjs';

const EMAIL = 'owner@example.com';
const PASSWORD = 'a long and careful passphrase';
const XSS = '<img src=x onerror="window.__snagXss=1">';
const MESSAGE = `ui e2e: the widget exploded ${XSS}`;
const SKIP = NO_CHROMIUM;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let srv;
let pageSrv;
let context;
let shooter;

/** A snag with an empty database (no user: the UI's first-run page is the way in). */
async function startBareSnag() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snag-e2e-ui-'));
    fs.mkdirSync(path.join(dir, 'data'));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const db = PG_ADMIN_URL ? createDatabase() : null; // SNAG_E2E_PG_URL: a fresh database
    const env = {
        ...process.env,
        PORT: String(port),
        SNAG_BIND: '127.0.0.1',
        SNAG_THREADS: '4',
        DATABASE_URL: db ? db.url : `sqlite://${path.join(dir, 'snag.db')}`,
        SNAG_DATA_DIR: path.join(dir, 'data'),
        GLITCHTIP_DOMAIN: url,
    };
    delete env.SECRET_KEY;
    const logPath = path.join(dir, 'server.log');
    const logFd = fs.openSync(logPath, 'a');
    const child = spawn(snagBin(), ['serve'], { env, stdio: ['ignore', logFd, logFd] });
    fs.closeSync(logFd);
    const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
    const log = () => fs.readFileSync(logPath, 'utf8');
    for (let i = 0; ; i++) {
        try {
            const r = await fetch(`${url}/_health/`);
            if (r.status === 200) break;
        } catch {
            /* not up yet */
        }
        if (i > 200) {
            child.kill('SIGKILL');
            throw new Error(`snag did not come up\n${log()}`);
        }
        await sleep(50);
    }
    const stop = async () => {
        child.kill('SIGTERM');
        const res = await exited;
        const text = log();
        if (res.code !== 0 || /ERROR: \w+Sanitizer|runtime error:/.test(text)) {
            throw new Error(`snag exited ${JSON.stringify(res)}\n${text.slice(-6000)}`);
        }
        if (!process.env.SNAG_E2E_KEEP) {
            db?.drop();
            fs.rmSync(dir, { recursive: true, force: true });
        }
    };
    const token = () => {
        const r = spawnSync(snagBin(), ['token', 'create', '--email', EMAIL], { env, encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`snag token create: ${r.stderr}`);
        return r.stdout.trim();
    };
    return { url, dir, stop, token, log };
}

/** The test page's script: the real @sentry/browser, bundled once with esbuild. */
async function bundleTestPage() {
    const esbuild = await import('esbuild');
    const entry = `
        import * as Sentry from '@sentry/browser';
        const dsn = new URLSearchParams(location.search).get('dsn');
        Sentry.init({ dsn, release: 'ui-e2e@1.0.0', environment: 'e2e' });
        Sentry.setUser({ id: 'u-1', email: 'visitor@example.com' });
        function explodeForSnag() {
            throw new TypeError(${JSON.stringify(MESSAGE)});
        }
        document.getElementById('go').addEventListener('click', () => {
            Sentry.addBreadcrumb({ category: 'e2e', message: 'about to explode', level: 'warning' });
            setTimeout(function uiE2eTimer() { explodeForSnag(); }, 0);
        });
        document.body.dataset.ready = '1';
    `;
    const r = await esbuild.build({
        stdin: { contents: entry, resolveDir: E2E_DIR, loader: 'js' },
        bundle: true,
        write: false,
        format: 'iife',
        target: 'es2020',
        logLevel: 'silent',
    });
    return r.outputFiles[0].text;
}

/** A server on another origin: the test page and its bundle. */
async function startTestPage(bundle) {
    const html = '<!doctype html><meta charset="utf-8"><title>shop</title><button id="go">Buy</button><script src="/bundle.js"></script>';
    const s = http.createServer((req, res) => {
        const p = new URL(req.url, 'http://x').pathname;
        if (p === '/bundle.js') res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(bundle);
        else if (p === '/') res.writeHead(200, { 'Content-Type': 'text/html' }).end(html);
        else res.writeHead(404).end();
    });
    const port = await freePort();
    await new Promise((r) => s.listen(port, '127.0.0.1', r));
    return { url: `http://localhost:${port}`, close: () => new Promise((r) => s.close(r)) };
}

const shot = (...a) => shooter.shot(...a);

before(async () => {
    if (SKIP) return;
    shooter = screenshots('ui');
    srv = await startBareSnag();
    pageSrv = await startTestPage(await bundleTestPage());
    context = await launchChromium();
});

after(async () => {
    await context?.close();
    await pageSrv?.close();
    await srv?.stop();
});

test('UI: first run, project, browser error from another origin, triage', { skip: SKIP, timeout: 120000 }, async (t) => {
    t.diagnostic(`screenshots: ${shooter.dir}`);
    const ui = await context.newPage();
    const problems = watch(ui);
    try {
        await walk(ui, problems);
    } catch (err) {
        await shot(ui, 'failure.png').catch(() => {});
        err.message += `\nUI at ${ui.url()}; problems: ${JSON.stringify(problems)}; screenshots: ${shooter.dir}`;
        throw err;
    }
});

async function walk(ui, problems) {
    // Security headers on the UI.
    const first = await ui.goto(`${srv.url}/`);
    const h = first.headers();
    assert.match(h['content-security-policy'], /default-src 'self'/);
    assert.match(h['content-security-policy'], /frame-ancestors 'none'/);
    assert.equal(h['x-content-type-options'], 'nosniff');
    assert.equal(h['referrer-policy'], 'same-origin');

    // First run: the owner account.
    await ui.getByRole('link', { name: 'Create the owner account' }).click();
    await ui.getByLabel('Email').fill(EMAIL);
    await ui.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await ui.getByLabel('Repeat the password').fill(PASSWORD);
    await shot(ui, '01-first-run.png');
    await ui.getByRole('button', { name: 'Create account' }).click();

    // No organization yet: create one, then the team and project in the wizard.
    await ui.getByLabel('Organization name').fill('Acme Shop');
    await ui.getByRole('button', { name: 'Create organization' }).click();
    await ui.getByLabel('New team name').fill('Frontend');
    await ui.getByLabel('Project name').fill('Web Shop');
    await ui.getByLabel('Browser JavaScript').check();
    await ui.getByRole('button', { name: 'Create project' }).click();
    const dsn = (await ui.getByTestId('dsn').textContent()).trim();
    assert.match(dsn, /^http:\/\/[0-9a-f]{32}@127\.0\.0\.1:\d+\/\d+$/);
    assert.ok((await ui.getByTestId('snippet').textContent()).includes(dsn), 'the snippet holds the DSN');
    await shot(ui, '02-project-created.png');

    // The issues list, open and live (no issue yet) before the error is sent.
    await ui.getByRole('link', { name: 'Go to the issues' }).click();
    await ui.locator('.livebadge[data-live="live"]').waitFor({ timeout: 15000 });
    await ui.evaluate(() => {
        window.__snagNoReload = 1; // gone if the page reloads
    });

    // Another origin sends an error with @sentry/browser.
    const shop = await context.newPage();
    await shop.goto(`${pageSrv.url}/?dsn=${encodeURIComponent(dsn)}`);
    await shop.waitForSelector('body[data-ready="1"]');
    const sent = shop.waitForResponse((r) => r.url().includes('/envelope/'), { timeout: 15000 });
    await shop.click('#go');
    assert.equal((await sent).status(), 200, 'snag accepted the envelope');
    await shop.close();

    // The issue appears in the open list by itself, pushed over the WebSocket: no reload.
    const row = ui.locator('.issue', { hasText: 'the widget exploded' });
    await row.waitFor({ timeout: 15000 });
    assert.equal(await ui.evaluate(() => window.__snagNoReload), 1, 'the list was not reloaded');
    assert.ok((await row.textContent()).includes(XSS), 'markup in the title is shown as text');
    await shot(ui, '03-issues.png');

    // Keyboard: j selects the first row, Enter opens it.
    // (the key listener is attached just after the first paint: press again until it took)
    for (let i = 0; !(await ui.locator('.issue.cursor').count()); i++) {
        assert.ok(i < 20, 'j never moved the cursor');
        await ui.locator('body').press('j');
        await sleep(50);
    }
    await ui.locator('body').press('Enter');
    await ui.waitForSelector('.issueh1');
    assert.match(await ui.locator('.issueh1').textContent(), /TypeError/);
    const frames = ui.locator('.frames');
    await frames.waitFor();
    assert.match(await frames.textContent(), /explodeForSnag/);
    const crumbs = ui.getByRole('region', { name: 'Breadcrumbs' });
    assert.match(await crumbs.textContent(), /about to explode/);
    assert.match(await ui.locator('.event').textContent(), /visitor@example\.com/);
    assert.equal(await ui.evaluate(() => window.__snagXss), undefined, 'no script ran from event data');
    await shot(ui, '04-issue.png');

    // The full trace and the raw JSON.
    await ui.getByRole('button', { name: 'Full', exact: true }).click();
    await ui.getByRole('button', { name: 'View JSON' }).click();
    assert.match(await ui.locator('pre.json').textContent(), /"eventID"/);

    // Resolve: the badge changes and the API agrees.
    const issueId = /\/issues\/(\d+)\//.exec(ui.url())[1];
    await ui.getByRole('button', { name: 'Resolve' }).click();
    await ui.getByTestId('issue-status').filter({ hasText: 'resolved' }).waitFor();
    const token = srv.token();
    const r = await fetch(`${srv.url}/api/0/issues/${issueId}/`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200);
    assert.equal((await r.json()).status, 'resolved');

    // Narrow and dark.
    await ui.setViewportSize({ width: 360, height: 780 });
    await ui.emulateMedia({ colorScheme: 'dark' });
    await shot(ui, '05-issue-360-dark.png');
    await ui.goto(`${srv.url}/organizations/acme-shop/projects/web-shop/?query=is%3Aresolved`);
    await ui.waitForSelector('.issue');
    await shot(ui, '06-issues-360-dark.png');
    await ui.setViewportSize({ width: 1280, height: 860 });
    await ui.emulateMedia({ colorScheme: 'light' });

    // Sign out, and back in through the sign-in page.
    await ui.getByRole('button', { name: 'Sign out' }).click();
    await ui.getByRole('heading', { name: 'Sign in' }).waitFor();
    await ui.getByLabel('Email').fill(EMAIL);
    await ui.getByLabel('Password').fill(PASSWORD);
    await ui.getByRole('button', { name: 'Sign in' }).click();
    await ui.getByRole('heading', { name: 'Projects' }).waitFor();
    assert.match(await ui.locator('.cards').textContent(), /Web Shop/);
    await shot(ui, '07-projects.png');

    // Account: two-factor enrolment shows the QR code (an <img> of our SVG), and an API token.
    await ui.getByRole('link', { name: 'Account' }).click();
    await ui.getByRole('button', { name: 'Set up two-factor authentication' }).click();
    const qr = ui.getByRole('img', { name: 'QR code for your authenticator app' });
    await qr.waitFor();
    assert.match(await qr.getAttribute('src'), /^data:image\/svg\+xml;base64,/);
    await ui.waitForFunction(() => document.querySelector('img.qr')?.naturalWidth > 0);
    await ui.getByLabel('Label').fill('deploy script');
    await ui.getByRole('button', { name: 'Create token' }).click();
    await ui.getByText('copy it now').waitFor();
    // the list is fetched again after the token is shown: wait for it rather than race it
    const tokens = ui.getByRole('list', { name: 'API tokens' });
    await tokens.getByText('deploy script').waitFor();
    assert.match(await tokens.textContent(), /deploy script/);
    await shot(ui, '08-account.png');

    assert.deepEqual(problems, [], 'no script errors or CSP violations in the UI');
}
