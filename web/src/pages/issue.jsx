// One issue: status actions, its events of the last 24 hours, its tag distributions, event
// navigation (newer / older / latest / oldest), and the event itself — exception with stack trace and source context, breadcrumbs, request, tags,
// user, contexts, SDK, raw JSON. Event data is rendered as text nodes only.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, enc } from '../lib/api.js';
import { navigate, paths } from '../lib/router.js';
import { eventView } from '../lib/eventview.js';
import { compactCount } from '../lib/format.js';
import { ErrorBox, Level, Link, Spinner, Time } from '../components/ui.jsx';
import { LiveBadge } from '../components/live.jsx';
import { useLive } from '../lib/live.js';
import { Exception } from '../components/stacktrace.jsx';
import { Breadcrumbs, KeyValues } from '../components/eventparts.jsx';
import { Sparkline } from '../components/sparkline.jsx';
import { TagDistribution } from '../components/tagdist.jsx';

// The facets job counts tags a few seconds after an event (worker/facets.h: every 5 s).
const FACETS_LAG_MS = 6000;

function eventParam() {
    return new URLSearchParams(location.search).get('event');
}

export function IssuePage({ org, issueId, search }) {
    const [issue, setIssue] = useState(null);
    const [eventIds, setEventIds] = useState([]);
    const [event, setEvent] = useState(null);
    const [tags, setTags] = useState(null);
    const [error, setError] = useState(null);
    const [busy, setBusy] = useState(false);
    const wanted = eventParam();

    // The issue and its event list; refetched live when this issue gets an event (the event
    // shown stays: the list and counts change, "newer" becomes available).
    const refresh = () => {
        api('GET', `/api/0/issues/${enc(issueId)}/`)
            .then((r) => setIssue((old) => (old && r.json && old.id === r.json.id ? { ...old, ...r.json } : r.json)))
            .catch(setError);
        api('GET', `/api/0/issues/${enc(issueId)}/events/?limit=100`)
            .then((r) => setEventIds((r.json || []).map((e) => e.eventID || e.id)))
            .catch(() => {});
    };
    const loadTags = () =>
        api('GET', `/api/0/issues/${enc(issueId)}/tags/`)
            .then((r) => setTags(Array.isArray(r.json) ? r.json : []))
            .catch(() => setTags([]));
    useEffect(() => {
        refresh();
        loadTags();
    }, [issueId]);
    const tagTimer = useRef(null);
    useEffect(() => () => clearTimeout(tagTimer.current), []);
    useLive((m) => {
        if (m.type === 'resync' || (m.type === 'event' && m.issueId === String(issueId))) {
            refresh();
            clearTimeout(tagTimer.current);
            tagTimer.current = setTimeout(loadTags, FACETS_LAG_MS);
        }
    });

    useEffect(() => {
        if (!issue) return;
        const path = wanted
            ? `/api/0/projects/${enc(org)}/${enc(issue.project.slug)}/events/${enc(wanted)}/`
            : `/api/0/issues/${enc(issueId)}/events/latest/`;
        setEvent(null);
        api('GET', path)
            .then((r) => setEvent(r.json))
            .catch(setError);
    }, [issue && issue.id, search]);

    const setStatus = async (status) => {
        setBusy(true);
        try {
            const r = await api('PUT', `/api/0/issues/${enc(issueId)}/`, { status });
            setIssue({ ...issue, ...(r.json || {}), status });
        } catch (err) {
            setError(err);
        } finally {
            setBusy(false);
        }
    };
    const remove = async () => {
        if (!confirm('Delete this issue and all its events?')) return;
        try {
            await api('DELETE', `/api/0/issues/${enc(issueId)}/`);
            navigate(paths.issues(org, issue.project.slug));
        } catch (err) {
            setError(err);
        }
    };

    if (!issue) return error ? <div class="page"><ErrorBox error={error} /></div> : <Spinner />;
    const base = paths.issue(org, issueId);
    const toEvent = (id) => navigate(id ? `${base}?event=${enc(id)}` : base);
    const cur = event ? eventIds.indexOf(event.eventID || event.id) : -1;
    const newer = cur > 0 ? eventIds[cur - 1] : null;
    const older = cur >= 0 && cur < eventIds.length - 1 ? eventIds[cur + 1] : null;

    return (
        <div class="page wide">
            <nav class="crumbs" aria-label="Breadcrumb">
                <Link href={paths.issues(org, issue.project.slug)}>{issue.project.name}</Link> <span aria-hidden="true">›</span>{' '}
                <span class="mono">{issue.shortId}</span> <LiveBadge />
            </nav>
            <header class="issuehead2">
                <div>
                    <h1 class="issueh1">{issue.title}</h1>
                    <div class="issuemeta">
                        <Level level={issue.level} />
                        {issue.culprit && <span class="culprit">{issue.culprit}</span>}
                        <span class={`badge status ${issue.status}`} data-testid="issue-status">
                            {issue.status}
                        </span>
                    </div>
                </div>
                <dl class="stats">
                    <div>
                        <dt>Events</dt>
                        <dd>{compactCount(issue.count)}</dd>
                    </div>
                    {issue.stats && (
                        <div>
                            <dt>24 hours</dt>
                            <dd>
                                <Sparkline stats={issue.stats} period="24h" width={96} height={22} />
                            </dd>
                        </div>
                    )}
                    <div>
                        <dt>Users</dt>
                        <dd>{compactCount(issue.userCount)}</dd>
                    </div>
                    <div>
                        <dt>First seen</dt>
                        <dd>
                            <Time iso={issue.firstSeen} />
                        </dd>
                    </div>
                    <div>
                        <dt>Last seen</dt>
                        <dd>
                            <Time iso={issue.lastSeen} />
                        </dd>
                    </div>
                </dl>
            </header>
            <div class="actions">
                {issue.status === 'resolved' ? (
                    <button type="button" class="btn" disabled={busy} onClick={() => setStatus('unresolved')}>
                        Unresolve
                    </button>
                ) : (
                    <button type="button" class="btn primary" disabled={busy} onClick={() => setStatus('resolved')}>
                        Resolve
                    </button>
                )}
                {issue.status === 'ignored' ? (
                    <button type="button" class="btn" disabled={busy} onClick={() => setStatus('unresolved')}>
                        Stop ignoring
                    </button>
                ) : (
                    <button type="button" class="btn" disabled={busy} onClick={() => setStatus('ignored')}>
                        Ignore
                    </button>
                )}
                <button type="button" class="btn danger" disabled={busy} onClick={remove}>
                    Delete
                </button>
            </div>
            <ErrorBox error={error} />
            <div class="issuebody">
                <div class="issuemaincol">
                    <nav class="eventnav" aria-label="Events">
                        <span class="muted small">
                            Event {cur >= 0 ? `${eventIds.length - cur} of ${eventIds.length}` : ''}{' '}
                            {event && <span class="mono">{String(event.eventID || '').slice(0, 12)}</span>}
                        </span>
                        <div class="btngroup">
                            <button type="button" class="btn small" disabled={!older} onClick={() => toEvent(older)}>
                                ← Older
                            </button>
                            <button type="button" class="btn small" disabled={!newer} onClick={() => toEvent(newer)}>
                                Newer →
                            </button>
                            <button type="button" class="btn small" disabled={!wanted} onClick={() => toEvent(null)}>
                                Latest
                            </button>
                            <button type="button" class="btn small" disabled={!eventIds.length || cur === eventIds.length - 1} onClick={() => toEvent(eventIds[eventIds.length - 1])}>
                                Oldest
                            </button>
                        </div>
                    </nav>
                    {event ? <EventBody event={event} /> : <Spinner />}
                </div>
                <aside class="issueside">
                    <TagDistribution org={org} project={issue.project.slug} tags={tags} />
                </aside>
            </div>
        </div>
    );
}

