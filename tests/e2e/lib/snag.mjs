// Helpers for the end-to-end suite: start a fresh snag (its own port, temp data dir and
// database), bootstrap a user, token, organization, team and project through the real CLI and
// API, and talk to the API. Every test file starts its own server.
//
// The database is SQLite in the server's temp dir, or, with SNAG_E2E_PG_URL set (an admin URL
// to a running PostgreSQL, e.g. from scripts/pg.sh), a fresh PostgreSQL database per server
// (CREATE DATABASE snag_e2e_<random> through psql), dropped when the server stops.
//
// The server's stderr goes to a file; it is attached to the error of any failing test (use the
// `test` exported here instead of node:test's) and to the failure of stop(), which also fails
// when the server exits non-zero (a sanitizer report, a crash, a hang on shutdown).
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test as nodeTest } from 'node:test';
import { fileURLToPath } from 'node:url';

export const E2E_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CLIENTS_DIR = path.join(E2E_DIR, 'clients');
export const SENTRY_CLI = path.join(E2E_DIR, 'node_modules', '.bin', 'sentry-cli');
export const SYSTEM_PYTHON = '/usr/bin/python3';

const HEALTH_TIMEOUT_MS = 20000;
const STOP_TIMEOUT_MS = 20000;

const running = new Set();

export function snagBin() {
    const bin = process.env.SNAG_BIN;
    if (!bin) throw new Error('SNAG_BIN is not set (absolute path to the snag binary)');
    if (!path.isAbsolute(bin)) throw new Error(`SNAG_BIN must be absolute, got ${bin}`);
    fs.accessSync(bin, fs.constants.X_OK);
    return bin;
}

export function freePort() {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.unref();
        s.on('error', reject);
        s.listen(0, '127.0.0.1', () => {
            const { port } = s.address();
            s.close(() => resolve(port));
        });
    });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// A sleep that does not keep the process alive (for timeouts raced against other promises).
const sleepUnref = (ms) => new Promise((r) => setTimeout(r, ms).unref());

function tail(text, lines = 150) {
    const all = text.split('\n');
    return all.length > lines ? `[… ${all.length - lines} earlier lines]\n` + all.slice(-lines).join('\n') : text;
}

// Text that marks a sanitizer (ASan/UBSan/LSan) report in the server's log.
const SANITIZER_RE = /(ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:|SUMMARY: \w+Sanitizer)/;

