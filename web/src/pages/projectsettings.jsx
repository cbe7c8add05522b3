// A project's settings: name and platform; its client keys (DSNs) — create, rename, enable or
// disable, rate limit, rotate (the new DSN is shown, the old key is disabled) and delete; and
// deleting the project, behind typing its slug.
import { useEffect, useState } from 'preact/hooks';
import { api, enc } from '../lib/api.js';
import { navigate, paths } from '../lib/router.js';
import { PLATFORMS } from '../lib/snippets.js';
import { rateLimitBody, rateLimitText, windowChoices } from '../lib/keys.js';
import { CopyButton, ErrorBox, Field, Link, Spinner, Time } from '../components/ui.jsx';

export function ProjectSettingsPage({ org, project }) {
    const [proj, setProj] = useState(null);
    const [error, setError] = useState(null);
    const base = `/api/0/projects/${enc(org)}/${enc(project)}/`;
    useEffect(() => {
        setProj(null);
        api('GET', base)
            .then((r) => setProj(r.json))
            .catch(setError);
    }, [org, project]);

    if (!proj)
        return (
            <div class="page narrow">
                <h1>Project settings</h1>
                {error ? <ErrorBox error={error} /> : <Spinner />}
            </div>
        );
    return (
        <div class="page narrow">
            <nav class="crumbs" aria-label="Breadcrumb">
                <Link href={paths.projects(org)}>Projects</Link> <span aria-hidden="true">›</span>{' '}
                <Link href={paths.issues(org, proj.slug)}>{proj.name}</Link> <span aria-hidden="true">›</span> Settings
            </nav>
            <h1>{proj.name} settings</h1>
            <GeneralCard org={org} proj={proj} onSaved={setProj} />
            <KeysCard base={base} />
            <DeleteCard org={org} proj={proj} />
        </div>
    );
}

function GeneralCard({ org, proj, onSaved }) {
    const [name, setName] = useState(proj.name);
    const [platform, setPlatform] = useState(proj.platform || '');
    const [msg, setMsg] = useState(null);
    const [error, setError] = useState(null);
    const [busy, setBusy] = useState(false);
    const known = PLATFORMS.some((p) => p.id === platform);
    const submit = async (e) => {
        e.preventDefault();
        setBusy(true);
        setMsg(null);
        setError(null);
        try {
            const r = await api('PUT', `/api/0/projects/${enc(org)}/${enc(proj.slug)}/`, { name: name.trim(), platform: platform || null });
            onSaved({ ...proj, ...r.json });
            setMsg('Saved.');
        } catch (err) {
            setError(err);
        } finally {
            setBusy(false);
        }
    };
    return (
        <section class="card section" aria-labelledby="general-h">
            <h2 id="general-h">General</h2>
            <form onSubmit={submit}>
                <Field label="Project name" id="project-name" value={name} onInput={(e) => setName(e.currentTarget.value)} required maxLength={200} hint={`Slug: ${proj.slug} (stays the same; it is in URLs).`} />
                <div class="field">
                    <label for="project-platform">Platform</label>
                    <select id="project-platform" value={platform} onChange={(e) => setPlatform(e.currentTarget.value)}>
                        <option value="">Other</option>
                        {!known && platform && <option value={platform}>{platform}</option>}
                        {PLATFORMS.map((p) => (
                            <option key={p.id} value={p.id}>
                                {p.name}
                            </option>
                        ))}
                    </select>
                </div>
                <ErrorBox error={error} />
                {msg && (
                    <p class="ok" role="status">
                        {msg}
                    </p>
                )}
                <button class="btn primary" disabled={busy || !name.trim()}>
                    Save
                </button>
            </form>
        </section>
    );
}

function KeysCard({ base }) {
    const [keys, setKeys] = useState(null);
    const [error, setError] = useState(null);
    const [rotated, setRotated] = useState(null);
    const [name, setName] = useState('');
    const load = () =>
        api('GET', `${base}keys/`)
            .then((r) => setKeys(r.json || []))
            .catch(setError);
    useEffect(() => {
        load();
    }, [base]);

    const create = async (e) => {
        e.preventDefault();
        setError(null);
        try {
            await api('POST', `${base}keys/`, { name: name.trim() || 'Default' });
            setName('');
            await load();
        } catch (err) {
            setError(err);
        }
    };
    return (
        <section class="card section" aria-labelledby="keys-h">
            <h2 id="keys-h">Client keys (DSN)</h2>
            <p class="muted small">SDKs send events with a key's DSN. A disabled key is refused; a rate limit caps the events a key may send.</p>
            <ErrorBox error={error} />
            {rotated && (
                <div class="notice" role="status">
                    <p>
                        <strong>{rotated.name}</strong> was rotated: the old DSN is now disabled. The new DSN:
                    </p>
                    <div class="copyrow">
                        <code class="dsn" data-testid="rotated-dsn">
                            {rotated.dsn}
                        </code>
                        <CopyButton text={rotated.dsn} />
                    </div>
                </div>
            )}
            {!keys && !error && <Spinner />}
            {keys && (
                <ul class="keys" aria-label="Client keys">
                    {keys.map((k) => (
                        <KeyRow key={k.id} base={base} k={k} onChanged={load} onRotated={(fresh) => (setRotated({ name: fresh.name, dsn: fresh.dsn.public }), load())} onError={setError} />
                    ))}
                </ul>
            )}
            <form onSubmit={create} class="row">
                <Field label="New key name" id="new-key-name" value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="e.g. staging" maxLength={200} />
                <button class="btn">Create key</button>
            </form>
        </section>
    );
}

