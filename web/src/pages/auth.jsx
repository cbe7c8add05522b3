// Signing in (with the second factor when the account has one) and the first-run page that
// creates the owner account.
import { useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { navigate } from '../lib/router.js';
import { ErrorBox, Field, Link } from '../components/ui.jsx';

function AuthCard({ title, children }) {
    return (
        <main class="auth" id="main">
            <div class="card authcard">
                <div class="brand big">
                    <span class="logo" aria-hidden="true">
                        s
                    </span>
                    snag
                </div>
                <h1>{title}</h1>
                {children}
            </div>
        </main>
    );
}

/** ended: the session this page replaces was signed out elsewhere or expired (say so). */
export function LoginPage({ onSignedIn, ended = false }) {
    const [step, setStep] = useState('password');
    const [error, setError] = useState(null);
    const [busy, setBusy] = useState(false);
    const [useRecovery, setUseRecovery] = useState(false);

    const submit = async (e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        setBusy(true);
        setError(null);
        try {
            if (step === 'password') {
                const r = await api('POST', '/api/0/auth/session/', { email: f.get('email'), password: f.get('password') });
                if (r.json.twoFactorRequired) {
                    setStep('2fa');
                    return;
                }
                await onSignedIn(r.json);
            } else {
                const v = String(f.get('code') || '').trim();
                const body = useRecovery ? { recoveryCode: v } : { code: v.replace(/\s/g, '') };
                const r = await api('POST', '/api/0/auth/session/2fa/', body);
                await onSignedIn(r.json);
            }
            if (location.pathname.startsWith('/login')) navigate('/', { replace: true });
        } catch (err) {
            setError(err);
        } finally {
            setBusy(false);
        }
    };

    if (step === '2fa') {
        return (
            <AuthCard title="Two-factor authentication">
                <form onSubmit={submit}>
                    <p class="muted">{useRecovery ? 'Enter one of your recovery codes.' : 'Enter the 6-digit code from your authenticator app.'}</p>
                    <Field
                        label={useRecovery ? 'Recovery code' : 'Code'}
                        id="code"
                        autoComplete="one-time-code"
                        inputMode={useRecovery ? 'text' : 'numeric'}
                        required
                        autoFocus
                    />
                    <ErrorBox error={error} />
                    <button class="btn primary wide" disabled={busy}>
                        Verify
                    </button>
                    <button type="button" class="btn link" onClick={() => setUseRecovery(!useRecovery)}>
                        {useRecovery ? 'Use an authenticator code' : 'Use a recovery code'}
                    </button>
                </form>
            </AuthCard>
        );
    }
    return (
        <AuthCard title="Sign in">
            {ended && (
                <p class="notice" role="status">
                    Your session has ended: it was signed out from another browser, or it expired. Sign in again to carry on.
                </p>
            )}
            <form onSubmit={submit}>
                <Field label="Email" id="email" type="email" autoComplete="username" required autoFocus />
                <Field label="Password" id="password" type="password" autoComplete="current-password" required />
                <ErrorBox error={error} />
                <button class="btn primary wide" disabled={busy}>
                    Sign in
                </button>
            </form>
            <p class="muted small">
                New installation? <Link href="/setup/">Create the owner account</Link>
            </p>
        </AuthCard>
    );
}

export function SetupPage({ onSignedIn }) {
    const [error, setError] = useState(null);
    const [busy, setBusy] = useState(false);
    const submit = async (e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        if (f.get('password') !== f.get('password2')) {
            setError(new Error('The two passwords differ.'));
            return;
        }
        setBusy(true);
        setError(null);
        try {
            const r = await api('POST', '/api/0/auth/register/', { email: f.get('email'), password: f.get('password') });
            await onSignedIn(r.json);
            navigate('/', { replace: true });
        } catch (err) {
            setError(err.status === 403 ? new Error('This snag already has an owner. Sign in instead.') : err);
        } finally {
            setBusy(false);
        }
    };
    return (
        <AuthCard title="Create the owner account">
            <p class="muted">The first account of a new snag owns it: it can create organizations and manage everything.</p>
            <form onSubmit={submit}>
                <Field label="Email" id="email" type="email" autoComplete="username" required autoFocus />
                <Field label="Password" id="password" type="password" autoComplete="new-password" minLength={8} required hint="At least 8 characters; a passphrase is best." />
                <Field label="Repeat the password" id="password2" type="password" autoComplete="new-password" required />
                <ErrorBox error={error} />
                <button class="btn primary wide" disabled={busy}>
                    Create account
                </button>
            </form>
            <p class="muted small">
                Already set up? <Link href="/login/">Sign in</Link>
            </p>
        </AuthCard>
    );
}