/** Runs a snag subcommand synchronously with the server's environment; returns stdout. */
function snagCli(env, args, extraEnv = {}) {
    const r = spawnSync(snagBin(), args, {
        env: { ...env, ...extraEnv },
        encoding: 'utf8',
        timeout: 30000,
    });
    if (r.error) throw new Error(`snag ${args.join(' ')}: ${r.error.message}`);
    if (r.status !== 0) {
        throw new Error(`snag ${args.join(' ')} exited ${r.status} (signal ${r.signal})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    }
    if (SANITIZER_RE.test(r.stderr)) throw new Error(`snag ${args.join(' ')}: sanitizer report\n${r.stderr}`);
    return r.stdout;
}

/**
 * The PostgreSQL admin URL the suite runs against (SNAG_E2E_PG_URL), or '' for SQLite. With it
 * set, every server gets a fresh database of its own (createDatabase), dropped when it stops.
 */
export const PG_ADMIN_URL = process.env.SNAG_E2E_PG_URL || '';
export const onPostgres = () => PG_ADMIN_URL !== '';
/** node:test's skip option for PostgreSQL-only tests: false on PostgreSQL, else the reason. */
export const PG_ONLY = onPostgres() ? false : 'PostgreSQL only: set SNAG_E2E_PG_URL (scripts/test.sh does)';

const REPO_DIR = path.resolve(E2E_DIR, '..', '..');
const PG_SH = path.join(REPO_DIR, 'scripts', 'pg.sh');

/** Runs one SQL statement through Debian's psql on adminUrl; returns its unaligned output. */
export function psql(adminUrl, sql, { timeoutMs = 30000 } = {}) {
    const r = spawnSync('psql', [adminUrl, '-v', 'ON_ERROR_STOP=1', '-qtAX', '-c', sql], {
        encoding: 'utf8',
        timeout: timeoutMs,
        env: { ...process.env, PGCONNECT_TIMEOUT: '10' },
    });
    if (r.error) throw new Error(`psql (${sql}): ${r.error.message}`);
    if (r.status !== 0) throw new Error(`psql (${sql}) exited ${r.status} (signal ${r.signal}): ${r.stderr}`);
    return r.stdout.trim();
}

/**
 * CREATE DATABASE snag_e2e_<random> on the server of adminUrl. Returns {name, url, drop()}: url
 * is adminUrl with the new database's name (user, host, port and query kept); drop() removes
 * it (WITH (FORCE): any session still on it is ended), once.
 */
export function createDatabase(adminUrl = PG_ADMIN_URL) {
    if (!adminUrl) throw new Error('createDatabase: no PostgreSQL admin URL (SNAG_E2E_PG_URL)');
    const name = `snag_e2e_${crypto.randomBytes(6).toString('hex')}`;
    psql(adminUrl, `CREATE DATABASE ${name}`);
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    let dropped = false;
    return {
        name,
        url: u.toString(),
        drop() {
            if (dropped) return;
            dropped = true;
            psql(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        },
    };
}

/**
 * A dedicated throwaway PostgreSQL (scripts/pg.sh) for tests that stop and start their
 * database. Returns {dir, port, url (admin URL of its snag_test), log(), and async stop(),
 * start() (same folder and port) and destroy()}.
 */
export async function startPostgres() {
    // As root, pg.sh hands the folder to the postgres user; keep it out of other temp dirs.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snag-e2e-pg-'));
    const port = await freePort();
    // async: a test can keep traffic going while pg_ctl stops or starts the server
    const pgsh = async (...args) => {
        const r = await run('bash', [PG_SH, ...args], { timeoutMs: 60000 });
        if (r.code !== 0) throw new Error(`scripts/pg.sh ${args.join(' ')} exited ${r.code} (signal ${r.signal}): ${r.stderr}`);
        return r.stdout.trim();
    };
    const pg = { dir, port };
    pg.start = () => pgsh('start', dir, String(port));
    pg.stop = () => pgsh('stop', dir);
    pg.log = () => {
        const p = path.join(dir, 'server.log');
        return fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : '';
    };
    pg.destroy = async () => {
        try {
            await pg.stop();
        } finally {
            if (!process.env.SNAG_E2E_KEEP) fs.rmSync(dir, { recursive: true, force: true });
        }
    };
    try {
        pg.url = await pg.start();
    } catch (err) {
        fs.rmSync(dir, { recursive: true, force: true });
        throw err;
    }
    return pg;
}

/**
 * Spawns `snag serve` with env, its output appended to logPath, and waits for /_health/ 200.
 * Returns a node {url, port, dir, env, child, log(), logTail(), exited(), stop()}; stop() sends
 * SIGTERM and fails on a non-zero exit, a hang or a sanitizer report. The node is in `running`
 * (its log goes with any failing test's error) until it stops.
 */
async function spawnServe({ env, dir, logPath, port }) {
    const url = `http://127.0.0.1:${port}`;
    const logFd = fs.openSync(logPath, 'a');
    const child = spawn(snagBin(), ['serve'], { env, stdio: ['ignore', logFd, logFd] });
    fs.closeSync(logFd);
    let exited = null;
    const exitPromise = new Promise((resolve) => {
        child.on('exit', (code, signal) => {
            exited = { code, signal };
            resolve(exited);
        });
    });
    const node = {
        dir,
        url,
        port,
        env,
        child,
        log: () => (fs.existsSync(logPath) ? fs.readFileSync(logPath, 'utf8') : ''),
        exited: () => exited,
    };
    node.logTail = (n) => tail(node.log(), n);
    node.kill = () => killQuietly(node, exitPromise);
    running.add(node);

    let stopping = null;
    node.stop = () => {
        stopping ??= (async () => {
            running.delete(node);
            if (!exited) child.kill('SIGTERM');
            const res = await Promise.race([exitPromise, sleepUnref(STOP_TIMEOUT_MS).then(() => null)]);
            if (!res) {
                child.kill('SIGKILL');
                await exitPromise;
                throw new Error(`snag did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM\n--- snag server log ---\n${node.logTail()}`);
            }
            const log = node.log();
            if (res.code !== 0) {
                throw new Error(`snag exited with ${JSON.stringify(res)} after SIGTERM (expected code 0)\n--- snag server log ---\n${tail(log)}`);
            }
            if (SANITIZER_RE.test(log)) {
                throw new Error(`sanitizer report in the snag log\n--- snag server log ---\n${tail(log, 300)}`);
            }
        })();
        return stopping;
    };

    try {
        const deadline = Date.now() + HEALTH_TIMEOUT_MS;
        for (;;) {
            if (exited) throw new Error(`snag serve exited early: ${JSON.stringify(exited)}`);
            try {
                const r = await fetch(`${url}/_health/`, { signal: AbortSignal.timeout(1000) });
                await r.arrayBuffer();
                if (r.status === 200) break;
            } catch {
                /* not listening yet */
            }
            if (Date.now() > deadline) throw new Error(`snag did not answer 200 on /_health/ within ${HEALTH_TIMEOUT_MS} ms`);
            await sleep(50);
        }
    } catch (err) {
        await node.kill();
        err.message += `\n--- snag server log (${logPath}) ---\n${node.logTail()}`;
        throw err;
    }
    return node;
}

/** The environment of a snag serve on port with its data under dir and the given database. */
function serveEnv(port, dataDir, databaseUrl) {
    const env = {
        ...process.env,
        PORT: String(port),
        SNAG_BIND: '127.0.0.1',
        SNAG_THREADS: '4',
        DATABASE_URL: databaseUrl,
        SNAG_DATA_DIR: dataDir,
        GLITCHTIP_DOMAIN: `http://127.0.0.1:${port}`,
        ASAN_OPTIONS: process.env.ASAN_OPTIONS || 'detect_leaks=1:abort_on_error=1',
        UBSAN_OPTIONS: process.env.UBSAN_OPTIONS || 'print_stacktrace=1:halt_on_error=1',
    };
    delete env.SECRET_KEY; // generated in SNAG_DATA_DIR
    delete env.SENTRY_DSN;
    delete env.SNAG_E2E_PG_URL;
    return env;
}

/**
 * Starts a fresh snag. Returns {url, port, token, dsn, projectId, org, project, key, api, …, stop()}.
 * opts.name labels the temp directory; opts.env adds to the server's environment. The database is SQLite in the temp directory, or with
 * SNAG_E2E_PG_URL (or opts.pgAdminUrl) a fresh PostgreSQL database (srv.db), dropped by stop().
 * srv.startNode() starts another `snag serve` on the same database (PostgreSQL only).
 */
export async function startSnag(opts = {}) {
    const name = opts.name || 'snag';
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `snag-e2e-${name}-`));
    const dataDir = path.join(dir, 'data');
    fs.mkdirSync(dataDir);
    const logPath = path.join(dir, 'server.log');
    const port = await freePort();
    const pgAdmin = opts.pgAdminUrl || PG_ADMIN_URL;
    const db = pgAdmin ? createDatabase(pgAdmin) : null;
    const env = { ...serveEnv(port, dataDir, db ? db.url : `sqlite://${path.join(dir, 'snag.db')}`), ...(opts.env || {}) };

    const email = 'e2e-admin@example.com';
    const password = 'correct horse battery staple';

    let node;
    try {
        node = await spawnServe({ env, dir, logPath, port });
    } catch (err) {
        dropQuietly(db);
        throw err;
    }
    const srv = node;
    Object.assign(srv, { email, password, db, backend: db ? 'postgres' : 'sqlite' });
    const peers = [];

    try {
        snagCli(env, ['createsuperuser', '--email', email, '--noinput'], { SNAG_SUPERUSER_PASSWORD: password });
        const out = snagCli(env, ['token', 'create', '--email', email]);
        const token = out.trim();
        if (!/^\S{16,}$/.test(token)) throw new Error(`snag token create printed ${JSON.stringify(out)}, expected one token`);
        srv.token = token;

        srv.api = (method, p, body, headers = {}) => api(srv, method, p, body, headers);
        srv.apiOk = async (method, p, body, expectStatus) => {
            const r = await srv.api(method, p, body);
            const want = expectStatus ?? (method === 'POST' ? 201 : 200);
            if (r.status !== want) {
                throw new Error(`${method} ${p} → ${r.status} (expected ${want}): ${r.text.slice(0, 2000)}`);
            }
            return r.json;
        };

        srv.org = opts.org || 'e2e-org';
        srv.team = 'e2e-team';
        await srv.apiOk('POST', '/api/0/organizations/', { name: 'E2E Org', slug: srv.org });
        await srv.apiOk('POST', `/api/0/organizations/${srv.org}/teams/`, { name: 'E2E Team', slug: srv.team });
        const p = await createProject(srv, opts.project || 'e2e-project', opts.platform || 'node');
        Object.assign(srv, { project: p.slug, projectId: p.id, projectJson: p.json, key: p.key, dsn: p.dsn });
        srv.createProject = (slug, platform) => createProject(srv, slug, platform);
        srv.issues = (query = 'is:unresolved', project = srv.project) => listIssues(srv, project, query);
        srv.waitForIssues = (predicate, o) => waitForIssues(srv, predicate, o);
    } catch (err) {
        await node.kill();
        dropQuietly(db);
        err.message += `\n--- snag server log (${logPath}) ---\n${srv.logTail()}`;
        throw err;
    }

    // Another node on the same database: its own port, folder and log, the same SECRET_KEY
    // (as several machines behind one load balancer would be configured). The token, org and
    // project are the first node's; api() works against it like against srv.
    srv.startNode = async (nodeName = `node${peers.length + 2}`) => {
        if (!db) throw new Error('startNode: several nodes need PostgreSQL (SNAG_E2E_PG_URL)');
        const pdir = path.join(dir, nodeName);
        const pdata = path.join(pdir, 'data');
        fs.mkdirSync(pdata, { recursive: true });
        const pport = await freePort();
        const penv = serveEnv(pport, pdata, db.url);
        penv.SECRET_KEY = fs.readFileSync(path.join(dataDir, 'secret_key'), 'utf8').trim();
        const peer = await spawnServe({ env: penv, dir: pdir, logPath: path.join(pdir, 'server.log'), port: pport });
        Object.assign(peer, { token: srv.token, org: srv.org, project: srv.project, projectId: srv.projectId, key: srv.key });
        peer.api = (method, p, body, headers = {}) => api(peer, method, p, body, headers);
        peer.issues = (query = 'is:unresolved', project = srv.project) => listIssues(peer, project, query);
        peers.push(peer);
        return peer;
    };

    // Stops the other nodes first (their failures are reported too), then this one, then drops
    // the database; the temp folder goes unless SNAG_E2E_KEEP.
    const stopNode = srv.stop;
    let stopping = null;
    srv.stop = () => {
        stopping ??= (async () => {
            const errors = [];
            for (const peer of peers) await peer.stop().catch((e) => errors.push(e));
            await stopNode().catch((e) => errors.push(e));
            if (!process.env.SNAG_E2E_KEEP) {
                try {
                    db?.drop();
                } catch (e) {
                    errors.push(e);
                }
            }
            if (errors.length) throw errors[0];
            if (!process.env.SNAG_E2E_KEEP) fs.rmSync(dir, { recursive: true, force: true });
        })();
        return stopping;
    };
    return srv;
}

