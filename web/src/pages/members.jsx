// An organization's members and invitations: invite by email with a role (the link is mailed
// when snag has mail, and the answer carries it too, shown once), change roles, remove members,
// cancel invitations. Controls the signed-in user's role cannot use are hidden; the API has
// the last word and its refusal (e.g. the last owner) is shown as is.
import { useEffect, useState } from 'preact/hooks';
import { api, enc } from '../lib/api.js';
import { assignableRoles, findSelf, mayManage, roleName, ROLES, splitMembers } from '../lib/members.js';
import { CopyButton, ErrorBox, Field, Spinner, Time } from '../components/ui.jsx';

export function MembersPage({ org, session }) {
    const [members, setMembers] = useState(null);
    const [orgInfo, setOrgInfo] = useState(null);
    const [error, setError] = useState(null);
    const [invited, setInvited] = useState(null);
    const base = `/api/0/organizations/${enc(org)}/`;
    const load = () =>
        api('GET', `${base}members/`)
            .then((r) => setMembers(r.json || []))
            .catch((err) => (setError(err), setMembers((m) => m || [])));
    useEffect(() => {
        setMembers(null);
        setError(null);
        setInvited(null);
        load();
        api('GET', base)
            .then((r) => setOrgInfo(r.json))
            .catch(() => setOrgInfo({}));
    }, [org]);

    if (!members || !orgInfo)
        return (
            <div class="page">
                <h1>Members</h1>
                <Spinner />
            </div>
        );
    const self = findSelf(members, session.user);
    const myRole = orgInfo.role || (self && self.role) || (session.user && session.user.isSuperuser ? 'owner' : 'member');
    const { active, pending } = splitMembers(members);
    const roles = assignableRoles(myRole);

    const run = async (fn) => {
        setError(null);
        try {
            await fn();
        } catch (err) {
            setError(err);
        }
        await load();
    };
    const setRole = (m, role) => run(() => api('PUT', `${base}members/${enc(m.id)}/`, { role }));
    const remove = (m, question) => {
        if (!confirm(question)) return;
        if (self && self.id === m.id) {
            // Leaving: the organization list of the whole app changes; start afresh.
            api('DELETE', `${base}members/${enc(m.id)}/`)
                .then(() => location.assign('/'))
                .catch(setError);
            return;
        }
        run(() => api('DELETE', `${base}members/${enc(m.id)}/`));
    };

    return (
        <div class="page">
            <div class="pagehead">
                <h1>Members</h1>
                <span class="muted small">Your role: {roleName(myRole)}</span>
            </div>
            <ErrorBox error={error} />
            {roles.length > 0 && <InviteCard base={base} roles={roles} onInvited={(m) => (setInvited(m), load())} onError={setError} />}
            {invited && (
                <div class="notice" role="status">
                    <p>
                        <strong>{invited.email}</strong> is invited as {roleName(invited.role)}. The link is mailed to them when this snag can send mail; you can also pass it on — it is shown only now.
                    </p>
                    <div class="copyrow">
                        <code class="dsn" data-testid="invite-link">
                            {invited.inviteLink}
                        </code>
                        <CopyButton text={invited.inviteLink} />
                    </div>
                </div>
            )}
            <section class="card section" aria-labelledby="members-h">
                <h2 id="members-h">Members ({active.length})</h2>
                <ul class="members" aria-label="Members">
                    {active.map((m) => {
                        const me = self && self.id === m.id;
                        const manage = mayManage(myRole, m.role);
                        return (
                            <li key={m.id} class="memberrow" data-member-id={m.id}>
                                <div class="memberwho">
                                    <strong>{m.email}</strong>
                                    {me && <span class="badge">you</span>}
                                    <div class="muted small">
                                        joined <Time iso={m.dateCreated} />
                                    </div>
                                </div>
                                <MemberRole m={m} roles={manage ? roles : []} onChange={(r) => setRole(m, r)} />
                                {(manage || me) && (
                                    <button type="button" class="btn small danger" onClick={() => remove(m, me ? 'Leave this organization?' : `Remove ${m.email} from the organization?`)}>
                                        {me ? 'Leave' : 'Remove'}
                                        {!me && <span class="sr-only"> {m.email}</span>}
                                    </button>
                                )}
                            </li>
                        );
                    })}
                </ul>
            </section>
            <section class="card section" aria-labelledby="pending-h">
                <h2 id="pending-h">Pending invitations ({pending.length})</h2>
                {pending.length === 0 ? (
                    <p class="muted small">No open invitations.</p>
                ) : (
                    <ul class="members" aria-label="Pending invitations">
                        {pending.map((m) => (
                            <li key={m.id} class="memberrow pending" data-member-id={m.id}>
                                <div class="memberwho">
                                    <strong>{m.email}</strong> {m.expired ? <span class="badge warn">expired</span> : <span class="badge">pending</span>}
                                    <div class="muted small">
                                        invited <Time iso={m.dateCreated} />
                                    </div>
                                </div>
                                <MemberRole m={m} roles={mayManage(myRole, m.role) ? roles : []} onChange={(r) => setRole(m, r)} />
                                {mayManage(myRole, m.role) && (
                                    <button type="button" class="btn small danger" onClick={() => remove(m, `Cancel the invitation of ${m.email}?`)}>
                                        Cancel invitation<span class="sr-only"> of {m.email}</span>
                                    </button>
                                )}
                            </li>
                        ))}
                    </ul>
                )}
            </section>
        </div>
    );
}

/** The member's role: a menu when the signed-in user may change it, else text. */
function MemberRole({ m, roles, onChange }) {
    if (!roles.length || !roles.some((r) => r.id === m.role)) return <span class="badge">{roleName(m.role)}</span>;
    return (
        <label class="inline">
            <span class="sr-only">Role of {m.email}</span>
            <select value={m.role} onChange={(e) => onChange(e.currentTarget.value)}>
                {roles.map((r) => (
                    <option key={r.id} value={r.id}>
                        {r.name}
                    </option>
                ))}
            </select>
        </label>
    );
}

function InviteCard({ base, roles, onInvited, onError }) {
    const [email, setEmail] = useState('');
    const [role, setRole] = useState('member');
    const [busy, setBusy] = useState(false);
    const submit = async (e) => {
        e.preventDefault();
        setBusy(true);
        onError(null);
        try {
            const r = await api('POST', `${base}members/`, { email: email.trim(), role });
            setEmail('');
            onInvited(r.json);
        } catch (err) {
            onError(err);
        } finally {
            setBusy(false);
        }
    };
    const about = (ROLES.find((r) => r.id === role) || {}).about;
    return (
        <section class="card section" aria-labelledby="invite-h">
            <h2 id="invite-h">Invite a member</h2>
            <form onSubmit={submit} class="row">
                <Field label="Email" id="invite-email" type="email" autoComplete="off" value={email} onInput={(e) => setEmail(e.currentTarget.value)} required />
                <div class="field">
                    <label for="invite-role">Role</label>
                    <select id="invite-role" value={role} onChange={(e) => setRole(e.currentTarget.value)}>
                        {roles.map((r) => (
                            <option key={r.id} value={r.id}>
                                {r.name}
                            </option>
                        ))}
                    </select>
                </div>
                <button class="btn primary" disabled={busy || !email.trim()}>
                    Invite
                </button>
            </form>
            {about && <p class="muted small">{about}</p>}
        </section>
    );
}
