// Turns a Sentry event (the API's shape: entries of type exception, message, threads,
// breadcrumbs, request; tags; user; contexts; sdk) into plain values the detail page shows.
// Everything stays text: the page renders these as text nodes only.

const str = (v) => (v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));

export function entry(event, type) {
    return ((event && event.entries) || []).find((e) => e && e.type === type) || null;
}

function frameView(f, i) {
    const ctx = Array.isArray(f.context) ? f.context : [];
    const lineNo = typeof f.lineNo === 'number' ? f.lineNo : null;
    return {
        key: i,
        filename: str(f.filename || f.absPath || f.module || f.package || '?'),
        function: str(f.function || f.rawFunction || f.symbol || '?'),
        module: str(f.module),
        lineNo,
        colNo: typeof f.colNo === 'number' ? f.colNo : null,
        inApp: f.inApp === true,
        context: ctx
            .filter((c) => Array.isArray(c) && c.length >= 2)
            .map(([n, line]) => ({ lineNo: n, line: str(line), current: n === lineNo })),
        vars: f.vars && typeof f.vars === 'object' ? Object.entries(f.vars).map(([k, v]) => [k, str(v)]) : [],
    };
}

/**
 * Frames most recent first (as Sentry shows them). With inAppOnly, only in-app frames — unless
 * there are none, then all of them.
 */
export function framesFor(stacktrace, inAppOnly) {
    const raw = (stacktrace && Array.isArray(stacktrace.frames) ? stacktrace.frames : []).map(frameView).reverse();
    if (!inAppOnly) return { frames: raw, hidden: 0 };
    const app = raw.filter((f) => f.inApp);
    if (!app.length) return { frames: raw, hidden: 0 };
    return { frames: app, hidden: raw.length - app.length };
}

export function exceptionsView(event) {
    const e = entry(event, 'exception');
    const values = e && e.data && Array.isArray(e.data.values) ? e.data.values : [];
    // Sentry lists chained exceptions innermost last; show the one that was raised first.
    return values
        .map((v) => ({
            type: str(v.type) || 'Error',
            value: str(v.value),
            mechanism: v.mechanism ? { type: str(v.mechanism.type), handled: v.mechanism.handled } : null,
            stacktrace: v.stacktrace || null,
        }))
        .reverse();
}

/** The plain-text form of a stack trace (the "raw" view), most recent call last, like Python. */
export function rawStacktrace(exc) {
    const lines = [`${exc.type}: ${exc.value}`];
    const frames = exc.stacktrace && Array.isArray(exc.stacktrace.frames) ? exc.stacktrace.frames : [];
    for (const f of frames.map(frameView).reverse()) {
        const pos = f.lineNo !== null ? `:${f.lineNo}${f.colNo !== null ? `:${f.colNo}` : ''}` : '';
        lines.push(`  at ${f.function} (${f.filename}${pos})`);
    }
    return lines.join('\n');
}

function hhmmss(ts) {
    const d = new Date(ts);
    if (Number.isNaN(d.getTime())) return str(ts);
    return d.toISOString().slice(11, 23);
}

export function breadcrumbsView(event) {
    const e = entry(event, 'breadcrumbs');
    const values = e && e.data && Array.isArray(e.data.values) ? e.data.values : [];
    return values.map((b, i) => ({
        key: i,
        time: b.timestamp ? hhmmss(b.timestamp) : '',
        type: str(b.type) || 'default',
        category: str(b.category),
        level: str(b.level) || 'info',
        message: str(b.message),
        data: b.data && typeof b.data === 'object' && Object.keys(b.data).length ? JSON.stringify(b.data) : '',
    }));
}

export function messageView(event) {
    const e = entry(event, 'message');
    if (e && e.data) return str(e.data.formatted || e.data.message);
    return str(event && event.message);
}

/** [[key, value]] rows of an object, values as text; nested objects as JSON. */
export function kv(obj) {
    if (!obj || typeof obj !== 'object') return [];
    return Object.entries(obj)
        .filter(([, v]) => v !== null && v !== undefined && v !== '')
        .map(([k, v]) => [k, str(v)]);
}

export function requestView(event) {
    const e = entry(event, 'request');
    if (!e || !e.data) return null;
    const d = e.data;
    const headers = Array.isArray(d.headers) ? d.headers.map((h) => [str(h[0]), str(h[1])]) : kv(d.headers);
    return { method: str(d.method) || 'GET', url: str(d.url), query: Array.isArray(d.query) ? d.query.map((q) => q.join('=')).join('&') : str(d.query), headers, data: str(d.data) };
}

export function contextsView(event) {
    const c = event && event.contexts && typeof event.contexts === 'object' ? event.contexts : {};
    return Object.entries(c)
        .filter(([, v]) => v && typeof v === 'object')
        .map(([name, v]) => ({ name, rows: kv(v).filter(([k]) => k !== 'type') }));
}

/** Everything the detail page shows about one event. */
export function eventView(event) {
    return {
        id: str(event && (event.eventID || event.id)),
        exceptions: exceptionsView(event),
        message: messageView(event),
        breadcrumbs: breadcrumbsView(event),
        request: requestView(event),
        tags: Array.isArray(event && event.tags) ? event.tags.map((t) => [str(t.key), str(t.value)]) : [],
        user: kv(event && event.user),
        contexts: contextsView(event),
        sdk: event && event.sdk ? kv({ name: event.sdk.name, version: event.sdk.version }) : [],
    };
}
