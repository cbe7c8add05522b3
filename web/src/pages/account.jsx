// Account settings: password, two-factor authentication (enrolment with the QR code,
// recovery codes, disabling), API tokens (create — shown once —, list, revoke), and the
// signed-in sessions (sign out one, or all but this one).
import { useEffect, useState } from 'preact/hooks';
import { api, enc } from '../lib/api.js';
import { base64Utf8 } from '../lib/format.js';
import { describeUserAgent } from '../lib/useragent.js';
import { CopyButton, ErrorBox, Field, Time } from '../components/ui.jsx';

const SCOPES = ['org:read', 'org:write', 'org:admin', 'team:read', 'team:write', 'project:read', 'project:write', 'project:releases', 'event:read', 'event:write', 'event:admin', 'member:read'];

export function AccountPage({ session }) {
    return (
        <div class="page narrow">
            <h1>Account</h1>
            <p class="muted">Signed in as {session.user && session.user.email}</p>
            <PasswordCard />
            <TwoFactorCard />
            <TokensCard />
            <SessionsCard />
        </div>
    );
}

function PasswordCard() {
    const [msg, setMsg] = useState(null);
    const [error, setError] = useState(null);
    const submit = async (e) => {
        e.preventDefault();
        const form = e.currentTarget;
        const f = new FormData(form);
        setMsg(null);
        setError(null);
        if (f.get('newPassword') !== f.get('newPassword2')) return setError(new Error('The new passwords differ.'));
        try {
            await api('PUT', '/api/0/auth/password/', { currentPassword: f.get('currentPassword'), newPassword: f.get('newPassword') });
            setMsg('Password changed. Your other sessions were signed out.');
            form.reset();
        } catch (err) {
            setError(err);
        }
    };
    return (
        <section class="card section">
            <h2>Password</h2>
            <form onSubmit={submit}>
                <Field label="Current password" id="currentPassword" type="password" autoComplete="current-password" required />
                <Field label="New password" id="newPassword" type="password" autoComplete="new-password" minLength={8} required />
                <Field label="Repeat the new password" id="newPassword2" type="password" autoComplete="new-password" required />
                <ErrorBox error={error} />
                {msg && (
                    <p class="ok" role="status">
                        {msg}
                    </p>
                )}
                <button class="btn primary">Change password</button>
            </form>
        </section>
    );
}

function TwoFactorCard() {
    const [status, setStatus] = useState(null);
    const [enrol, setEnrol] = useState(null);
    const [codes, setCodes] = useState(null);
    const [error, setError] = useState(null);
    const load = () =>
        api('GET', '/api/0/auth/2fa/')
            .then((r) => setStatus(r.json))
            .catch(setError);
    useEffect(() => {
        load();
    }, []);

    const start = async () => {
        setError(null);
        try {
            setEnrol((await api('POST', '/api/0/auth/2fa/enroll/', {})).json);
        } catch (err) {
            setError(err);
        }
    };
    const confirmCode = async (e) => {
        e.preventDefault();
        setError(null);
        const code = String(new FormData(e.currentTarget).get('code') || '').replace(/\s/g, '');
        try {
            const r = await api('POST', '/api/0/auth/2fa/confirm/', { code });
            setCodes(r.json.recoveryCodes || []);
            setEnrol(null);
            load();
        } catch (err) {
            setError(err);
        }
    };
    const disable = async (e) => {
        e.preventDefault();
        setError(null);
        const v = String(new FormData(e.currentTarget).get('disable-code') || '').trim();
        const body = /^\d{6,8}$/.test(v.replace(/\s/g, '')) ? { code: v.replace(/\s/g, '') } : { recoveryCode: v };
        try {
            await api('POST', '/api/0/auth/2fa/disable/', body);
            setCodes(null);
            load();
        } catch (err) {
            setError(err);
        }
    };

    return (
        <section class="card section">
            <h2>Two-factor authentication</h2>
            <ErrorBox error={error} />
            {codes && (
                <div class="notice" role="status">
                    <p>
                        <strong>Two-factor authentication is on.</strong> Keep these recovery codes somewhere safe; each works once, and they are shown only now.
                    </p>
                    <ul class="codes mono">
                        {codes.map((c) => (
                            <li key={c}>{c}</li>
                        ))}
                    </ul>
                    <CopyButton text={codes.join('\n')} label="Copy codes" />
                </div>
            )}
            {status && status.enabled && !codes && (
                <p>
                    On. {status.recoveryCodesLeft} recovery code{status.recoveryCodesLeft === 1 ? '' : 's'} left.
                </p>
            )}
            {status && status.enabled && (
                <form onSubmit={disable} class="row">
                    <Field label="Code or recovery code to turn it off" id="disable-code" autoComplete="one-time-code" required />
                    <button class="btn danger">Turn off</button>
                </form>
            )}
            {status && !status.enabled && !enrol && (
                <>
                    <p class="muted">Protect your account with a code from an authenticator app at sign-in.</p>
                    <button type="button" class="btn primary" onClick={start}>
                        Set up two-factor authentication
                    </button>
                </>
            )}
            {enrol && (
                <form onSubmit={confirmCode}>
                    <p>Scan this QR code with your authenticator app, or enter the secret by hand.</p>
                    <img class="qr" alt="QR code for your authenticator app" width="200" height="200" src={`data:image/svg+xml;base64,${base64Utf8(enrol.qrCode || '')}`} />
                    <p>
                        Secret: <code class="mono">{enrol.secret}</code> <CopyButton text={enrol.secret} />
                    </p>
                    <Field label="Code from the app" id="code" inputMode="numeric" autoComplete="one-time-code" required />
                    <button class="btn primary">Turn on</button>
                </form>
            )}
        </section>
    );
}

