// An issue's tag distributions: per key, its most frequent values as horizontal bars with
// their share of the events. Each value links to the project's issues with that tag.
import { useMemo } from 'preact/hooks';
import { paths } from '../lib/router.js';
import { tagDistribution, tagQuery } from '../lib/tagdist.js';
import { Link } from './ui.jsx';

function Bar({ width }) {
    return (
        <svg class="tagbar" aria-hidden="true" viewBox="0 0 100 4" preserveAspectRatio="none">
            <rect class="tagbarbg" x="0" y="0" width="100" height="4" />
            <rect x="0" y="0" width={width} height="4" fill="currentColor" />
        </svg>
    );
}

function TagKey({ org, project, tag }) {
    const d = useMemo(() => tagDistribution(tag), [tag]);
    if (!d.rows.length) return null;
    const id = `tagkey-${d.key.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    return (
        <div class="tagkey">
            <h3 id={id}>
                {d.key}{' '}
                <span class="muted small">
                    {d.unique} value{d.unique === 1 ? '' : 's'}
                </span>
            </h3>
            <ul class="tagvalues" aria-labelledby={id}>
                {d.rows.map((r) => (
                    <li key={r.value} title={`${r.count} of ${d.total} events`}>
                        <Link class="tagvalue" href={`${paths.issues(org, project)}?${new URLSearchParams({ query: tagQuery(d.key, r.value) })}`}>
                            <span class="tagname">{r.value || '(empty)'}</span>
                            <span class="sr-only"> — </span>
                            <span class="tagpct">{r.pct}</span>
                            <Bar width={r.width} />
                        </Link>
                    </li>
                ))}
                {d.other && (
                    <li title={`${d.other.count} of ${d.total} events`}>
                        <span class="tagvalue other">
                            <span class="tagname muted">Other</span>
                            <span class="sr-only"> — </span>
                            <span class="tagpct">{d.other.pct}</span>
                            <Bar width={d.other.width} />
                        </span>
                    </li>
                )}
            </ul>
        </div>
    );
}

/** tags: the answer of GET /api/0/issues/{id}/tags/ (null while loading). */
export function TagDistribution({ org, project, tags }) {
    if (!tags) return null;
    return (
        <section class="card section tagdist" aria-label="Tag distribution">
            <h2>Tag distribution</h2>
            {tags.length === 0 ? (
                <p class="muted small">No tags counted yet — they follow new events within a few seconds.</p>
            ) : (
                tags.map((t) => <TagKey key={t.key} org={org} project={project} tag={t} />)
            )}
        </section>
    );
}
