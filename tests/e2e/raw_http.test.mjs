// Raw HTTP against a real snag's ingest endpoints: every auth form, every content encoding,
// chunked bodies, envelope framing variants, bad inputs (400/401/403/413/415, never 500, nothing
// stored, server still healthy), CORS, duplicate event ids and reopening resolved issues.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { after, before } from 'node:test';
import zlib from 'node:zlib';
import { brief, entry, healthStatus, hexId, startSnag, test } from './lib/snag.mjs';

let s;
let key; // public key of the main project
let other; // a second project {id, key}

before(async () => {
    s = await startSnag({ name: 'raw-http', platform: 'other', project: 'raw-project' });
    key = s.key.public;
    assert.match(key, /^[0-9a-zA-Z]+$/, `unexpected public key ${key}`);
    const p = await s.createProject('other-project', 'other');
    other = { id: p.id, key: p.key.public, slug: p.slug };
});
after(async () => {
    await s?.stop().catch(() => {});
});

// --- helpers -------------------------------------------------------------------------------

const newId = () => crypto.randomUUID().replace(/-/g, '');
const storePath = (pid = s.projectId, q = '') => `/api/${pid}/store/${q}`;
const envelopePath = (pid = s.projectId, q = '') => `/api/${pid}/envelope/${q}`;
const sentryAuth = (k = key) => `Sentry sentry_version=7, sentry_client=snag-e2e/1.0, sentry_key=${k}`;

/** A minimal message event with a unique message (so it makes its own issue). */
function mkEvent(label, extra = {}) {
    return {
        event_id: newId(),
        timestamp: Date.now() / 1000,
        level: 'error',
        platform: 'other',
        logentry: { formatted: `raw-http ${label} ${crypto.randomBytes(4).toString('hex')}` },
        ...extra,
    };
}

function envelope(headerObj, items) {
    const parts = [Buffer.from(JSON.stringify(headerObj) + '\n')];
    for (const it of items) {
        const payload = Buffer.isBuffer(it.payload) ? it.payload : Buffer.from(typeof it.payload === 'string' ? it.payload : JSON.stringify(it.payload));
        const h = { ...it.header };
        if (it.withLength) h.length = payload.length;
        parts.push(Buffer.from(JSON.stringify(h) + '\n'), payload, Buffer.from('\n'));
    }
    return Buffer.concat(parts);
}

/** Envelope carrying one event; item header without length unless withLength. */
function eventEnvelope(ev, { withLength = false, header = {} } = {}) {
    return envelope({ event_id: ev.event_id, sent_at: new Date().toISOString(), ...header }, [
        { header: { type: 'event' }, payload: ev, withLength },
    ]);
}

/**
 * One HTTP request with full control over headers and framing (node:http, no agent). With
 * chunked, the body goes out in pieces with Transfer-Encoding: chunked and no Content-Length.
 */
function request(path, { method = 'POST', headers = {}, body, chunked = false, timeoutMs = 30000 } = {}) {
    return new Promise((resolve, reject) => {
        const h = { ...headers };
        const buf = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body);
        if (buf && !chunked) h['Content-Length'] = buf.length;
        const started = Date.now();
        let answered = false;
        const req = http.request({ host: '127.0.0.1', port: s.port, path, method, headers: h, agent: false }, (res) => {
            answered = true;
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('error', reject);
            res.on('end', () => {
                const text = Buffer.concat(chunks).toString('utf8');
                let json;
                try {
                    json = text ? JSON.parse(text) : undefined;
                } catch {
                    json = undefined;
                }
                resolve({ status: res.statusCode, headers: res.headers, text, json, ms: Date.now() - started });
            });
        });
        req.on('error', (err) => {
            // The server may answer (413) before reading a huge body and close; the answer wins.
            if (!answered) reject(err);
        });
        req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        if (!buf) return req.end();
        if (chunked) {
            const step = Math.max(1, Math.ceil(buf.length / 7));
            for (let i = 0; i < buf.length; i += step) req.write(buf.subarray(i, i + step));
            req.end();
        } else {
            req.end(buf);
        }
    });
}

/**
 * Sends a request over a bare socket and reads the answer even when the server answers early
 * and stops reading (an oversized body): write errors after the answer are ignored.
 */
