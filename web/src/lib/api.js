// The JSON API client: same-origin fetch with the session cookie; every write carries the
// X-CSRFToken header (the token from the sign-in answer, or the readable snag_csrf cookie).
// A 401 answer means the session is gone (signed out from another browser, expired): the
// app shell hears of it through onUnauthorized and shows the sign-in page, instead of every
// page showing its own "credentials were not provided".
let csrfToken = null;
let unauthorized = null;

export function setCsrfToken(t) {
    csrfToken = t || null;
}

/** fn() is called on every 401 answer, before the call rejects; null removes it. One listener. */
export function onUnauthorized(fn) {
    unauthorized = fn || null;
}

function csrfFromCookie() {
    const m = /(?:^|;\s*)snag_csrf=([^;]+)/.exec(globalThis.document?.cookie || '');
    return m ? decodeURIComponent(m[1]) : null;
}

export class ApiError extends Error {
    constructor(status, detail, body) {
        super(detail);
        this.status = status;
        this.body = body;
    }
}

/** Calls the API. Resolves {json, headers, status}; rejects with ApiError on a non-2xx. */
export async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (method !== 'GET' && method !== 'HEAD') {
        const t = csrfFromCookie() || csrfToken;
        if (t) headers['X-CSRFToken'] = t;
    }
    const r = await fetch(path, {
        method,
        headers,
        credentials: 'same-origin',
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    let json = null;
    try {
        json = text ? JSON.parse(text) : null;
    } catch {
        json = null;
    }
    if (r.status === 401 && unauthorized) unauthorized();
    if (!r.ok) {
        const detail = (json && typeof json.detail === 'string' && json.detail) || `${r.status} ${r.statusText}`;
        throw new ApiError(r.status, detail, json);
    }
    return { json, headers: r.headers, status: r.status };
}

export const enc = encodeURIComponent;
