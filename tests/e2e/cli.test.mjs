// The snag command line as operators use it: --help/--version, configuration errors exit 2
// naming the variable, createsuperuser and token create, a .env file in the working folder.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { createDatabase, freePort, onPostgres, snagBin } from './lib/snag.mjs';

function run(args, env = {}, opts = {}) {
    const dir = opts.cwd || fs.mkdtempSync(path.join(os.tmpdir(), 'snag-cli-'));
    const r = spawnSync(snagBin(), args, {
        cwd: dir,
        env: { PATH: process.env.PATH, SNAG_DATA_DIR: path.join(dir, 'data'), ...env },
        encoding: 'utf8',
        timeout: 30000,
        input: opts.input,
    });
    return { ...r, dir };
}

test('--version and --help', () => {
    const v = run(['--version']);
    assert.equal(v.status, 0);
    assert.match(v.stdout, /^snag \d+\.\d+\.\d+/);
    const h = run(['--help']);
    assert.equal(h.status, 0);
    for (const cmd of ['serve', 'migrate', 'createsuperuser', 'token create']) assert.ok(h.stdout.includes(cmd), cmd);
    const none = run([]);
    assert.equal(none.status, 2);
    const bad = run(['frobnicate']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown command/);
});

test('a bad configuration value exits 2 and names the variable', () => {
    const cases = [
        { PORT: 'eighty' },
        { PORT: '70000' },
        { DATABASE_URL: 'mysql://x/y' },
        { GLITCHTIP_DOMAIN: 'example.com' },
        { ENABLE_USER_REGISTRATION: 'perhaps' },
        { GLITCHTIP_MAX_EVENT_LIFE_DAYS: '-3' },
    ];
    for (const env of cases) {
        const name = Object.keys(env)[0];
        const r = run(['migrate'], env);
        assert.equal(r.status, 2, `${name}=${env[name]}: ${r.stderr}`);
        assert.ok(r.stderr.includes(name), `stderr names ${name}: ${r.stderr}`);
    }
});

test('a .env file in the working folder is read, and the environment wins over it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snag-cli-env-'));
    fs.writeFileSync(path.join(dir, '.env'), 'PORT=not-a-port\n');
    const r = run(['migrate'], {}, { cwd: dir });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /PORT/);
    const ok = run(['migrate'], { PORT: '8123' }, { cwd: dir });
    assert.equal(ok.status, 0, ok.stderr);
});

test('createsuperuser and token create', (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snag-cli-users-'));
    // on the suite's backend: a fresh PostgreSQL database with SNAG_E2E_PG_URL, else SQLite
    const db = onPostgres() ? createDatabase() : null;
    if (db) t.after(() => db.drop());
    const env = { DATABASE_URL: db ? db.url : `sqlite://${path.join(dir, 'cli.db')}` };
    const noPw = run(['createsuperuser', '--email', 'a@example.com', '--noinput'], env, { cwd: dir });
    assert.equal(noPw.status, 2, 'needs SNAG_SUPERUSER_PASSWORD');
    const short = run(['createsuperuser', '--email', 'a@example.com', '--noinput'],
        { ...env, SNAG_SUPERUSER_PASSWORD: 'short' }, { cwd: dir });
    assert.equal(short.status, 2);
    const ok = run(['createsuperuser', '--email', 'a@example.com', '--noinput'],
        { ...env, SNAG_SUPERUSER_PASSWORD: 'a long enough password' }, { cwd: dir });
    assert.equal(ok.status, 0, ok.stderr);
    const again = run(['createsuperuser', '--email', 'a@example.com', '--noinput'],
        { ...env, SNAG_SUPERUSER_PASSWORD: 'a long enough password' }, { cwd: dir });
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already exists/);
    // prompted password (not a terminal: read from stdin, twice)
    const prompted = run(['createsuperuser', '--email', 'b@example.com'], env,
        { cwd: dir, input: 'another long password\nanother long password\n' });
    assert.equal(prompted.status, 0, prompted.stderr);
    const mismatch = run(['createsuperuser', '--email', 'c@example.com'], env,
        { cwd: dir, input: 'another long password\ndifferent password!\n' });
    assert.equal(mismatch.status, 2);
    const tok = run(['token', 'create', '--email', 'a@example.com'], env, { cwd: dir });
    assert.equal(tok.status, 0, tok.stderr);
    assert.match(tok.stdout, /^[0-9a-f]{64}\n$/, 'only the token on stdout');
    const tok2 = run(['token', 'create', '--email', 'a@example.com'], env, { cwd: dir });
    assert.notEqual(tok2.stdout, tok.stdout);
    const nobody = run(['token', 'create', '--email', 'nobody@example.com'], env, { cwd: dir });
    assert.equal(nobody.status, 1);
    assert.equal(nobody.stdout, '');
});

/** Starts `snag serve` in dir until it logs that it serves, then stops it; returns its log. */
async function serveOnce(dir, port) {
    const child = spawn(snagBin(), ['serve'], {
        cwd: dir,
        env: { PATH: process.env.PATH, SNAG_DATA_DIR: path.join(dir, 'data'), PORT: String(port), SNAG_BIND: '127.0.0.1' },
        stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr.on('data', (d) => { log += d; });
    const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 20000;
    while (!/serving on/.test(log) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    const code = await exited;
    assert.equal(code, 0, log);
    return log;
}

test('serve generates a SECRET_KEY into the data folder once, with a warning, and keeps it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snag-cli-secret-'));
    const port = await freePort();
    const log1 = await serveOnce(dir, port);
    assert.match(log1, /SECRET_KEY is not set/);
    const keyPath = path.join(dir, 'data', 'secret_key');
    const key = fs.readFileSync(keyPath, 'utf8');
    assert.match(key, /^[0-9a-f]{64}$/);
    assert.equal(fs.statSync(keyPath).mode & 0o777, 0o600);
    assert.ok(fs.existsSync(path.join(dir, 'data', 'snag.db')), 'default database under ./data');
    await serveOnce(dir, port);
    assert.equal(fs.readFileSync(keyPath, 'utf8'), key, 'the same key on the next start');
    fs.rmSync(dir, { recursive: true, force: true });
});
