// Signing in (with the second factor when the account has one), the first-run page that
// creates the owner account, a forgotten password (asking for the mail, then the page its
// link opens) and accepting an invitation from its mailed link — signed in, or by creating
// the invited address's account there (allowed even when registration is closed).
import { useEffect, useState } from 'preact/hooks';
import { api, enc } from '../lib/api.js';
import { newPasswordError } from '../lib/passwords.js';
import { navigate, nextPath, paths } from '../lib/router.js';
import { roleName } from '../lib/members.js';
import { ErrorBox, Field, Link, Spinner } from '../components/ui.jsx';

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
            if (location.pathname.startsWith('/login')) navigate(nextPath(location.search) || '/', { replace: true });
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
                <Link href="/forgot-password/">Forgot password?</Link>
            </p>
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

export function ForgotPasswordPage() {
    const [sentTo, setSentTo] = useState(null);
    const [error, setError] = useState(null);
    const [busy, setBusy] = useState(false);
    const submit = async (e) => {
        e.preventDefault();
        const email = String(new FormData(e.currentTarget).get('email') || '').trim();
        setBusy(true);
        setError(null);
        try {
            await api('POST', '/api/0/auth/password/reset/', { email });
            setSentTo(email);
        } catch (err) {
            setError(err);
        } finally {
            setBusy(false);
        }
    };
    if (sentTo) {
        return (
            <AuthCard title="Check your mail">
                <p role="status">
                    If <strong>{sentTo}</strong> has an account here, a link to choose a new password is on its way. It works once, within an hour.
                </p>
                <p class="muted small">
                    <Link href="/login/">Back to sign in</Link>
                </p>
            </AuthCard>
        );
    }
    return (
        <AuthCard title="Forgot password">
            <p class="muted">Enter the address you sign in with; we will mail you a link to choose a new password.</p>
            <form onSubmit={submit}>
                <Field label="Email" id="email" type="email" autoComplete="username" required autoFocus />
                <ErrorBox error={error} />
                <button class="btn primary wide" disabled={busy}>
                    Send the link
                </button>
            </form>
            <p class="muted small">
                <Link href="/login/">Back to sign in</Link>
            </p>
        </AuthCard>
    );
}

export function ResetPasswordPage({ uid, token }) {
    const [done, setDone] = useState(false);
    const [error, setError] = useState(null);
    const [busy, setBusy] = useState(false);
    const submit = async (e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        const problem = newPasswordError(f.get('password'), f.get('password2'));
        if (problem) {
            setError(new Error(problem));
            return;
        }
        setBusy(true);
        setError(null);
        try {
            await api('POST', '/api/0/auth/password/reset/confirm/', {
                uid,
                token,
                new_password1: f.get('password'),
                new_password2: f.get('password2'),
            });
            setDone(true);
        } catch (err) {
            setError(err);
        } finally {
            setBusy(false);
        }
    };
    if (done) {
        return (
            <AuthCard title="Password changed">
                <p role="status">Your new password is set, and every session of the account was signed out.</p>
                {/* a full load: this browser's own session, if any, was signed out too */}
                <button class="btn primary wide" onClick={() => location.assign('/login/')}>
                    Sign in
                </button>
            </AuthCard>
        );
    }
    return (
        <AuthCard title="Choose a new password">
            <form onSubmit={submit}>
                <Field label="New password" id="password" type="password" autoComplete="new-password" minLength={8} required autoFocus hint="At least 8 characters; a passphrase is best." />
                <Field label="Repeat the password" id="password2" type="password" autoComplete="new-password" required />
                <ErrorBox error={error} />
                <button class="btn primary wide" disabled={busy}>
                    Set password
                </button>
            </form>
            <p class="muted small">
                Link expired? <Link href="/forgot-password/">Ask for a new one</Link>
            </p>
        </AuthCard>
    );
}

/** What an invitation offers, as its link's GET tells: invite is {orgName, orgSlug, email, role}. */
function InviteSummary({ invite }) {
    return (
        <p>
            <strong>{invite.orgName}</strong> invited <strong>{invite.email}</strong> to join as {roleName(invite.role)}.
        </p>
    );
}

