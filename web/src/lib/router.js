// The page routes: path → {name, params}. History API navigation, no hash.

const ROUTES = [
    ['setup', /^\/setup\/?$/],
    ['login', /^\/login\/?$/],
    ['forgotPassword', /^\/forgot-password\/?$/],
    ['resetPassword', /^\/reset-password\/(\d+)\/([0-9a-f]{64})\/?$/],
    ['accept', /^\/accept\/(\d+)\/([0-9a-f]{64})\/?$/],
    ['account', /^\/settings\/account\/?$/],
    ['newOrg', /^\/organizations\/new\/?$/],
    ['newProject', /^\/organizations\/([^/]+)\/projects\/new\/?$/],
    ['projectSettings', /^\/organizations\/([^/]+)\/projects\/([^/]+)\/settings\/?$/],
    ['members', /^\/organizations\/([^/]+)\/members\/?$/],
    ['issues', /^\/organizations\/([^/]+)\/projects\/([^/]+)\/?$/],
    ['projects', /^\/organizations\/([^/]+)\/(?:projects\/?)?$/],
    ['issue', /^\/organizations\/([^/]+)\/issues\/(\d+)\/?$/],
    ['home', /^\/?$/],
];
const PARAMS = {
    resetPassword: ['uid', 'token'],
    accept: ['memberId', 'token'],
    newProject: ['org'],
    projectSettings: ['org', 'project'],
    members: ['org'],
    issues: ['org', 'project'],
    projects: ['org'],
    issue: ['org', 'issueId'],
};

export function matchRoute(pathname) {
    for (const [name, re] of ROUTES) {
        const m = re.exec(pathname);
        if (!m) continue;
        const params = {};
        (PARAMS[name] || []).forEach((k, i) => {
            params[k] = decodeURIComponent(m[i + 1]);
        });
        return { name, params };
    }
    return { name: 'notFound', params: {} };
}

/** The page to return to from a "?next=…" query: a path on this site, or null. */
export function nextPath(search) {
    const next = new URLSearchParams(search || '').get('next');
    if (!next || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return null;
    return next;
}

export const paths = {
    projects: (org) => `/organizations/${encodeURIComponent(org)}/projects/`,
    newProject: (org) => `/organizations/${encodeURIComponent(org)}/projects/new/`,
    issues: (org, project) => `/organizations/${encodeURIComponent(org)}/projects/${encodeURIComponent(project)}/`,
    projectSettings: (org, project) => `/organizations/${encodeURIComponent(org)}/projects/${encodeURIComponent(project)}/settings/`,
    members: (org) => `/organizations/${encodeURIComponent(org)}/members/`,
    login: (next) => (next ? `/login/?next=${encodeURIComponent(next)}` : '/login/'),
    issue: (org, id) => `/organizations/${encodeURIComponent(org)}/issues/${encodeURIComponent(id)}/`,
};

export function navigate(to, { replace = false } = {}) {
    if (replace) history.replaceState(null, '', to);
    else history.pushState(null, '', to);
    window.dispatchEvent(new PopStateEvent('popstate'));
    window.scrollTo(0, 0);
}
