// The pages mailed links open, end to end in Chromium (playwright-core) against a snag that
// sends its mail to this test's SMTP sink (lib/smtp.mjs) and has ENABLE_USER_REGISTRATION=false.
// Forgotten password: "Forgot password?" on the sign-in page → the address → "Check your mail"
// → the link from the mail → a new password → signing in works with it, not with the old one.
// Invitation: the owner invites new@example.com on the members page → the link from the mail,
// opened in another browser → "Create your account" there (registration is closed, the link
// allows it) → the new user lands in the organization and sees its projects; the owner's
// members page lists them as a member, no longer pending; the used link is refused. Every
// step is checked through the API too; screenshots go to a folder printed by the tests.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { startSnag, test } from './lib/snag.mjs';
import { startSmtpSink } from './lib/smtp.mjs';
import { NO_CHROMIUM, launchChromium, screenshots, watch } from './lib/browser.mjs';

const NEW_OWNER_PW = 'a brand new owner passphrase';
const INVITEE = 'new@example.com';
const INVITEE_PW = 'the invitee passphrase';

let srv, sink, shooter;
let ownerPassword; // the reset test changes it

before(async () => {
    if (NO_CHROMIUM) return;
    shooter = screenshots('ui-auth');
    sink = await startSmtpSink();
    srv = await startSnag({
        name: 'ui-auth',
        env: { EMAIL_URL: `smtp://127.0.0.1:${sink.port}`, ENABLE_USER_REGISTRATION: 'false' },
    });
    ownerPassword = srv.password;
});

after(async () => {
    await srv?.stop();
    await sink?.close();
});

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

