// The issue search language as the UI edits it: `is:unresolved level:error environment:prod
// release:"1.0 beta" free text`. The search box holds the whole string; the filter menus
// rewrite one key of it, so both always agree.

const KEYS = ['is', 'level', 'environment', 'release'];

/** Splits a query into tokens; double quotes group words (kept in the token). */
export function tokenize(q) {
    const out = [];
    let cur = '';
    let quoted = false;
    for (const ch of q || '') {
        if (ch === '"') quoted = !quoted;
        if (!quoted && /\s/.test(ch)) {
            if (cur) out.push(cur);
            cur = '';
        } else {
            cur += ch;
        }
    }
    if (cur) out.push(cur);
    return out;
}

const unquote = (v) => v.replace(/"/g, '');
const quote = (v) => (/[\s"]/.test(v) ? `"${v.replace(/"/g, '')}"` : v);

/** {is, level, environment, release, text}: the known keys (last one wins) and the rest as text. */
export function parseQuery(q) {
    const out = { text: '' };
    const rest = [];
    for (const tok of tokenize(q)) {
        const i = tok.indexOf(':');
        const key = i > 0 ? tok.slice(0, i) : '';
        if (KEYS.includes(key)) out[key] = unquote(tok.slice(i + 1));
        else rest.push(tok);
    }
    out.text = rest.join(' ');
    return out;
}

/** The query with key set to value (replacing any earlier one), or removed when value is empty. */
export function setQueryKey(q, key, value) {
    const toks = tokenize(q).filter((t) => !t.startsWith(`${key}:`));
    const kept = toks.filter((t) => {
        const i = t.indexOf(':');
        return i > 0 && KEYS.includes(t.slice(0, i));
    });
    const free = toks.filter((t) => !kept.includes(t));
    if (value) kept.push(`${key}:${quote(value)}`);
    const order = (t) => KEYS.indexOf(t.slice(0, t.indexOf(':')));
    kept.sort((a, b) => order(a) - order(b));
    return [...kept, ...free].join(' ');
}

export const SORTS = [
    { id: 'date', label: 'Last seen' },
    { id: 'new', label: 'First seen' },
    { id: 'freq', label: 'Events' },
    { id: 'user', label: 'Users' },
];

/** The API path of a project's issue list. */
export function issuesPath(org, project, { query = '', sort = 'date', cursor = null, limit } = {}) {
    const p = new URLSearchParams();
    p.set('query', query);
    if (sort && sort !== 'date') p.set('sort', sort);
    if (cursor) p.set('cursor', cursor);
    if (limit) p.set('limit', String(limit));
    return `/api/0/projects/${encodeURIComponent(org)}/${encodeURIComponent(project)}/issues/?${p}`;
}
