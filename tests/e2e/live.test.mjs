// Live updates over the WebSocket at /api/0/live/, with a tiny RFC 6455 client on node:http:
// refused without credentials (401) and for a session cookie from a foreign Origin (403); the
// superuser (Bearer token) receives an event an SDK just sent, while a user of another
// organization (signed in with the session cookie, from our own Origin) receives nothing.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { after, before } from 'node:test';
import { startSnag, test } from './lib/snag.mjs';

let srv;
before(async () => {
    srv = await startSnag({ name: 'live', env: { ENABLE_USER_REGISTRATION: 'true', ENABLE_ORGANIZATION_CREATION: 'true' } });
});
after(async () => {
    await srv?.stop();
});

/** Opens a WebSocket; resolves {status} when refused, or {status: 101, messages, next(ms), close()}. */
function wsOpen(url, headers = {}) {
    return new Promise((resolve, reject) => {
        const u = new URL('/api/0/live/', url);
        const req = http.request(u, {
            headers: {
                Connection: 'Upgrade',
                Upgrade: 'websocket',
                'Sec-WebSocket-Version': '13',
                'Sec-WebSocket-Key': crypto.randomBytes(16).toString('base64'),
                ...headers,
            },
        });
        req.on('response', (res) => {
            res.resume();
            resolve({ status: res.statusCode });
        });
        req.on('upgrade', (res, socket, head) => resolve(wsClient(socket, head)));
        req.on('error', reject);
        req.end();
    });
}

function wsClient(socket, head) {
    let buf = head;
    const messages = [];
    const waiters = [];
    const parse = (d) => {
        buf = Buffer.concat([buf, d]);
        for (;;) {
            if (buf.length < 2) return;
            let len = buf[1] & 0x7f;
            let off = 2;
            if (len === 126) {
                if (buf.length < 4) return;
                len = buf.readUInt16BE(2);
                off = 4;
            }
            if (buf.length < off + len) return;
            const op = buf[0] & 0x0f;
            const payload = buf.subarray(off, off + len).toString('utf8');
            buf = buf.subarray(off + len);
            if (op === 1) {
                messages.push(JSON.parse(payload));
                waiters.splice(0).forEach((w) => w());
            }
        }
    };
    buf = Buffer.alloc(0);
    parse(head); // the first frames may arrive with the 101
    socket.on('data', parse);
    const next = (pred, ms) =>
        new Promise((resolve) => {
            const check = () => {
                const m = messages.find(pred);
                if (m) {
                    clearTimeout(t);
                    resolve(m);
                    return true;
                }
                waiters.push(check);
                return false;
            };
            const t = setTimeout(() => resolve(null), ms);
            check();
        });
    return { status: 101, messages, next, close: () => socket.destroy() };
}

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