/** The status of a password sign-in over plain HTTP. */
async function signInStatus(email, password) {
    const r = await fetch(`${srv.url}/api/0/auth/session/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email, password }),
    });
    await r.arrayBuffer();
    return r.status;
}

/** The first link in the mail to `to` that matches re (its groups too). */
async function linkFromMail(to, re) {
    const m = await sink.waitFor((x) => x.to.includes(to) && re.test(x.text));
    return re.exec(m.text);
}

test('UI: a forgotten password is reset through the mailed link', { skip: NO_CHROMIUM, timeout: 120000 }, (t) =>
    onPage(t, 'failure-reset.png', async (ui, problems) => {
        const shot = shooter.shot;
        await ui.goto(`${srv.url}/login/`);
        await ui.getByRole('link', { name: 'Forgot password?' }).click();
        await ui.getByRole('heading', { name: 'Forgot password' }).waitFor();
        await ui.getByLabel('Email').fill(srv.email);
        await shot(ui, '01-forgot-password.png');
        await ui.getByRole('button', { name: 'Send the link' }).click();
        await ui.getByRole('heading', { name: 'Check your mail' }).waitFor();
        assert.match(await ui.getByRole('status').textContent(), new RegExp(`If ${srv.email.replace(/\./g, '\\.')} has an account here`));
        await shot(ui, '02-check-your-mail.png');

        const [link] = await linkFromMail(srv.email, new RegExp(`${srv.url}/reset-password/\\d+/[0-9a-f]{64}/`));
        await ui.goto(link);
        await ui.getByRole('heading', { name: 'Choose a new password' }).waitFor();
        // the rules are checked in the page first
        await ui.getByLabel('New password').fill(NEW_OWNER_PW);
        await ui.getByLabel('Repeat the password').fill(`${NEW_OWNER_PW}!`);
        await ui.getByRole('button', { name: 'Set password' }).click();
        await ui.getByRole('alert').filter({ hasText: 'The two passwords differ.' }).waitFor();
        await ui.getByLabel('Repeat the password').fill(NEW_OWNER_PW);
        await shot(ui, '03-new-password.png');
        await ui.getByRole('button', { name: 'Set password' }).click();
        await ui.getByRole('heading', { name: 'Password changed' }).waitFor();
        await shot(ui, '04-password-changed.png');
        assert.equal(await signInStatus(srv.email, srv.password), 400, 'the old password fails');

        // Sign in: the old password is refused, the new one works.
        await ui.getByRole('button', { name: 'Sign in' }).click();
        await ui.getByRole('heading', { name: 'Sign in' }).waitFor();
        await ui.getByLabel('Email').fill(srv.email);
        await ui.getByLabel('Password').fill(srv.password);
        await ui.getByRole('button', { name: 'Sign in' }).click();
        await ui.getByRole('alert').waitFor();
        await shot(ui, '05-old-password-refused.png');
        await ui.getByLabel('Password').fill(NEW_OWNER_PW);
        await ui.getByRole('button', { name: 'Sign in' }).click();
        await ui.getByRole('heading', { name: 'Projects' }).waitFor();
        ownerPassword = NEW_OWNER_PW;
        assert.equal(await signInStatus(srv.email, NEW_OWNER_PW), 200);

        // The link worked once.
        await ui.goto(link);
        await ui.getByLabel('New password').fill('yet another passphrase');
        await ui.getByLabel('Repeat the password').fill('yet another passphrase');
        await ui.getByRole('button', { name: 'Set password' }).click();
        await ui.getByRole('alert').filter({ hasText: 'invalid or has expired' }).waitFor();
        assert.equal(await signInStatus(srv.email, NEW_OWNER_PW), 200);

        // Chromium logs the two refusals asked for above (the old password, the used link).
        const refused = problems.filter((p) => /status of 400/.test(p));
        assert.equal(refused.length, 2, JSON.stringify(problems));
        assert.deepEqual(
            problems.filter((p) => !refused.includes(p)),
            [],
            'no script errors or CSP violations in the UI',
        );
    }),
);

test('UI: an invitee without an account creates it from the mailed link', { skip: NO_CHROMIUM, timeout: 120000 }, (t) =>
    onPage(t, 'failure-invite-owner.png', async (ui, problems) => {
        const shot = shooter.shot;
        // The owner invites on the members page.
        await ui.goto(`${srv.url}/login/`);
        await ui.getByLabel('Email').fill(srv.email);
        await ui.getByLabel('Password').fill(ownerPassword);
        await ui.getByRole('button', { name: 'Sign in' }).click();
        await ui.getByRole('heading', { name: 'Projects' }).waitFor();
        await ui.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Members' }).click();
        await ui.getByRole('heading', { name: 'Members', exact: true }).waitFor();
        await ui.getByLabel('Email').fill(INVITEE);
        await ui.getByLabel('Role', { exact: true }).selectOption('member');
        await ui.getByRole('button', { name: 'Invite' }).click();
        await ui.getByRole('list', { name: 'Pending invitations' }).getByText(INVITEE, { exact: true }).waitFor();
        const shown = (await ui.getByTestId('invite-link').textContent()).trim();

        const [link] = await linkFromMail(INVITEE, new RegExp(`${srv.url}/accept/\\d+/[0-9a-f]{64}/`));
        assert.equal(link, shown, 'the mailed link is the one shown');
        assert.equal(await signInStatus(INVITEE, INVITEE_PW), 400, 'no account yet');
        const closed = await fetch(`${srv.url}/api/0/auth/register/`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ email: INVITEE, password: INVITEE_PW }),
        });
        assert.equal(closed.status, 403, 'registration is closed without the link');

        // The invitee, in a browser of their own.
        const browserB = await launchChromium();
        try {
            const pageB = await browserB.newPage();
            const problemsB = watch(pageB);
            try {
                await pageB.goto(link);
                await pageB.getByRole('heading', { name: 'Create your account' }).waitFor();
                assert.match(await pageB.locator('.authcard').textContent(), /E2E Org invited new@example\.com to join as Member/);
                const email = pageB.getByLabel('Email');
                assert.equal(await email.inputValue(), INVITEE);
                assert.equal(await email.isEditable(), false, 'the address is the invited one');
                await pageB.getByLabel('Password', { exact: true }).fill(INVITEE_PW);
                await pageB.getByLabel('Repeat the password').fill(`${INVITEE_PW}?`);
                await pageB.getByRole('button', { name: 'Create account and join' }).click();
                await pageB.getByRole('alert').filter({ hasText: 'The two passwords differ.' }).waitFor();
                await pageB.getByLabel('Repeat the password').fill(INVITEE_PW);
                await shooter.shot(pageB, '06-invite-create-account.png');
                await pageB.getByRole('button', { name: 'Create account and join' }).click();

                // … lands in the organization, with its projects.
                await pageB.getByRole('heading', { name: 'Projects' }).waitFor();
                assert.equal(new URL(pageB.url()).pathname, `/organizations/${srv.org}/projects/`);
                await pageB.getByRole('list', { name: 'Projects' }).getByText(srv.projectJson.name, { exact: true }).waitFor();
                await shooter.shot(pageB, '07-invitee-projects.png');
                assert.equal(await signInStatus(INVITEE, INVITEE_PW), 200, 'the account works');

                // The link is used up.
                await pageB.goto(link);
                await pageB.getByRole('heading', { name: 'Invitation not found' }).waitFor();
                assert.deepEqual(problemsB, [], 'no script errors or CSP violations in the invitee browser');
            } catch (err) {
                await shooter.shot(pageB, 'failure-invitee.png').catch(() => {});
                err.message += `\ninvitee UI at ${pageB.url()}; problems: ${JSON.stringify(problemsB)}`;
                throw err;
            }
        } finally {
            await browserB.close();
        }

        // The owner's members page: a member now, no longer pending.
        await ui.reload();
        await ui.getByRole('list', { name: 'Members' }).locator('strong', { hasText: INVITEE }).waitFor();
        await ui.getByText('No open invitations.').waitFor();
        await shot(ui, '08-members-after-accept.png');
        const members = await srv.apiOk('GET', `/api/0/organizations/${srv.org}/members/`);
        const m = members.find((x) => x.email === INVITEE);
        assert.ok(m && !m.pending && m.role === 'member', JSON.stringify(members));

        assert.deepEqual(problems, [], 'no script errors or CSP violations in the UI');
    }),
);
