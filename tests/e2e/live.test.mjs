// Live updates over the WebSocket at /api/0/live/, with a tiny RFC 6455 client (lib/ws.mjs):
// refused without credentials (401) and for a session cookie from a foreign Origin (403); the
// superuser (Bearer token) receives an event an SDK just sent, while a user of another
// organization (signed in with the session cookie, from our own Origin) receives nothing.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before } from 'node:test';
import { startSnag, test } from './lib/snag.mjs';
import { wsOpen } from './lib/ws.mjs';

let srv;
before(async () => {
    srv = await startSnag({ name: 'live', env: { ENABLE_USER_REGISTRATION: 'true', ENABLE_ORGANIZATION_CREATION: 'true' } });
});
after(async () => {
    await srv?.stop();
});

test('live: refused without credentials or from a foreign origin; scoped to the orgs of the user', { timeout: 60000 }, async () => {
    assert.equal((await wsOpen(srv.url)).status, 401);

    // Another user, in an organization of their own, signed in by the session cookie.
    const reg = await fetch(`${srv.url}/api/0/auth/register/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: 'other@example.com', password: 'another long passphrase' }),
    });
    assert.equal(reg.status, 201, await reg.clone().text());
    const cookie = reg.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
    const { csrfToken } = await reg.json();
    const org = await fetch(`${srv.url}/api/0/organizations/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Cookie: cookie, 'X-CSRFToken': csrfToken, Origin: srv.url },
        body: JSON.stringify({ name: 'Other Org' }),
    });
    assert.equal(org.status, 201, await org.clone().text());

    assert.equal((await wsOpen(srv.url, { Cookie: cookie, Origin: 'http://evil.example' })).status, 403);
    assert.equal((await wsOpen(srv.url, { Cookie: cookie })).status, 403, 'a cookie needs our Origin');
    const other = await wsOpen(srv.url, { Cookie: cookie, Origin: srv.url });
    assert.equal(other.status, 101);
    const admin = await wsOpen(srv.url, { Authorization: `Bearer ${srv.token}` });
    assert.equal(admin.status, 101);
    try {
        assert.ok(await admin.next((m) => m.type === 'hello', 5000), 'hello');
        assert.ok(await other.next((m) => m.type === 'hello', 5000), 'hello');

        const eventId = crypto.randomBytes(16).toString('hex');
        const r = await fetch(`${srv.url}/api/${srv.projectId}/store/`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'X-Sentry-Auth': `Sentry sentry_key=${new URL(srv.dsn).username}, sentry_version=7` },
            body: JSON.stringify({ event_id: eventId, message: 'live e2e: pushed', level: 'warning', platform: 'node' }),
        });
        assert.equal(r.status, 200, await r.text());
        const ev = await admin.next((m) => m.type === 'event' && m.eventId === eventId, 10000);
        assert.ok(ev, `the event was pushed: ${JSON.stringify(admin.messages)}`);
        assert.equal(ev.projectId, String(srv.projectId));
        assert.equal(ev.level, 'warning');
        assert.match(ev.issueId, /^\d+$/);
        await new Promise((res) => setTimeout(res, 1000));
        assert.deepEqual(
            other.messages.filter((m) => m.type !== 'hello'),
            [],
            'a user of another organization receives nothing of this one',
        );
    } finally {
        admin.close();
        other.close();
    }
});