function dropQuietly(db) {
    if (!db || process.env.SNAG_E2E_KEEP) return;
    try {
        db.drop();
    } catch (e) {
        process.stderr.write(`e2e: could not drop database ${db.name}: ${e.message}\n`);
    }
}

async function killQuietly(node, exitPromise) {
    running.delete(node);
    if (!node.exited()) {
        node.child.kill('SIGKILL');
        await exitPromise;
    }
}

async function createProject(srv, slug, platform = 'node') {
    const json = await srv.apiOk('POST', `/api/0/teams/${srv.org}/${srv.team}/projects/`, {
        name: `Project ${slug}`,
        slug,
        platform,
    });
    if (!json || json.id === undefined) throw new Error(`project JSON without id: ${JSON.stringify(json)}`);
    const keys = await srv.apiOk('GET', `/api/0/projects/${srv.org}/${slug}/keys/`);
    if (!Array.isArray(keys) || keys.length === 0) throw new Error(`no client keys for new project: ${JSON.stringify(keys)}`);
    const key = keys[0];
    const dsn = key.dsn && key.dsn.public;
    if (!dsn) throw new Error(`key without dsn.public: ${JSON.stringify(key)}`);
    return { slug: json.slug || slug, id: String(json.id), json, key, dsn };
}

/** Calls the API with the server's token. Returns {status, headers, text, json}. */
export async function api(srv, method, p, body, headers = {}) {
    const init = {
        method,
        headers: { Authorization: `Bearer ${srv.token}`, ...headers },
        signal: AbortSignal.timeout(15000),
    };
    if (body !== undefined) {
        init.body = typeof body === 'string' ? body : JSON.stringify(body);
        init.headers['Content-Type'] = 'application/json';
    }
    const r = await fetch(srv.url + p, init);
    const text = await r.text();
    let json;
    try {
        json = text ? JSON.parse(text) : undefined;
    } catch {
        json = undefined;
    }
    return { status: r.status, headers: r.headers, text, json };
}

