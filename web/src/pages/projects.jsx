// An organization's projects (with their events of the last 24 hours as a count and a
// sparkline, when the API sends stats), and the page that creates an organization.
import { useEffect, useState } from 'preact/hooks';
import { api, enc } from '../lib/api.js';
import { paths } from '../lib/router.js';
import { platformName } from '../lib/snippets.js';
import { compactCount, slugify } from '../lib/format.js';
import { seriesOf, seriesTotal } from '../lib/sparkline.js';
import { ErrorBox, Field, Link, Spinner } from '../components/ui.jsx';
import { Sparkline } from '../components/sparkline.jsx';

export function ProjectsPage({ org }) {
    const [projects, setProjects] = useState(null);
    const [error, setError] = useState(null);
    useEffect(() => {
        setProjects(null);
        api('GET', `/api/0/organizations/${enc(org)}/projects/?statsPeriod=24h`)
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
                        <ProjectCard key={p.id} org={org} project={p} />
                    ))}
                </ul>
            )}
        </div>
    );
}

function ProjectCard({ org, project: p }) {
    const points = seriesOf(p.stats);
    const total = seriesTotal(points);
    return (
        <li class="card project">
            <div class="projecttop">
                <Link href={paths.issues(org, p.slug)} class="projectlink">
                    <strong>{p.name}</strong>
                    <span class="muted">{p.slug}</span>
                </Link>
                <span class="badge">{platformName(p.platform)}</span>
            </div>
            <div class="projectfoot">
                {points.length > 0 && (
                    <span class="projectstats" title={`${total} events in the last 24 hours`}>
                        <span class="small">
                            {compactCount(total)} event{total === 1 ? '' : 's'} <span class="muted">(24h)</span>
                        </span>
                        <Sparkline stats={points} width={96} height={22} />
                    </span>
                )}
                <span class="spacer" />
                <Link href={paths.projectSettings(org, p.slug)} class="btn small" aria-label={`Settings of ${p.name}`}>
                    Settings
                </Link>
            </div>
        </li>
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