function KeyRow({ base, k, onChanged, onRotated, onError }) {
    const [editing, setEditing] = useState(false);
    const [busy, setBusy] = useState(false);
    const path = `${base}keys/${enc(k.id)}/`;
    const run = async (fn) => {
        setBusy(true);
        onError(null);
        try {
            await fn();
        } catch (err) {
            onError(err);
        } finally {
            setBusy(false);
        }
    };
    const toggle = () =>
        run(async () => {
            await api('PUT', path, { isActive: !k.isActive });
            await onChanged();
        });
    const rotate = () => {
        if (!confirm(`Rotate "${k.name}"? Its DSN stops working; SDKs need the new one.`)) return;
        run(async () => onRotated((await api('POST', `${path}rotate/`)).json));
    };
    const remove = () => {
        if (!confirm(`Delete the key "${k.name}"? SDKs using its DSN can no longer send events.`)) return;
        run(async () => {
            await api('DELETE', path);
            await onChanged();
        });
    };
    const dsn = k.dsn ? k.dsn.public : '';
    return (
        <li class={`keyrow${k.isActive ? '' : ' inactive'}`} data-key-id={k.id}>
            <div class="keyhead">
                <strong class="keyname">{k.name}</strong>
                <span class={`badge ${k.isActive ? 'on' : 'off'}`}>{k.isActive ? 'Enabled' : 'Disabled'}</span>
                <span class="muted small">
                    {rateLimitText(k.rateLimit)} · created <Time iso={k.dateCreated} />
                </span>
            </div>
            <div class="copyrow">
                <code class="dsn">{dsn}</code>
                <CopyButton text={dsn} label="Copy DSN" />
            </div>
            <div class="btngroup">
                <button type="button" class="btn small" aria-expanded={editing} onClick={() => setEditing(!editing)}>
                    Edit
                </button>
                <button type="button" class="btn small" disabled={busy} onClick={toggle}>
                    {k.isActive ? 'Disable' : 'Enable'}
                </button>
                <button type="button" class="btn small" disabled={busy} onClick={rotate}>
                    Rotate
                </button>
                <button type="button" class="btn small danger" disabled={busy} onClick={remove}>
                    Delete
                </button>
            </div>
            {editing && <KeyForm path={path} k={k} onSaved={async () => (setEditing(false), await onChanged())} onError={onError} />}
        </li>
    );
}

function KeyForm({ path, k, onSaved, onError }) {
    const rl = k.rateLimit || {};
    const [name, setName] = useState(k.name);
    const [count, setCount] = useState(rl.count ? String(rl.count) : '');
    const [win, setWin] = useState(String(rl.window || 3600));
    const id = `key-${k.id}`;
    const submit = async (e) => {
        e.preventDefault();
        onError(null);
        try {
            await api('PUT', path, { name: name.trim(), rateLimit: rateLimitBody(count, win) });
            await onSaved();
        } catch (err) {
            onError(err);
        }
    };
    return (
        <form class="keyform" onSubmit={submit} aria-label={`Edit ${k.name}`}>
            <Field label="Key name" id={`${id}-name`} value={name} onInput={(e) => setName(e.currentTarget.value)} required maxLength={200} />
            <fieldset class="ratelimit">
                <legend>Rate limit</legend>
                <div class="row">
                    <Field label="Events (empty or 0: no limit)" id={`${id}-count`} type="number" min="0" step="1" inputMode="numeric" value={count} onInput={(e) => setCount(e.currentTarget.value)} />
                    <div class="field">
                        <label for={`${id}-window`}>Window</label>
                        <select id={`${id}-window`} value={win} onChange={(e) => setWin(e.currentTarget.value)}>
                            {windowChoices(rl.window).map(([s, text]) => (
                                <option key={s} value={String(s)}>
                                    {text}
                                </option>
                            ))}
                        </select>
                    </div>
                </div>
            </fieldset>
            <button class="btn primary small">Save key</button>
        </form>
    );
}

function DeleteCard({ org, proj }) {
    const [typed, setTyped] = useState('');
    const [error, setError] = useState(null);
    const [busy, setBusy] = useState(false);
    const submit = async (e) => {
        e.preventDefault();
        if (typed !== proj.slug) return;
        setBusy(true);
        setError(null);
        try {
            await api('DELETE', `/api/0/projects/${enc(org)}/${enc(proj.slug)}/`);
            navigate(paths.projects(org), { replace: true });
        } catch (err) {
            setError(err);
            setBusy(false);
        }
    };
    return (
        <section class="card section danger-zone" aria-labelledby="delete-h">
            <h2 id="delete-h">Delete this project</h2>
            <p class="muted small">Its keys, issues and events go too. This cannot be undone.</p>
            <form onSubmit={submit} class="row">
                <Field label={`Type ${proj.slug} to confirm`} id="delete-confirm" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} autoComplete="off" spellcheck={false} />
                <button class="btn danger" disabled={busy || typed !== proj.slug}>
                    Delete project
                </button>
            </form>
            <ErrorBox error={error} />
        </section>
    );
}