async function listIssues(srv, project, query) {
    const q = query === null ? '' : `?query=${encodeURIComponent(query)}`;
    const r = await srv.api('GET', `/api/0/projects/${srv.org}/${project}/issues/${q}`);
    if (r.status !== 200 || !Array.isArray(r.json)) {
        throw new Error(`GET issues (${query}) → ${r.status}: ${r.text.slice(0, 2000)}`);
    }
    return r.json;
}

/**
 * Polls the project's issue list (bounded) until predicate(list) is truthy; returns the list.
 * Ingest answers only after commit, so the first poll should already succeed.
 */
export async function waitForIssues(srv, predicate, { timeoutMs = 10000, query = 'is:unresolved', project } = {}) {
    const deadline = Date.now() + timeoutMs;
    let list = [];
    for (;;) {
        list = await listIssues(srv, project || srv.project, query);
        if (predicate(list)) return list;
        if (Date.now() > deadline) {
            throw new Error(`issues never matched within ${timeoutMs} ms; last list: ${JSON.stringify(list.map(brief), null, 1)}`);
        }
        await sleep(100);
    }
}

export function brief(issue) {
    return { id: issue.id, title: issue.title, culprit: issue.culprit, count: issue.count, status: issue.status };
}

/** Finds the entry of the given type in a Sentry event JSON's `entries`. */
export function entry(event, type) {
    return (event.entries || []).find((e) => e.type === type);
}

