// The new-project wizard: team, name and platform; then the DSN and a setup snippet.
import { useEffect, useState } from 'preact/hooks';
import { api, enc } from '../lib/api.js';
import { paths } from '../lib/router.js';
import { PLATFORMS, setupSnippet } from '../lib/snippets.js';
import { slugify } from '../lib/format.js';
import { CopyButton, ErrorBox, Field, Link, Spinner } from '../components/ui.jsx';

export function NewProjectPage({ org }) {
    const [teams, setTeams] = useState(null);
    const [team, setTeam] = useState('');
    const [newTeam, setNewTeam] = useState('');
    const [name, setName] = useState('');
    const [platform, setPlatform] = useState('javascript');
    const [error, setError] = useState(null);
    const [busy, setBusy] = useState(false);
    const [created, setCreated] = useState(null);

    useEffect(() => {
        api('GET', `/api/0/organizations/${enc(org)}/teams/`)
            .then((r) => {
                setTeams(r.json || []);
                if (r.json && r.json[0]) setTeam(r.json[0].slug);
            })
            .catch(setError);
    }, [org]);

    const submit = async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        try {
            let t = team;
            if (!teams.length || team === '__new') {
                const tr = await api('POST', `/api/0/organizations/${enc(org)}/teams/`, { name: newTeam, slug: slugify(newTeam) });
                t = tr.json.slug;
            }
            const pr = await api('POST', `/api/0/teams/${enc(org)}/${enc(t)}/projects/`, { name, slug: slugify(name), platform });
            const kr = await api('GET', `/api/0/projects/${enc(org)}/${enc(pr.json.slug)}/keys/`);
            const key = (kr.json || [])[0];
            setCreated({ project: pr.json, dsn: key && key.dsn ? key.dsn.public : '' });
        } catch (err) {
            setError(err);
        } finally {
            setBusy(false);
        }
    };

    if (created) return <ProjectCreated org={org} created={created} platform={platform} />;
    if (!teams && !error) return <Spinner />;
    const needTeam = !teams || !teams.length || team === '__new';
    return (
        <div class="page narrow">
            <h1>New project</h1>
            <form onSubmit={submit} class="card">
                {teams && teams.length > 0 && (
                    <div class="field">
                        <label for="team">Team</label>
                        <select id="team" value={team} onChange={(e) => setTeam(e.currentTarget.value)}>
                            {teams.map((t) => (
                                <option key={t.slug} value={t.slug}>
                                    {t.name}
                                </option>
                            ))}
                            <option value="__new">+ New team…</option>
                        </select>
                    </div>
                )}
                {needTeam && <Field label="New team name" id="team-name" value={newTeam} onInput={(e) => setNewTeam(e.currentTarget.value)} required hint="Projects belong to a team." />}
                <Field label="Project name" id="project-name" value={name} onInput={(e) => setName(e.currentTarget.value)} required hint={name ? `Slug: ${slugify(name)}` : ''} />
                <fieldset class="platforms">
                    <legend>Platform</legend>
                    {PLATFORMS.map((p) => (
                        <label key={p.id} class={`platform${platform === p.id ? ' on' : ''}`}>
                            <input type="radio" name="platform" value={p.id} checked={platform === p.id} onChange={() => setPlatform(p.id)} />
                            {p.name}
                        </label>
                    ))}
                </fieldset>
                <ErrorBox error={error} />
                <button class="btn primary" disabled={busy || !slugify(name) || (needTeam && !slugify(newTeam))}>
                    Create project
                </button>
            </form>
        </div>
    );
}

function ProjectCreated({ org, created, platform }) {
    const { install, code } = setupSnippet(platform, created.dsn);
    return (
        <div class="page narrow">
            <h1>{created.project.name} is ready</h1>
            <p>Point the Sentry SDK at this DSN; errors show up in the project's issues.</p>
            <div class="card">
                <h2>DSN</h2>
                <div class="copyrow">
                    <code class="dsn" data-testid="dsn">
                        {created.dsn}
                    </code>
                    <CopyButton text={created.dsn} />
                </div>
                <h2>Install</h2>
                <div class="copyrow">
                    <pre class="code">{install}</pre>
                    <CopyButton text={install} />
                </div>
                <h2>Configure</h2>
                <div class="copyrow">
                    <pre class="code" data-testid="snippet">
                        {code}
                    </pre>
                    <CopyButton text={code} />
                </div>
            </div>
            <p>
                <Link class="btn primary" href={paths.issues(org, created.project.slug)}>
                    Go to the issues
                </Link>
            </p>
        </div>
    );
}
