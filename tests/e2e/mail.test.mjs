// Outgoing mail against a real SMTP conversation: snag sends with EMAIL_URL pointing at a
// small SMTP sink run by this test (lib/smtp.mjs). An invitation mails its accept link, and
// that link's token accepts the invitation; a password reset mails a link whose token sets
// a new password once.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { startSnag, test } from './lib/snag.mjs';
import { startSmtpSink } from './lib/smtp.mjs';

let srv, sink;

before(async () => {
    sink = await startSmtpSink();
    srv = await startSnag({
        name: 'mail',
        env: {
            EMAIL_URL: `smtp://127.0.0.1:${sink.port}`,
            DEFAULT_FROM_EMAIL: 'Snag Alerts <alerts@snag.example>',
            ENABLE_USER_REGISTRATION: 'true',
        },
    });
});

after(async () => {
    await srv?.stop();
    await sink?.close();
});

/** A request without the admin token, as a browser: {status, json, cookie}. */
async function browser(method, p, body, { cookie, csrf } = {}) {
    const headers = { 'Content-Type': 'application/json', Origin: srv.url };
    if (cookie) headers.Cookie = cookie;
    if (csrf) headers['X-CSRFToken'] = csrf;
    const r = await fetch(srv.url + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    const set = r.headers.getSetCookie().map((c) => c.split(';')[0]);
    return { status: r.status, text, json: text ? JSON.parse(text) : undefined, cookie: set.join('; ') };
}

const signIn = (email, password) => browser('POST', '/api/0/auth/session/', { email, password });

test('mail: an invitation is mailed with its accept link, which accepts it', { timeout: 60000 }, async () => {
    const invitee = 'invitee@example.com';
    const inv = await srv.apiOk('POST', `/api/0/organizations/${srv.org}/members/`, { email: invitee, role: 'member' });
    assert.match(inv.inviteLink, /\/accept\/\d+\/[0-9a-f]{64}\/$/, 'the link is still in the answer');

    const m = await sink.waitFor((x) => x.to.includes(invitee));
    assert.equal(m.from, 'alerts@snag.example', 'envelope sender');
    assert.equal(m.headers.from, 'Snag Alerts <alerts@snag.example>');
    assert.equal(m.headers.to, invitee);
    assert.match(m.headers.subject, /E2E Org/);
    assert.match(m.headers['content-type'], /text\/plain; charset=utf-8/);
    assert.ok(m.headers.date && m.headers['message-id'], 'Date and Message-ID');
    assert.ok(m.text.includes(inv.inviteLink), `the mail carries the link: ${m.text}`);

    const [, memberId, token] = /\/accept\/(\d+)\/([0-9a-f]{64})\//.exec(m.text);
    const reg = await browser('POST', '/api/0/auth/register/', { email: invitee, password: 'invitee passphrase 1' });
    assert.equal(reg.status, 201, reg.text);
    const acc = await browser('POST', `/api/0/accept/${memberId}/${token}/`, {}, { cookie: reg.cookie, csrf: reg.json.csrfToken });
    assert.equal(acc.status, 200, acc.text);
    assert.equal(acc.json.email, invitee);
    const orgs = await browser('GET', '/api/0/organizations/', undefined, { cookie: reg.cookie });
    assert.ok(orgs.json.some((o) => o.slug === srv.org), 'the invitee is now a member');
});

test('mail: a password reset is mailed and its link works once', { timeout: 60000 }, async () => {
    const email = 'forgetful@example.com';
    const oldPw = 'the old passphrase';
    const newPw = 'a brand new passphrase';
    const reg = await browser('POST', '/api/0/auth/register/', { email, password: oldPw });
    assert.equal(reg.status, 201, reg.text);

    // The same answer for an address without an account, and no mail for it.
    const nobody = await browser('POST', '/api/0/auth/password/reset/', { email: 'nobody@example.com' });
    const req = await browser('POST', '/api/0/auth/password/reset/', { email });
    assert.equal(nobody.status, 200);
    assert.equal(req.status, 200);
    assert.deepEqual(nobody.json, req.json);

    const m = await sink.waitFor((x) => x.to.includes(email));
    const match = new RegExp(`${srv.url}/reset-password/(\\d+)/([0-9a-f]{64})/`).exec(m.text);
    assert.ok(match, `the mail carries the reset link: ${m.text}`);
    const [, uid, token] = match;
    assert.ok(!sink.messages.some((x) => x.to.includes('nobody@example.com')), 'no mail for an unknown address');

    const bad = await browser('POST', '/api/0/auth/password/reset/confirm/', { uid, token: 'f'.repeat(64), new_password1: newPw, new_password2: newPw });
    assert.equal(bad.status, 400, bad.text);
    const weak = await browser('POST', '/api/0/auth/password/reset/confirm/', { uid, token, new_password1: 'short', new_password2: 'short' });
    assert.equal(weak.status, 400, 'the strength rules of registration apply');
    const ok = await browser('POST', '/api/0/auth/password/reset/confirm/', { uid, token, new_password1: newPw, new_password2: newPw });
    assert.equal(ok.status, 200, ok.text);

    const stale = await browser('GET', '/api/0/auth/session/', undefined, { cookie: reg.cookie });
    assert.equal(stale.status, 401, 'the sessions of the user are signed out');
    assert.equal((await signIn(email, oldPw)).status, 400, 'the old password fails');
    const fresh = await signIn(email, newPw);
    assert.equal(fresh.status, 200, fresh.text);
    const again = await browser('POST', '/api/0/auth/password/reset/confirm/', { uid, token, new_password1: 'yet another passphrase', new_password2: 'yet another passphrase' });
    assert.equal(again.status, 400, 'the link works once');
    assert.equal((await signIn(email, newPw)).status, 200);
});
