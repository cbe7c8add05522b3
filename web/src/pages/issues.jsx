// A project's issues: search (the query language), status and level filters, sort, bulk
// resolve / ignore / delete, cursor pages, and keyboard navigation (j/k, x, enter, r, e, /).
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, enc } from '../lib/api.js';
import { pageCursor, parseLink } from '../lib/link.js';
import { issuesPath, parseQuery, setQueryKey, SORTS } from '../lib/query.js';
import { initialNav, keyCommand, navReduce, targetIds } from '../lib/listnav.js';
import { navigate, paths } from '../lib/router.js';
import { compactCount } from '../lib/format.js';
import { ErrorBox, Level, Link, Spinner, Time } from '../components/ui.jsx';
import { LiveBadge } from '../components/live.jsx';
import { Sparkline } from '../components/sparkline.jsx';
import { useLive } from '../lib/live.js';

const STATUSES = [
    ['unresolved', 'Unresolved'],
    ['resolved', 'Resolved'],
    ['ignored', 'Ignored'],
    ['', 'Any status'],
];
const LEVELS = ['', 'fatal', 'error', 'warning', 'info', 'debug'];

function readParams() {
    const p = new URLSearchParams(location.search);
    return { query: p.has('query') ? p.get('query') : 'is:unresolved', sort: p.get('sort') || 'date', cursor: p.get('cursor') };
}

function writeParams(org, project, { query, sort, cursor }) {
    const p = new URLSearchParams();
    p.set('query', query);
    if (sort !== 'date') p.set('sort', sort);
    if (cursor) p.set('cursor', cursor);
    navigate(`${paths.issues(org, project)}?${p}`);
}