function TokensCard() {
    const [tokens, setTokens] = useState([]);
    const [fresh, setFresh] = useState(null);
    const [error, setError] = useState(null);
    const [scopes, setScopes] = useState(['project:read', 'event:read']);
    const load = () =>
        api('GET', '/api/0/api-tokens/')
            .then((r) => setTokens(r.json || []))
            .catch(setError);
    useEffect(() => {
        load();
    }, []);
    const create = async (e) => {
        e.preventDefault();
        const form = e.currentTarget;
        setError(null);
        try {
            const r = await api('POST', '/api/0/api-tokens/', { label: new FormData(form).get('label'), scopes });
            setFresh(r.json.token);
            form.reset();
            load();
        } catch (err) {
            setError(err);
        }
    };
    const revoke = async (id) => {
        if (!confirm('Revoke this token? Scripts using it stop working.')) return;
        try {
            await api('DELETE', `/api/0/api-tokens/${enc(id)}/`);
            load();
        } catch (err) {
            setError(err);
        }
    };
    const toggle = (s) => setScopes(scopes.includes(s) ? scopes.filter((x) => x !== s) : [...scopes, s]);
    return (
        <section class="card section">
            <h2>API tokens</h2>
            <ErrorBox error={error} />
            {fresh && (
                <div class="notice" role="status">
                    <p>Your new token — copy it now, it is not shown again:</p>
                    <div class="copyrow">
                        <code class="mono dsn">{fresh}</code>
                        <CopyButton text={fresh} />
                    </div>
                </div>
            )}
            {tokens.length > 0 && (
                <ul class="tokens" aria-label="API tokens">
                    {tokens.map((t) => (
                        <li key={t.id}>
                            <div>
                                <strong>{t.label || 'Unnamed token'}</strong>
                                <div class="muted small">
                                    {(t.scopes || []).join(' ')} · created <Time iso={t.dateCreated} />
                                    {t.lastUsed && (
                                        <>
                                            {' '}
                                            · used <Time iso={t.lastUsed} />
                                        </>
                                    )}
                                </div>
                            </div>
                            <button type="button" class="btn small danger" onClick={() => revoke(t.id)}>
                                Revoke
                            </button>
                        </li>
                    ))}
                </ul>
            )}
            <form onSubmit={create}>
                <Field label="Label" id="label" placeholder="e.g. deploy script" />
                <fieldset class="scopes">
                    <legend>Scopes</legend>
                    {SCOPES.map((s) => (
                        <label key={s}>
                            <input type="checkbox" checked={scopes.includes(s)} onChange={() => toggle(s)} /> {s}
                        </label>
                    ))}
                </fieldset>
                <button class="btn primary" disabled={!scopes.length}>
                    Create token
                </button>
            </form>
        </section>
    );
}

// A server without the sessions list answers 404: then the card is left out, quietly.
function SessionsCard() {
    const [sessions, setSessions] = useState(null);
    const [error, setError] = useState(null);
    const [busy, setBusy] = useState(false);
    const load = () =>
        api('GET', '/api/0/auth/sessions/')
            .then((r) => setSessions(Array.isArray(r.json) ? r.json : []))
            .catch((err) => (err.status === 404 ? setSessions(false) : setError(err)));
    useEffect(() => {
        load();
    }, []);
    const signOut = async (path, question) => {
        if (!confirm(question)) return;
        setBusy(true);
        setError(null);
        try {
            await api('DELETE', path);
            await load();
        } catch (err) {
            setError(err);
        } finally {
            setBusy(false);
        }
    };
    if (sessions === false || (sessions === null && !error)) return null;
    const others = (sessions || []).filter((s) => !s.current);
    return (
        <section class="card section" aria-labelledby="sessions-h">
            <div class="sectionhead">
                <h2 id="sessions-h">Sessions</h2>
                {others.length > 0 && (
                    <button type="button" class="btn small danger" disabled={busy} onClick={() => signOut('/api/0/auth/sessions/', 'Sign out every other session?')}>
                        Sign out all other sessions
                    </button>
                )}
            </div>
            <ErrorBox error={error} />
            {sessions && (
                <ul class="tokens sessions" aria-label="Sessions">
                    {sessions.map((s) => (
                        <li key={s.id}>
                            <div>
                                <strong>{describeUserAgent(s.userAgent)}</strong> {s.current && <span class="badge">this session</span>}
                                <div class="muted small">
                                    {s.ipAddress || 'unknown address'} · signed in <Time iso={s.created} /> · last seen <Time iso={s.lastSeen} />
                                </div>
                            </div>
                            {!s.current && (
                                <button type="button" class="btn small danger" disabled={busy} onClick={() => signOut(`/api/0/auth/sessions/${enc(s.id)}/`, 'Sign out this session?')}>
                                    Sign out<span class="sr-only"> {describeUserAgent(s.userAgent)}</span>
                                </button>
                            )}
                        </li>
                    ))}
                </ul>
            )}
        </section>
    );
}