function rawExchange(path, { headers = {}, body, chunked = false, timeoutMs = 30000 }) {
    return new Promise((resolve, reject) => {
        const sock = net.connect(s.port, '127.0.0.1');
        const started = Date.now();
        const chunks = [];
        let done = false;
        const finish = () => {
            if (done) return;
            const raw = Buffer.concat(chunks);
            const sep = raw.indexOf('\r\n\r\n');
            if (sep < 0) {
                done = true;
                sock.destroy();
                return reject(new Error(`no HTTP answer (got ${JSON.stringify(raw.toString('latin1').slice(0, 200))})`));
            }
            const head = raw.subarray(0, sep).toString('latin1').split('\r\n');
            const status = Number(head[0].split(' ')[1]);
            const hdrs = {};
            for (const line of head.slice(1)) {
                const i = line.indexOf(':');
                hdrs[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
            }
            let rest = raw.subarray(sep + 4);
            if (hdrs['content-length'] !== undefined) {
                const n = Number(hdrs['content-length']);
                if (rest.length < n) return; // wait for more
                rest = rest.subarray(0, n);
            } else if (/chunked/i.test(hdrs['transfer-encoding'] || '')) {
                const out = [];
                let pos = 0;
                for (;;) {
                    const eol = rest.indexOf('\r\n', pos);
                    if (eol < 0) return;
                    const n = parseInt(rest.subarray(pos, eol).toString('latin1'), 16);
                    if (n === 0) break;
                    if (rest.length < eol + 2 + n) return;
                    out.push(rest.subarray(eol + 2, eol + 2 + n));
                    pos = eol + 2 + n + 2;
                }
                rest = Buffer.concat(out);
            }
            done = true;
            sock.destroy();
            const text = rest.toString('utf8');
            let json;
            try {
                json = JSON.parse(text);
            } catch {
                json = undefined;
            }
            resolve({ status, headers: hdrs, text, json, ms: Date.now() - started });
        };
        sock.on('data', (d) => {
            chunks.push(d);
            finish();
        });
        sock.on('end', finish);
        sock.on('close', finish);
        sock.on('error', () => {}); // EPIPE/ECONNRESET once the server stops reading
        sock.setTimeout(timeoutMs, () => {
            if (!done) {
                done = true;
                sock.destroy();
                reject(new Error(`no answer within ${timeoutMs} ms`));
            }
        });
        const lines = [`POST ${path} HTTP/1.1`, `Host: 127.0.0.1:${s.port}`, 'Connection: close'];
        for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
        lines.push(chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${body.length}`);
        sock.write(lines.join('\r\n') + '\r\n\r\n');
        (async () => {
            // Give an early answer (decided from the headers alone) time to arrive before the
            // body: once the server closes with unread data, the kernel may reset the connection
            // and discard the answer.
            await new Promise((r) => setTimeout(r, 100));
            const step = 64 * 1024;
            for (let i = 0; i < body.length && !done && !sock.destroyed; i += step) {
                const part = body.subarray(i, i + step);
                const data = chunked ? Buffer.concat([Buffer.from(part.length.toString(16) + '\r\n'), part, Buffer.from('\r\n')]) : part;
                if (!sock.write(data)) await new Promise((r) => sock.once('drain', r).once('close', r));
                await new Promise((r) => setImmediate(r)); // let an early answer be read
            }
            if (chunked && !done && !sock.destroyed) sock.write('0\r\n\r\n');
        })();
    });
}

async function getEvent(id, project = s.project) {
    return s.api('GET', `/api/0/projects/${s.org}/${project}/events/${hexId(id)}/`);
}

/** Asserts an ingest answer is 200 {"id": <event id>} and the event is stored. */
async function assertAccepted(r, ev, what) {
    assert.equal(r.status, 200, `${what}: expected 200, got ${r.status} ${r.text}`);
    assert.equal(r.json?.id, hexId(ev.event_id), `${what}: answer ${r.text}`);
    const got = await getEvent(ev.event_id);
    assert.equal(got.status, 200, `${what}: event ${ev.event_id} not stored (GET → ${got.status} ${got.text})`);
    assert.equal(got.json.eventID, hexId(ev.event_id));
    assert.equal(got.json.title, ev.logentry?.formatted ?? got.json.title);
    return got.json;
}

/** Asserts a rejection: expected status(es), JSON detail, never 5xx, CORS header present. */
function assertRejected(r, statuses, what) {
    const want = Array.isArray(statuses) ? statuses : [statuses];
    assert.ok(want.includes(r.status), `${what}: expected ${want.join('/')}, got ${r.status} ${r.text.slice(0, 500)}`);
    assert.equal(typeof r.json?.detail, 'string', `${what}: no JSON {"detail"} in ${JSON.stringify(r.text.slice(0, 500))}`);
    assert.ok(r.json.detail.length > 0, `${what}: empty detail`);
}

async function assertNotStored(ev, what) {
    const got = await getEvent(ev.event_id);
    assert.equal(got.status, 404, `${what}: a rejected event was stored (GET → ${got.status})`);
}

async function issueCount() {
    return (await s.issues('')).length;
}

const gz = (b) => zlib.gzipSync(b);
const json = (o) => Buffer.from(JSON.stringify(o));

// --- authentication ------------------------------------------------------------------------

test('auth: X-Sentry-Auth header on /store/', async () => {
    const ev = mkEvent('x-sentry-auth store');
    const r = await request(storePath(), { headers: { 'X-Sentry-Auth': sentryAuth(), 'Content-Type': 'application/json' }, body: json(ev) });
    await assertAccepted(r, ev, 'X-Sentry-Auth /store/');
});

test('auth: X-Sentry-Auth header on /envelope/', async () => {
    const ev = mkEvent('x-sentry-auth envelope');
    const r = await request(envelopePath(), {
        headers: { 'X-Sentry-Auth': sentryAuth(), 'Content-Type': 'application/x-sentry-envelope' },
        body: eventEnvelope(ev),
    });
    await assertAccepted(r, ev, 'X-Sentry-Auth /envelope/');
});

test('auth: Authorization: Sentry … header', async () => {
    const ev = mkEvent('authorization header');
    const r = await request(storePath(), { headers: { Authorization: sentryAuth(), 'Content-Type': 'application/json' }, body: json(ev) });
    await assertAccepted(r, ev, 'Authorization: Sentry');
    const ev2 = mkEvent('authorization header envelope');
    const r2 = await request(envelopePath(), { headers: { Authorization: sentryAuth() }, body: eventEnvelope(ev2) });
    await assertAccepted(r2, ev2, 'Authorization: Sentry on /envelope/');
});

test('auth: ?sentry_key= query string (browser style)', async () => {
    const ev = mkEvent('query key');
    const q = `?sentry_version=7&sentry_key=${key}&sentry_client=sentry.javascript.browser%2F11.12.0`;
    const r = await request(envelopePath(s.projectId, q), { body: eventEnvelope(ev) });
    await assertAccepted(r, ev, '?sentry_key= on /envelope/');
    const ev2 = mkEvent('query key store');
    const r2 = await request(storePath(s.projectId, q), { headers: { 'Content-Type': 'application/json' }, body: json(ev2) });
    await assertAccepted(r2, ev2, '?sentry_key= on /store/');
});

test('auth: dsn in the envelope header only', async () => {
    const ev = mkEvent('envelope dsn');
    const r = await request(envelopePath(), { body: eventEnvelope(ev, { header: { dsn: s.dsn } }) });
    await assertAccepted(r, ev, 'envelope-header dsn');
});

test('auth: no credentials → 401 with detail, nothing stored', async () => {
    const ev = mkEvent('no auth');
    const r = await request(storePath(), { headers: { 'Content-Type': 'application/json' }, body: json(ev) });
    assertRejected(r, 401, 'no auth /store/');
    const ev2 = mkEvent('no auth envelope');
    const r2 = await request(envelopePath(), { body: eventEnvelope(ev2) });
    assertRejected(r2, [401, 403], 'no auth /envelope/');
    await assertNotStored(ev, 'no auth /store/');
    await assertNotStored(ev2, 'no auth /envelope/');
});

test('auth: unknown key → 401/403, nothing stored', async () => {
    const unknown = crypto.randomBytes(16).toString('hex');
    const ev = mkEvent('unknown key');
    const r = await request(storePath(), { headers: { 'X-Sentry-Auth': sentryAuth(unknown) }, body: json(ev) });
    assertRejected(r, [401, 403], 'unknown key /store/');
    const ev2 = mkEvent('unknown key envelope');
    const r2 = await request(envelopePath(s.projectId, `?sentry_key=${unknown}`), { body: eventEnvelope(ev2) });
    assertRejected(r2, [401, 403], 'unknown key /envelope/');
    const ev3 = mkEvent('unknown key dsn');
    const badDsn = s.dsn.replace(key, unknown);
    assert.notEqual(badDsn, s.dsn);
    const r3 = await request(envelopePath(), { body: eventEnvelope(ev3, { header: { dsn: badDsn } }) });
    assertRejected(r3, [401, 403], 'unknown key in envelope dsn');
    for (const e of [ev, ev2, ev3]) await assertNotStored(e, 'unknown key');
});

test("auth: another project's key → 403, nothing stored in either project", async () => {
    assert.notEqual(other.key, key);
    const ev = mkEvent('foreign key');
    const r = await request(storePath(), { headers: { 'X-Sentry-Auth': sentryAuth(other.key) }, body: json(ev) });
    assertRejected(r, 403, "other project's key on /store/");
    const ev2 = mkEvent('foreign key envelope');
    const r2 = await request(envelopePath(s.projectId, `?sentry_key=${other.key}`), { body: eventEnvelope(ev2) });
    assertRejected(r2, 403, "other project's key on /envelope/");
    for (const e of [ev, ev2]) {
        await assertNotStored(e, 'foreign key');
        const inOther = await getEvent(e.event_id, other.slug);
        assert.equal(inOther.status, 404, 'event stored in the project the key belongs to');
    }
    // The key does work for its own project.
    const ev3 = mkEvent('own key');
    const r3 = await request(storePath(other.id), { headers: { 'X-Sentry-Auth': sentryAuth(other.key) }, body: json(ev3) });
    assert.equal(r3.status, 200, r3.text);
    assert.equal((await getEvent(ev3.event_id, other.slug)).status, 200);
});

// --- encodings and framing -------------------------------------------------------------------

const encoders = {
    identity: (b) => b,
    gzip: (b) => zlib.gzipSync(b),
    deflate: (b) => zlib.deflateSync(b), // zlib-wrapped, what "deflate" means in HTTP
    br: (b) => zlib.brotliCompressSync(b),
};

for (const [name, enc] of Object.entries(encoders)) {
    test(`Content-Encoding: ${name} on /store/ and /envelope/`, async () => {
        const ev = mkEvent(`encoding ${name} store`);
        const headers = { 'X-Sentry-Auth': sentryAuth(), 'Content-Type': 'application/json' };
        if (name !== 'identity') headers['Content-Encoding'] = name;
        const r = await request(storePath(), { headers, body: enc(json(ev)) });
        await assertAccepted(r, ev, `${name} /store/`);
        const ev2 = mkEvent(`encoding ${name} envelope`);
        const h2 = { 'X-Sentry-Auth': sentryAuth() };
        if (name !== 'identity') h2['Content-Encoding'] = name;
        const r2 = await request(envelopePath(), { headers: h2, body: enc(eventEnvelope(ev2)) });
        await assertAccepted(r2, ev2, `${name} /envelope/`);
    });
}

test('Content-Encoding: deflate without the zlib wrapper (raw deflate)', async () => {
    const ev = mkEvent('encoding raw deflate');
    const r = await request(storePath(), {
        headers: { 'X-Sentry-Auth': sentryAuth(), 'Content-Encoding': 'deflate' },
        body: zlib.deflateRawSync(json(ev)),
    });
    await assertAccepted(r, ev, 'raw deflate');
});

test('Content-Encoding: zstd (via the zstd command)', async (t) => {
    const probe = spawnSync('zstd', ['--version'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) {
        t.skip('the `zstd` command is not installed (apt-get install zstd); zstd decoding is covered by the unit tests');
        return;
    }
    const compress = (b) => {
        const r = spawnSync('zstd', ['-q', '-c', '-'], { input: b });
        assert.equal(r.status, 0, String(r.stderr));
        return r.stdout;
    };
    const ev = mkEvent('encoding zstd store');
    const r = await request(storePath(), { headers: { 'X-Sentry-Auth': sentryAuth(), 'Content-Encoding': 'zstd' }, body: compress(json(ev)) });
    await assertAccepted(r, ev, 'zstd /store/');
    const ev2 = mkEvent('encoding zstd envelope');
    const r2 = await request(envelopePath(), { headers: { 'X-Sentry-Auth': sentryAuth(), 'Content-Encoding': 'zstd' }, body: compress(eventEnvelope(ev2)) });
    await assertAccepted(r2, ev2, 'zstd /envelope/');
});

test('chunked request bodies without Content-Length (plain and gzip)', async () => {
    const ev = mkEvent('chunked envelope', { extra: { filler: 'f'.repeat(20000) } });
    const r = await request(envelopePath(s.projectId, `?sentry_key=${key}&sentry_version=7`), { body: eventEnvelope(ev), chunked: true });
    await assertAccepted(r, ev, 'chunked /envelope/');
    const ev2 = mkEvent('chunked gzip store', { extra: { filler: crypto.randomBytes(20000).toString('hex') } });
    const r2 = await request(storePath(), {
        headers: { 'X-Sentry-Auth': sentryAuth(), 'Content-Encoding': 'gzip', 'Content-Type': 'application/json' },
        body: gz(json(ev2)),
        chunked: true,
    });
    await assertAccepted(r2, ev2, 'chunked gzip /store/');
});

test('envelope Content-Type: text/plain;charset=UTF-8, none, and application/x-sentry-envelope', async () => {
    for (const ct of ['text/plain;charset=UTF-8', undefined, 'application/x-sentry-envelope']) {
        const ev = mkEvent(`content-type ${ct ?? 'none'}`);
        const headers = { 'X-Sentry-Auth': sentryAuth() };
        if (ct) headers['Content-Type'] = ct;
        const r = await request(envelopePath(), { headers, body: eventEnvelope(ev) });
        await assertAccepted(r, ev, `Content-Type ${ct ?? '(none)'}`);
    }
});

test('event ids: hyphenated and uppercase forms are accepted and normalised', async () => {
    const uuid = crypto.randomUUID().toUpperCase(); // 36 chars, dashes, uppercase
    const ev = mkEvent('hyphenated uppercase envelope');
    ev.event_id = uuid;
    const r = await request(envelopePath(), { headers: { 'X-Sentry-Auth': sentryAuth() }, body: eventEnvelope(ev) });
    await assertAccepted(r, ev, 'hyphenated uppercase envelope event_id');
    assert.match(r.json.id, /^[0-9a-f]{32}$/);

    const ev2 = mkEvent('uppercase store');
    ev2.event_id = newId().toUpperCase();
    const r2 = await request(storePath(), { headers: { 'X-Sentry-Auth': sentryAuth() }, body: json(ev2) });
    await assertAccepted(r2, ev2, 'uppercase /store/ event_id');

    const ev3 = mkEvent('hyphenated store');
    ev3.event_id = crypto.randomUUID();
    const r3 = await request(storePath(), { headers: { 'X-Sentry-Auth': sentryAuth() }, body: json(ev3) });
    await assertAccepted(r3, ev3, 'hyphenated /store/ event_id');
});

test('envelope framing: items with and without length, binary attachment, unknown item, no final newline', async () => {
    const ev = mkEvent('framing with length');
    const r = await request(envelopePath(), { headers: { 'X-Sentry-Auth': sentryAuth() }, body: eventEnvelope(ev, { withLength: true }) });
    await assertAccepted(r, ev, 'event item with length');

    // An attachment whose payload contains \n and \r\n (needs its length), a session and an
    // unknown item type without length, then the event without length and no final newline.
    const ev2 = mkEvent('framing mixed');
    const attachment = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('line one\r\nline two\n{"type":"event"}\n'), crypto.randomBytes(64)]);
    const body = Buffer.concat([
        Buffer.from(JSON.stringify({ event_id: ev2.event_id, sent_at: new Date().toISOString() }) + '\n'),
        Buffer.from(JSON.stringify({ type: 'attachment', length: attachment.length, filename: 'notes.bin', content_type: 'application/octet-stream' }) + '\n'),
        attachment,
        Buffer.from('\n'),
        Buffer.from(JSON.stringify({ type: 'session' }) + '\n'),
        Buffer.from(JSON.stringify({ sid: crypto.randomUUID(), init: true, started: new Date().toISOString(), status: 'ok', attrs: { release: 'raw@1' } }) + '\n'),
        Buffer.from(JSON.stringify({ type: 'some_future_item_type' }) + '\n'),
        Buffer.from(JSON.stringify({ whatever: [1, 2, 3] }) + '\n'),
        Buffer.from(JSON.stringify({ type: 'event' }) + '\n'),
        json(ev2), // no trailing newline
    ]);
    const r2 = await request(envelopePath(), { headers: { 'X-Sentry-Auth': sentryAuth() }, body });
    await assertAccepted(r2, ev2, 'mixed envelope');

    // An envelope with no event (only a client report) is fine too.
    const r3 = await request(envelopePath(), {
        headers: { 'X-Sentry-Auth': sentryAuth() },
        body: envelope({}, [{ header: { type: 'client_report' }, payload: { timestamp: Date.now() / 1000, discarded_events: [] } }]),
    });
    assert.equal(r3.status, 200, r3.text);
});

test('envelope header event_id wins over the payload event_id', async () => {
    const ev = mkEvent('header id wins');
    const headerId = newId();
    const body = envelope({ event_id: headerId }, [{ header: { type: 'event' }, payload: ev }]);
    const r = await request(envelopePath(), { headers: { 'X-Sentry-Auth': sentryAuth() }, body });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json?.id, headerId);
    const got = await getEvent(headerId);
    assert.equal(got.status, 200, `event not stored under the envelope header id: ${got.status}`);
    assert.equal(got.json.title, ev.logentry.formatted);
    assert.equal((await getEvent(ev.event_id)).status, 404, 'event stored under the payload id');
});

// --- bad inputs -------------------------------------------------------------------------------

test('bad inputs are rejected with 4xx + JSON detail, nothing is stored, server stays healthy', async () => {
    const before = await issueCount();
    const auth = { 'X-Sentry-Auth': sentryAuth() };
    const cases = [];
    const add = (what, path, opts, statuses, ev) => cases.push({ what, path, opts, statuses, ev });

    const evBrokenJson = mkEvent('broken json');
    add('broken JSON on /store/', storePath(), { headers: auth, body: json(evBrokenJson).subarray(0, 40) }, 400);
    add('broken envelope header JSON', envelopePath(), { headers: auth, body: Buffer.from('{"event_id": oops\n{"type":"event"}\n{}\n') }, 400);

    const evBrokenGzip = mkEvent('broken gzip');
    const gzBody = gz(json(evBrokenGzip));
    const corrupt = Buffer.from(gzBody);
    corrupt.fill(0x55, 12, Math.min(corrupt.length - 8, 40));
    add('broken gzip on /store/', storePath(), { headers: { ...auth, 'Content-Encoding': 'gzip' }, body: corrupt }, 400, evBrokenGzip);
    add('not gzip at all', envelopePath(), { headers: { ...auth, 'Content-Encoding': 'gzip' }, body: Buffer.from('this is not gzip data at all') }, 400);
    add('truncated gzip', storePath(), { headers: { ...auth, 'Content-Encoding': 'gzip' }, body: gzBody.subarray(0, gzBody.length - 12) }, 400, evBrokenGzip);
    add('broken brotli', storePath(), { headers: { ...auth, 'Content-Encoding': 'br' }, body: crypto.randomBytes(64) }, 400);

    const evTrunc = mkEvent('truncated envelope');
    const full = eventEnvelope(evTrunc, { withLength: true });
    add('truncated envelope (item shorter than its length)', envelopePath(), { headers: auth, body: full.subarray(0, full.length - 30) }, 400, evTrunc);
    const evBadLen = mkEvent('bad length');
    const payload = json(evBadLen);
    add(
        'envelope item length pointing into the middle of the payload',
        envelopePath(),
        { headers: auth, body: Buffer.concat([Buffer.from(`{"event_id":"${evBadLen.event_id}"}\n{"type":"event","length":10}\n`), payload, Buffer.from('\n')]) },
        400,
        evBadLen,
    );

    add('unknown Content-Encoding', storePath(), { headers: { ...auth, 'Content-Encoding': 'snappy' }, body: json(mkEvent('unknown encoding')) }, [400, 415]);
    add('empty body on /store/', storePath(), { headers: auth, body: Buffer.alloc(0) }, 400);
    add('empty body on /envelope/', envelopePath(), { headers: auth, body: Buffer.alloc(0) }, 400);

    const evBig = mkEvent('oversized event', { extra: { blob: 'x'.repeat(1200 * 1024) } });
    add('event over 1 MiB (gzip-compressed body) on /store/', storePath(), { headers: { ...auth, 'Content-Encoding': 'gzip' }, body: gz(json(evBig)) }, 413, evBig);
    const evBig2 = mkEvent('oversized envelope event', { extra: { blob: 'y'.repeat(1200 * 1024) } });
    add('event item over 1 MiB in an envelope', envelopePath(), { headers: auth, body: eventEnvelope(evBig2) }, 413, evBig2);
    const evBig3 = mkEvent('oversized identity', { extra: { blob: 'z'.repeat(1100 * 1024) } });
    add('event over 1 MiB uncompressed on /store/', storePath(), { headers: auth, body: json(evBig3) }, 413, evBig3);

    for (const c of cases) {
        const r = await request(c.path, c.opts);
        assert.ok(r.status < 500, `${c.what}: server error ${r.status} ${r.text}`);
        assertRejected(r, c.statuses, c.what);
        if (c.ev) await assertNotStored(c.ev, c.what);
        assert.equal(await healthStatus(s), 200, `server unhealthy after: ${c.what}`);
    }
    assert.equal(await issueCount(), before, 'a rejected request created an issue');
});

test('an event just under 1 MiB is accepted (the limit is not too tight)', async () => {
    const ev = mkEvent('large but fine', { extra: { blob: 'w'.repeat(700 * 1024) } });
    const r = await request(storePath(), { headers: { 'X-Sentry-Auth': sentryAuth(), 'Content-Encoding': 'gzip' }, body: gz(json(ev)) });
    await assertAccepted(r, ev, '700 KiB event');
});

test('gzip bomb (200 MB of zeros) → 413 quickly, server healthy', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(200 * 1024 * 1024), { level: 9 });
    assert.ok(bomb.length < 1024 * 1024, `bomb is ${bomb.length} bytes`);
    const auth = { 'X-Sentry-Auth': sentryAuth(), 'Content-Encoding': 'gzip' };
    const r = await request(envelopePath(), { headers: auth, body: bomb });
    assertRejected(r, 413, 'gzip bomb on /envelope/');
    assert.ok(r.ms < 10000, `gzip bomb took ${r.ms} ms to reject`);
    const r2 = await request(storePath(), { headers: auth, body: bomb });
    assertRejected(r2, 413, 'gzip bomb on /store/');
    assert.ok(r2.ms < 10000, `gzip bomb on /store/ took ${r2.ms} ms to reject`);
    assert.equal(await healthStatus(s), 200);
});

test('request body over 20 MiB → 413, server healthy', async () => {
    const body = Buffer.alloc(21 * 1024 * 1024, 0x20);
    const r = await rawExchange(envelopePath(), { headers: { 'X-Sentry-Auth': sentryAuth() }, body });
    assertRejected(r, 413, '21 MiB body');
    const r2 = await rawExchange(envelopePath(), { headers: { 'X-Sentry-Auth': sentryAuth() }, body, chunked: true });
    assertRejected(r2, 413, '21 MiB chunked body');
    assert.equal(await healthStatus(s), 200);
});

// --- CORS --------------------------------------------------------------------------------------

const headerList = (v) => (v || '').split(',').map((x) => x.trim().toLowerCase()).filter(Boolean);

test('CORS preflight: OPTIONS on the ingest endpoints', async () => {
    for (const p of [envelopePath(), storePath()]) {
        const r = await request(p, {
            method: 'OPTIONS',
            headers: {
                Origin: 'https://app.example.com',
                'Access-Control-Request-Method': 'POST',
                'Access-Control-Request-Headers': 'content-type, x-sentry-auth, content-encoding',
            },
        });
        assert.equal(r.status, 200, `OPTIONS ${p}: ${r.status} ${r.text}`);
        assert.equal(r.headers['access-control-allow-origin'], '*');
        assert.ok(headerList(r.headers['access-control-allow-methods']).includes('post'), `allow-methods: ${r.headers['access-control-allow-methods']}`);
        const allowed = headerList(r.headers['access-control-allow-headers']);
        for (const h of ['content-type', 'x-sentry-auth', 'content-encoding', 'authorization']) {
            assert.ok(allowed.includes(h), `allow-headers lacks ${h}: ${r.headers['access-control-allow-headers']}`);
        }
    }
});

test('CORS on POST answers, including errors: Allow-Origin and Expose-Headers', async () => {
    const ev = mkEvent('cors post');
    const r = await request(envelopePath(s.projectId, `?sentry_key=${key}&sentry_version=7`), {
        headers: { Origin: 'https://app.example.com', 'Content-Type': 'text/plain;charset=UTF-8' },
        body: eventEnvelope(ev),
    });
    await assertAccepted(r, ev, 'browser-style POST');
    assert.equal(r.headers['access-control-allow-origin'], '*');
    const exposed = headerList(r.headers['access-control-expose-headers']);
    for (const h of ['x-sentry-error', 'x-sentry-rate-limits', 'retry-after']) {
        assert.ok(exposed.includes(h), `expose-headers lacks ${h}: ${r.headers['access-control-expose-headers']}`);
    }
    const bad = await request(envelopePath(), { headers: { Origin: 'https://app.example.com' }, body: eventEnvelope(mkEvent('cors no auth')) });
    assertRejected(bad, [401, 403], 'browser-style POST without key');
    assert.equal(bad.headers['access-control-allow-origin'], '*', 'error answers need CORS headers too, or the SDK cannot read them');
});

// --- semantics ---------------------------------------------------------------------------------

test('duplicate event_id is stored once (count stays 1)', async () => {
    const ev = mkEvent('duplicate');
    const headers = { 'X-Sentry-Auth': sentryAuth() };
    const r1 = await request(storePath(), { headers, body: json(ev) });
    await assertAccepted(r1, ev, 'first copy');
    const r2 = await request(storePath(), { headers, body: json(ev) });
    assert.equal(r2.status, 200, `a retried event must not fail: ${r2.status} ${r2.text}`);
    const r3 = await request(envelopePath(), { headers, body: eventEnvelope(ev) });
    assert.equal(r3.status, 200, `a retried event must not fail: ${r3.status} ${r3.text}`);
    const issues = await s.issues(`is:unresolved ${ev.logentry.formatted}`);
    assert.equal(issues.length, 1, JSON.stringify(issues.map(brief)));
    assert.equal(issues[0].count, '1', 'the duplicate was counted');
    const events = await s.apiOk('GET', `/api/0/issues/${issues[0].id}/events/`);
    assert.deepEqual(events.map((e) => e.eventID), [hexId(ev.event_id)]);
});

test('duplicate event_id sent concurrently is stored once', async () => {
    const ev = mkEvent('concurrent duplicate');
    const headers = { 'X-Sentry-Auth': sentryAuth() };
    const answers = await Promise.all(Array.from({ length: 8 }, () => request(storePath(), { headers, body: json(ev) })));
    assert.deepEqual(answers.map((a) => a.status), Array(8).fill(200), answers.map((a) => a.text).join('\n'));
    const issues = await s.issues(`is:unresolved ${ev.logentry.formatted}`);
    assert.equal(issues.length, 1, JSON.stringify(issues.map(brief)));
    assert.equal(issues[0].count, '1');
});

test('message events group by template (logentry.message), not by params', async () => {
    const tmpl = `raw-http job %s failed on host %s ${crypto.randomBytes(3).toString('hex')}`;
    const a = { ...mkEvent('tmpl'), logentry: { message: tmpl, params: ['alpha', 'db1'], formatted: tmpl.replace('%s', 'alpha').replace('%s', 'db1') } };
    const b = { ...mkEvent('tmpl'), logentry: { message: tmpl, params: ['beta', 'db2'], formatted: tmpl.replace('%s', 'beta').replace('%s', 'db2') } };
    for (const ev of [a, b]) await assertAccepted(await request(storePath(), { headers: { 'X-Sentry-Auth': sentryAuth() }, body: json(ev) }), ev, 'template event');
    const ga = await getEvent(a.event_id);
    const gb = await getEvent(b.event_id);
    assert.equal(ga.json.groupID, gb.json.groupID, 'same template, different params → same issue');
    const detail = await s.apiOk('GET', `/api/0/issues/${ga.json.groupID}/`);
    assert.equal(detail.count, '2');
    assert.equal(entry(ga.json, 'message')?.data?.message, tmpl);
});

test('exceptions group by type + in-app frames, not line numbers or message', async () => {
    const frames = (line, fn2 = 'charge') => [
        { filename: 'app/main.py', module: 'app.main', function: 'run', lineno: 10 + line, in_app: true },
        { filename: 'app/pay.py', module: 'app.pay', function: fn2, lineno: 40 + line, in_app: true },
        { filename: '/usr/lib/python3/socket.py', module: 'socket', function: 'connect', lineno: 99 + line, in_app: false },
    ];
    const exc = (type, value, fr) => ({ exception: { values: [{ type, value, stacktrace: { frames: fr } }] }, platform: 'python' });
    const tag = crypto.randomBytes(3).toString('hex');
    const e1 = { ...mkEvent('exc'), ...exc(`PaymentError${tag}`, 'card 1111 declined', frames(0)) };
    const e2 = { ...mkEvent('exc'), ...exc(`PaymentError${tag}`, 'card 2222 declined', frames(7)) };
    const e3 = { ...mkEvent('exc'), ...exc(`PaymentError${tag}`, 'card 1111 declined', frames(0, 'refund')) };
    const e4 = { ...mkEvent('exc'), ...exc(`TimeoutError${tag}`, 'card 1111 declined', frames(0)) };
    for (const ev of [e1, e2, e3, e4]) {
        delete ev.logentry;
        const r = await request(storePath(), { headers: { 'X-Sentry-Auth': sentryAuth() }, body: json(ev) });
        assert.equal(r.status, 200, r.text);
    }
    const g = {};
    for (const [n, ev] of Object.entries({ e1, e2, e3, e4 })) {
        const got = await getEvent(ev.event_id);
        assert.equal(got.status, 200, `${n} not stored`);
        g[n] = got.json.groupID;
    }
    assert.equal(g.e1, g.e2, 'different line numbers and message → same issue');
    assert.notEqual(g.e1, g.e3, 'different in-app function → different issue');
    assert.notEqual(g.e1, g.e4, 'different exception type → different issue');
    const issue = await s.apiOk('GET', `/api/0/issues/${g.e1}/`);
    assert.equal(issue.count, '2');
    // Sentry refreshes title/culprit/metadata from the newest event; either event's value is fine.
    assert.match(issue.title, new RegExp(`^PaymentError${tag}: card (1111|2222) declined$`));
    assert.equal(issue.culprit, 'app.pay in charge');
});

test('a resolved issue reopens when a new event arrives', async () => {
    const label = `reopen ${crypto.randomBytes(4).toString('hex')}`;
    const ev1 = mkEvent(label);
    ev1.logentry.formatted = `raw-http ${label}`;
    const headers = { 'X-Sentry-Auth': sentryAuth() };
    await assertAccepted(await request(storePath(), { headers, body: json(ev1) }), ev1, 'first event');
    const id = (await getEvent(ev1.event_id)).json.groupID;
    assert.ok(id, 'event has no groupID');

    const put = await s.api('PUT', `/api/0/issues/${id}/`, { status: 'resolved' });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json?.status, 'resolved');
    assert.equal((await s.apiOk('GET', `/api/0/issues/${id}/`)).status, 'resolved');
    const unresolved = await s.issues(`is:unresolved raw-http ${label}`);
    assert.deepEqual(unresolved.map((i) => i.id), []);
    const resolved = await s.issues(`is:resolved raw-http ${label}`);
    assert.deepEqual(resolved.map((i) => String(i.id)), [String(id)]);

    const ev2 = mkEvent(label);
    ev2.logentry.formatted = `raw-http ${label}`;
    await assertAccepted(await request(storePath(), { headers, body: json(ev2) }), ev2, 'event after resolve');
    assert.equal((await getEvent(ev2.event_id)).json.groupID, id, 'the new event joined another issue');
    const detail = await s.apiOk('GET', `/api/0/issues/${id}/`);
    assert.equal(detail.status, 'unresolved', 'a new event must reopen a resolved issue');
    assert.equal(detail.count, '2');
    const again = await s.issues(`is:unresolved raw-http ${label}`);
    assert.deepEqual(again.map((i) => String(i.id)), [String(id)]);
});

test('API errors are JSON {"detail"}: bad token, unknown issue, bad status', async () => {
    const r = await fetch(`${s.url}/api/0/projects/${s.org}/${s.project}/issues/`, { headers: { Authorization: 'Bearer not-a-token' } });
    assert.equal(r.status, 401);
    assert.equal(typeof (await r.json()).detail, 'string');
    const missing = await s.api('GET', '/api/0/issues/987654321/');
    assert.equal(missing.status, 404);
    assert.equal(typeof missing.json?.detail, 'string');
    const anyIssue = (await s.issues(''))[0];
    const bad = await s.api('PUT', `/api/0/issues/${anyIssue.id}/`, { status: 'definitely-not-a-status' });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(typeof bad.json?.detail, 'string');
});

test('snag shuts down cleanly (exit 0, no sanitizer report)', async () => {
    assert.equal(await healthStatus(s), 200);
    await s.stop();
});