/** Creates the invited address's account with the link, which also makes it a member. */
function InviteSignUp({ memberId, token, invite, onSignedIn }) {
    const [error, setError] = useState(null);
    const [busy, setBusy] = useState(false);
    const submit = async (e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        const problem = newPasswordError(f.get('password'), f.get('password2'));
        if (problem) {
            setError(new Error(problem));
            return;
        }
        setBusy(true);
        setError(null);
        try {
            const r = await api('POST', '/api/0/auth/register/', {
                email: invite.email,
                password: f.get('password'),
                inviteMemberId: memberId,
                inviteToken: token,
            });
            // the shell draws the page at the address once it knows the session: the org's
            history.replaceState(null, '', paths.projects(invite.orgSlug));
            await onSignedIn(r.json);
            navigate(paths.projects(invite.orgSlug), { replace: true });
        } catch (err) {
            setError(err);
            setBusy(false);
        }
    };
    return (
        <AuthCard title="Create your account">
            <InviteSummary invite={invite} />
            <form onSubmit={submit}>
                <Field label="Email" id="email" type="email" autoComplete="username" value={invite.email} readOnly />
                <Field label="Password" id="password" type="password" autoComplete="new-password" minLength={8} required autoFocus hint="At least 8 characters; a passphrase is best." />
                <Field label="Repeat the password" id="password2" type="password" autoComplete="new-password" required />
                <ErrorBox error={error} />
                <button class="btn primary wide" disabled={busy}>
                    Create account and join
                </button>
            </form>
            <p class="muted small">
                Have an account with another address? <Link href={paths.login(location.pathname)}>Sign in</Link> and accept with it.
            </p>
        </AuthCard>
    );
}

/** The page an invitation link opens: signed in, accept it; signed out, create the invited
 * account (needsAccount) or sign in and come back. */
export function AcceptInvitePage({ memberId, token, session, onAccepted, onSignedIn }) {
    const path = `/api/0/accept/${enc(memberId)}/${enc(token)}/`;
    const [invite, setInvite] = useState(undefined); // undefined: loading; null: not usable
    const [error, setError] = useState(null);
    const [busy, setBusy] = useState(false);
    useEffect(() => {
        api('GET', path)
            .then((r) => setInvite(r.json))
            .catch((err) => (setInvite(null), setError(err)));
    }, [path]);

    const accept = async () => {
        setBusy(true);
        setError(null);
        try {
            await api('POST', path, {});
            await onAccepted();
            navigate(paths.projects(invite.orgSlug), { replace: true });
        } catch (err) {
            setError(err);
            setBusy(false);
        }
    };
    if (invite === undefined) return <Spinner />;
    if (invite === null) {
        return (
            <AuthCard title="Invitation not found">
                {error && error.status === 404 ? <p role="status">This invitation does not exist, was already used or cancelled, or has expired. Ask for a new one.</p> : <ErrorBox error={error} />}
                <p class="muted small">
                    <Link href="/">Go to snag</Link>
                </p>
            </AuthCard>
        );
    }
    if (!session && invite.needsAccount) return <InviteSignUp memberId={memberId} token={token} invite={invite} onSignedIn={onSignedIn} />;
    if (!session) {
        return (
            <AuthCard title="Join an organization">
                <InviteSummary invite={invite} />
                <p>This address already has an account here: sign in to accept.</p>
                <Link class="btn primary wide" href={paths.login(location.pathname)}>
                    Sign in to accept
                </Link>
            </AuthCard>
        );
    }
    const other = session.user.email.toLowerCase() !== invite.email.toLowerCase();
    return (
        <AuthCard title="Join an organization">
            <InviteSummary invite={invite} />
            <p>
                Accept to join it as {session.user.email}.{other && ' That is not the address the invitation was sent to.'}
            </p>
            <ErrorBox error={error} />
            <button class="btn primary wide" disabled={busy} onClick={accept}>
                Accept invitation
            </button>
            <p class="muted small">
                <Link href="/">Not now</Link>
            </p>
        </AuthCard>
    );
}
