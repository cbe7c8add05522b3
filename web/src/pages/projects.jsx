// An organization's projects, and the page that creates an organization.
import { useEffect, useState } from 'preact/hooks';
import { api, enc } from '../lib/api.js';
import { paths } from '../lib/router.js';
import { platformName } from '../lib/snippets.js';
import { slugify } from '../lib/format.js';
import { ErrorBox, Field, Link, Spinner } from '../components/ui.jsx';

export function ProjectsPage({ org }) {
    const [projects, setProjects] = useState(null);
    const [error, setError] = useState(null);
    useEffect(() => {
        setProjects(null);
        api('GET', `/api/0/organizations/${enc(org)}/projects/`)
            .then((r) => setProjects(r.json || []))
            .catch(setError);
    }, [org]);
    return (
        <div class="page">
            <div class="pagehead">
                <h1>Projects</h1>
                <Link class="btn primary" href={paths.newProject(org)}>
                    New project
                </Link>
            </div>
            <ErrorBox error={error} />
            {!projects && !error && <Spinner />}
            {projects && projects.length === 0 && (
                <div class="empty card">
                    <p>No projects yet. A project receives the events of one application.</p>
                    <Link class="btn primary" href={paths.newProject(org)}>
                        Create the first project
                    </Link>
                </div>
            )}
            {projects && projects.length > 0 && (
                <ul class="cards" aria-label="Projects">
                    {projects.map((p) => (
                        <li key={p.id} class="card project">
                            <Link href={paths.issues(org, p.slug)} class="projectlink">
                                <strong>{p.name}</strong>
                                <span class="muted">{p.slug}</span>
                            </Link>
                            <span class="badge">{platformName(p.platform)}</span>
                        </li>
                    ))}
                </ul>
            )}
        </div>
    );
}

export function NewOrgPage({ onCreated }) {
    const [name, setName] = useState('');
    const [error, setError] = useState(null);
    const [busy, setBusy] = useState(false);
    const submit = async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        try {
            const r = await api('POST', '/api/0/organizations/', { name, slug: slugify(name) });
            await onCreated(r.json);
        } catch (err) {
            setError(err);
        } finally {
            setBusy(false);
        }
    };
    return (
        <div class="page narrow">
            <h1>New organization</h1>
            <p class="muted">An organization holds teams and their projects.</p>
            <form onSubmit={submit} class="card">
                <Field label="Organization name" id="org-name" value={name} onInput={(e) => setName(e.currentTarget.value)} required autoFocus hint={name ? `Slug: ${slugify(name)}` : ''} />
                <ErrorBox error={error} />
                <button class="btn primary" disabled={busy || !slugify(name)}>
                    Create organization
                </button>
            </form>
        </div>
    );
}