function EventBody({ event }) {
    const v = useMemo(() => eventView(event), [event]);
    const [showJson, setShowJson] = useState(false);
    const json = useMemo(() => JSON.stringify(event, null, 2), [event]);
    const download = () => {
        const url = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
        const a = document.createElement('a');
        a.href = url;
        a.download = `event-${v.id || 'unknown'}.json`;
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 1000);
    };
    return (
        <div class="event">
            {v.exceptions.map((exc, i) => (
                <Exception key={i} exc={exc} />
            ))}
            {v.message && (
                <section class="card section">
                    <h2>Message</h2>
                    <pre class="code wrap">{v.message}</pre>
                </section>
            )}
            {v.breadcrumbs.length > 0 && <Breadcrumbs crumbs={v.breadcrumbs} />}
            {v.request && (
                <section class="card section">
                    <h2>Request</h2>
                    <p class="mono wrap">
                        <strong>{v.request.method}</strong> {v.request.url}
                        {v.request.query ? `?${v.request.query}` : ''}
                    </p>
                    <KeyValues rows={v.request.headers} label="Headers" />
                    {v.request.data && <pre class="code wrap">{v.request.data}</pre>}
                </section>
            )}
            <div class="grid2">
                {v.tags.length > 0 && (
                    <section class="card section">
                        <h2>Tags</h2>
                        <ul class="tags">
                            {v.tags.map(([k, val]) => (
                                <li key={k}>
                                    <span class="tagk">{k}</span>
                                    <span class="tagv">{val}</span>
                                </li>
                            ))}
                        </ul>
                    </section>
                )}
                {v.user.length > 0 && (
                    <section class="card section">
                        <h2>User</h2>
                        <KeyValues rows={v.user} />
                    </section>
                )}
                {v.contexts.map((c) => (
                    <section class="card section" key={c.name}>
                        <h2>{c.name}</h2>
                        <KeyValues rows={c.rows} />
                    </section>
                ))}
                {v.sdk.length > 0 && (
                    <section class="card section">
                        <h2>SDK</h2>
                        <KeyValues rows={v.sdk} />
                    </section>
                )}
            </div>
            <section class="card section">
                <div class="sectionhead">
                    <h2>Raw event</h2>
                    <div class="btngroup">
                        <button type="button" class="btn small" aria-expanded={showJson} onClick={() => setShowJson(!showJson)}>
                            {showJson ? 'Hide JSON' : 'View JSON'}
                        </button>
                        <button type="button" class="btn small" onClick={download}>
                            Download JSON
                        </button>
                    </div>
                </div>
                {showJson && <pre class="code json">{json}</pre>}
            </section>
        </div>
    );
}