/** Tag value from an event or issue `tags` list ([{key, value}]). */
export function tagValue(obj, key) {
    const t = (obj.tags || []).find((x) => x.key === key);
    return t ? t.value : undefined;
}

/** Runs a command, resolves {code, signal, stdout, stderr}; never rejects on non-zero exit. */
export function run(cmd, args, { env, cwd, timeoutMs = 60000, input } = {}) {
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { env: env || process.env, cwd: cwd || E2E_DIR, stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        child.on('error', (e) => {
            clearTimeout(timer);
            reject(e);
        });
        child.on('close', (code, signal) => {
            clearTimeout(timer);
            resolve({ code, signal, stdout, stderr });
        });
        if (input !== undefined) child.stdin.end(input);
        else child.stdin.end();
    });
}

/** Parses the last line of a client script's stdout as JSON (its report). */
export function lastJsonLine(stdout) {
    const lines = stdout.trim().split('\n').filter(Boolean);
    if (!lines.length) throw new Error('client printed nothing on stdout');
    return JSON.parse(lines[lines.length - 1]);
}

/** Raw HTTP GET /_health/ → status. */
export async function healthStatus(srv) {
    const r = await fetch(`${srv.url}/_health/`, { signal: AbortSignal.timeout(5000) });
    await r.arrayBuffer();
    return r.status;
}

function attachLogs(err) {
    const logs = [...running].map((s) => `--- snag server log (${s.dir}) ---\n${s.logTail()}`).join('\n');
    if (!logs) return err;
    if (err instanceof Error) {
        err.message += `\n${logs}`;
        return err;
    }
    return new Error(`${String(err)}\n${logs}`);
}

/** node:test's test(), but a failure carries the tail of every running snag's log. */
export function test(name, optsOrFn, maybeFn) {
    const fn = typeof optsOrFn === 'function' ? optsOrFn : maybeFn;
    const opts = typeof optsOrFn === 'function' ? {} : optsOrFn;
    return nodeTest(name, opts, async (t) => {
        try {
            await fn(t);
        } catch (err) {
            throw attachLogs(err);
        }
    });
}

/** The event-id form the API uses: 32 lowercase hex digits. */
export const hexId = (id) => id.replace(/-/g, '').toLowerCase();
