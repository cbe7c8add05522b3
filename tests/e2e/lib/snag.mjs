// Helpers for the end-to-end suite: start a fresh snag (its own port, temp data dir and SQLite
// database), bootstrap a user, token, organization, team and project through the real CLI and
// API, and talk to the API. Every test file starts its own server.
//
// The server's stderr goes to a file; it is attached to the error of any failing test (use the
// `test` exported here instead of node:test's) and to the failure of stop(), which also fails
// when the server exits non-zero (a sanitizer report, a crash, a hang on shutdown).
import { spawn, spawnSync } from 'node:child_process';
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
 * Starts a fresh snag. Returns {url, port, token, dsn, projectId, org, project, key, api, …, stop()}.
 * opts.name labels the temp directory.
 */
export async function startSnag(opts = {}) {
    const name = opts.name || 'snag';
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `snag-e2e-${name}-`));
    const dataDir = path.join(dir, 'data');
    fs.mkdirSync(dataDir);
    const logPath = path.join(dir, 'server.log');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = {
        ...process.env,
        PORT: String(port),
        SNAG_BIND: '127.0.0.1',
        SNAG_THREADS: '4',
        DATABASE_URL: `sqlite://${path.join(dir, 'snag.db')}`,
        SNAG_DATA_DIR: dataDir,
        GLITCHTIP_DOMAIN: url,
        ASAN_OPTIONS: process.env.ASAN_OPTIONS || 'detect_leaks=1:abort_on_error=1',
        UBSAN_OPTIONS: process.env.UBSAN_OPTIONS || 'print_stacktrace=1:halt_on_error=1',
    };
    delete env.SECRET_KEY; // generated in SNAG_DATA_DIR
    delete env.SENTRY_DSN;

    const email = 'e2e-admin@example.com';
    const password = 'correct horse battery staple';

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

    const srv = {
        dir,
        url,
        port,
        env,
        email,
        password,
        child,
        log: () => (fs.existsSync(logPath) ? fs.readFileSync(logPath, 'utf8') : ''),
        exited: () => exited,
    };
    srv.logTail = (n) => tail(srv.log(), n);
    running.add(srv);

    try {
        // Wait for /_health/.
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
        await killQuietly(srv, exitPromise);
        err.message += `\n--- snag server log (${logPath}) ---\n${srv.logTail()}`;
        throw err;
    }

    let stopping = null;
    srv.stop = () => {
        stopping ??= (async () => {
            running.delete(srv);
            if (!exited) child.kill('SIGTERM');
            const res = await Promise.race([exitPromise, sleepUnref(STOP_TIMEOUT_MS).then(() => null)]);
            if (!res) {
                child.kill('SIGKILL');
                await exitPromise;
                throw new Error(`snag did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM\n--- snag server log ---\n${srv.logTail()}`);
            }
            const log = srv.log();
            if (res.code !== 0) {
                throw new Error(`snag exited with ${JSON.stringify(res)} after SIGTERM (expected code 0)\n--- snag server log ---\n${tail(log)}`);
            }
            if (SANITIZER_RE.test(log)) {
                throw new Error(`sanitizer report in the snag log\n--- snag server log ---\n${tail(log, 300)}`);
            }
            if (!process.env.SNAG_E2E_KEEP) fs.rmSync(dir, { recursive: true, force: true });
        })();
        return stopping;
    };
    return srv;
}

async function killQuietly(srv, exitPromise) {
    running.delete(srv);
    if (!srv.exited()) {
        srv.child.kill('SIGKILL');
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