export function IssuesPage({ org, project, search }) {
    const params = readParams();
    const [draft, setDraft] = useState(params.query);
    const [data, setData] = useState(null);
    const [error, setError] = useState(null);
    const [projects, setProjects] = useState([]);
    const [nav, setNav] = useState(initialNav);
    const [busy, setBusy] = useState(false);
    const searchRef = useRef(null);

    const load = useCallback(async () => {
        setError(null);
        try {
            const r = await api('GET', issuesPath(org, project, params));
            const issues = r.json || [];
            setData({ issues, links: parseLink(r.headers.get('Link')) });
            setNav((s) => navReduce(s, 'reset', issues.map((i) => i.id)));
        } catch (err) {
            setError(err);
            setData({ issues: [], links: {} });
        }
    }, [org, project, search]);

    useEffect(() => {
        setDraft(params.query);
        load();
    }, [load]);
    useEffect(() => {
        api('GET', `/api/0/organizations/${enc(org)}/projects/`)
            .then((r) => setProjects(r.json || []))
            .catch(() => {});
    }, [org]);

    // Live: an event of this project (or a resync) refetches the page, at most every 300 ms.
    const liveTimer = useRef(null);
    useEffect(() => () => clearTimeout(liveTimer.current), []);
    useLive((m) => {
        const cur = projects.find((p) => p.slug === project);
        if (m.type === 'event' && cur && String(cur.id) !== m.projectId) return;
        if (m.type !== 'event' && m.type !== 'resync') return;
        if (!liveTimer.current)
            liveTimer.current = setTimeout(() => {
                liveTimer.current = null;
                load();
            }, 300);
    });

    const ids = data ? data.issues.map((i) => i.id) : [];
    const go = (changes) => writeParams(org, project, { ...params, cursor: null, ...changes });

    const act = async (action, targets) => {
        if (!targets.length) return;
        if (action === 'delete' && !confirm(`Delete ${targets.length} issue(s) and their events?`)) return;
        setBusy(true);
        try {
            for (const id of targets) {
                if (action === 'delete') await api('DELETE', `/api/0/issues/${enc(id)}/`);
                else await api('PUT', `/api/0/issues/${enc(id)}/`, { status: action });
            }
            setNav((s) => ({ ...s, selected: [] }));
            await load();
        } catch (err) {
            setError(err);
        } finally {
            setBusy(false);
        }
    };

    useEffect(() => {
        const onKey = (ev) => {
            const cmd = keyCommand(ev);
            if (!cmd || !data) return;
            ev.preventDefault();
            if (cmd === 'search') searchRef.current && searchRef.current.focus();
            else if (cmd === 'open') {
                const id = ids[nav.cursor];
                if (id) navigate(paths.issue(org, id));
            } else if (cmd === 'resolve' || cmd === 'ignore') act(cmd === 'resolve' ? 'resolved' : 'ignored', targetIds(nav, ids));
            else setNav((s) => navReduce(s, cmd, ids));
        };
        document.addEventListener('keydown', onKey);
        return () => document.removeEventListener('keydown', onKey);
    });
    useEffect(() => {
        const row = document.querySelector('.issue.cursor');
        if (row && row.scrollIntoView) row.scrollIntoView({ block: 'nearest' });
    }, [nav.cursor]);

    const parsed = parseQuery(params.query);
    const targets = targetIds(nav, ids);
    const next = data && pageCursor(data.links, 'next');
    const prev = data && params.cursor && pageCursor(data.links, 'previous');

    return (
        <div class="page wide">
            <div class="pagehead">
                <h1>Issues</h1>
                <LiveBadge />
                <span class="spacer" />
                <Link class="btn small" href={paths.projectSettings(org, project)}>
                    Project settings
                </Link>
                <label class="inline">
                    <span class="sr-only">Project</span>
                    <select aria-label="Project" value={project} onChange={(e) => navigate(paths.issues(org, e.currentTarget.value))}>
                        {!projects.some((p) => p.slug === project) && <option value={project}>{project}</option>}
                        {projects.map((p) => (
                            <option key={p.slug} value={p.slug}>
                                {p.name}
                            </option>
                        ))}
                    </select>
                </label>
            </div>
            <form
                class="searchbar"
                role="search"
                onSubmit={(e) => {
                    e.preventDefault();
                    go({ query: draft.trim() });
                }}
            >
                <label for="issue-search" class="sr-only">
                    Search issues
                </label>
                <input
                    id="issue-search"
                    ref={searchRef}
                    type="search"
                    value={draft}
                    onInput={(e) => setDraft(e.currentTarget.value)}
                    placeholder="is:unresolved level:error environment:production release:1.0 text"
                    autoComplete="off"
                    spellcheck={false}
                />
                <button class="btn">Search</button>
            </form>
            <div class="filters">
                <label>
                    Status{' '}
                    <select value={parsed.is || ''} onChange={(e) => go({ query: setQueryKey(params.query, 'is', e.currentTarget.value) })}>
                        {STATUSES.map(([v, l]) => (
                            <option key={v} value={v}>
                                {l}
                            </option>
                        ))}
                    </select>
                </label>
                <label>
                    Level{' '}
                    <select value={parsed.level || ''} onChange={(e) => go({ query: setQueryKey(params.query, 'level', e.currentTarget.value) })}>
                        {LEVELS.map((l) => (
                            <option key={l} value={l}>
                                {l || 'Any level'}
                            </option>
                        ))}
                    </select>
                </label>
                <label>
                    Sort{' '}
                    <select value={params.sort} onChange={(e) => go({ sort: e.currentTarget.value })}>
                        {SORTS.map((s) => (
                            <option key={s.id} value={s.id}>
                                {s.label}
                            </option>
                        ))}
                    </select>
                </label>
            </div>
            <div class="bulkbar" aria-label="Bulk actions">
                <input
                    type="checkbox"
                    aria-label="Select all issues on this page"
                    checked={ids.length > 0 && nav.selected.length === ids.length}
                    onChange={() => setNav((s) => navReduce(s, 'all', ids))}
                />
                <button type="button" class="btn small" disabled={busy || !targets.length} onClick={() => act('resolved', targets)} title="Resolve (r)">
                    Resolve
                </button>
                <button type="button" class="btn small" disabled={busy || !targets.length} onClick={() => act('ignored', targets)} title="Ignore (e)">
                    Ignore
                </button>
                <button type="button" class="btn small danger" disabled={busy || !targets.length} onClick={() => act('delete', targets)}>
                    Delete
                </button>
                <span class="muted small">{nav.selected.length ? `${nav.selected.length} selected` : 'j/k move · x select · enter open · r resolve · e ignore'}</span>
            </div>
            <ErrorBox error={error} />
            {!data && <Spinner />}
            {data && data.issues.length === 0 && !error && (
                <div class="empty card">
                    <p>No issues match {params.query ? <code>{params.query}</code> : 'this search'}.</p>
                </div>
            )}
            {data && data.issues.length > 0 && (
                <ul class="issues" aria-label="Issues">
                    <li class="issuehead" aria-hidden="true">
                        <span />
                        <span>Issue</span>
                        <span class="trend">24 hours</span>
                        <span class="num">Events</span>
                        <span class="num">Users</span>
                        <span class="seen">Last seen</span>
                        <span class="seen">First seen</span>
                    </li>
                    {data.issues.map((i, n) => (
                        <IssueRow
                            key={i.id}
                            org={org}
                            issue={i}
                            cursor={n === nav.cursor}
                            selected={nav.selected.includes(i.id)}
                            onToggle={() => setNav((s) => navReduce({ ...s, cursor: n }, 'toggle', ids))}
                        />
                    ))}
                </ul>
            )}
            {(next || prev) && (
                <nav class="pager" aria-label="Pages">
                    <button type="button" class="btn small" disabled={!prev} onClick={() => go({ cursor: prev })}>
                        ← Previous
                    </button>
                    <button type="button" class="btn small" disabled={!next} onClick={() => go({ cursor: next })}>
                        Next →
                    </button>
                </nav>
            )}
        </div>
    );
}

function IssueRow({ org, issue, cursor, selected, onToggle }) {
    return (
        <li class={`issue${cursor ? ' cursor' : ''}${selected ? ' selected' : ''} status-${issue.status}`} data-issue-id={issue.id}>
            <input type="checkbox" checked={selected} onChange={onToggle} aria-label={`Select ${issue.shortId}`} />
            <div class="issuemain">
                <Link href={paths.issue(org, issue.id)} class="issuetitle">
                    {issue.title}
                </Link>
                <div class="issuemeta">
                    <Level level={issue.level} />
                    <span class="mono">{issue.shortId}</span>
                    {issue.culprit && <span class="culprit">{issue.culprit}</span>}
                    {issue.status !== 'unresolved' && <span class="badge">{issue.status}</span>}
                </div>
            </div>
            <span class="trend">
                <Sparkline stats={issue.stats} period="24h" />
            </span>
            <span class="num" title={`${issue.count} events`}>
                {compactCount(issue.count)}
                <span class="sr-only"> events</span>
            </span>
            <span class="num" title={`${issue.userCount} users`}>
                {compactCount(issue.userCount)}
                <span class="sr-only"> users</span>
            </span>
            <span class="seen">
                <Time iso={issue.lastSeen} />
            </span>
            <span class="seen">
                <Time iso={issue.firstSeen} />
            </span>
        </li>
    );
}
