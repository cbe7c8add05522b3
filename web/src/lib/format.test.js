import { describe, expect, it } from 'vitest';
import { base64Utf8, compactCount, slugify, timeAgo } from './format.js';
import { matchRoute } from './router.js';

describe('format', () => {
    it('timeAgo', () => {
        const now = Date.parse('2026-01-02T00:00:00Z');
        expect(timeAgo('2026-01-01T23:59:30Z', now)).toBe('30s ago');
        expect(timeAgo('2026-01-01T23:00:00Z', now)).toBe('1h ago');
        expect(timeAgo('2025-12-25T00:00:00Z', now)).toBe('8d ago');
        expect(timeAgo('nope', now)).toBe('');
    });
    it('compactCount', () => {
        expect(['0', '999', '1.5k', '12k', '2.5M']).toEqual([0, 999, 1500, 12000, 2500000].map(compactCount));
        expect(compactCount('17')).toBe('17');
    });
    it('slugify', () => {
        expect(slugify('My Cool App!')).toBe('my-cool-app');
        expect(slugify('  --x--  ')).toBe('x');
    });
    it('base64 of UTF-8', () => {
        expect(atob(base64Utf8('<svg>é</svg>'))).toBe('<svg>\u00c3\u00a9</svg>');
    });
});

describe('routes', () => {
    const cases = [
        ['/', 'home', {}],
        ['/login/', 'login', {}],
        ['/setup', 'setup', {}],
        ['/organizations/acme/projects/', 'projects', { org: 'acme' }],
        ['/organizations/acme/', 'projects', { org: 'acme' }],
        ['/organizations/acme/projects/new/', 'newProject', { org: 'acme' }],
        ['/organizations/acme/projects/web%20app/', 'issues', { org: 'acme', project: 'web app' }],
        ['/organizations/acme/issues/12/', 'issue', { org: 'acme', issueId: '12' }],
        ['/organizations/acme/projects/web/settings/', 'projectSettings', { org: 'acme', project: 'web' }],
        ['/organizations/acme/members/', 'members', { org: 'acme' }],
        ['/organizations/new/', 'newOrg', {}],
        ['/settings/account/', 'account', {}],
        ['/nope/x', 'notFound', {}],
    ];
    for (const [path, name, params] of cases) {
        it(path, () => expect(matchRoute(path)).toEqual({ name, params }));
    }
});
