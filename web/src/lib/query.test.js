import { describe, expect, it } from 'vitest';
import { issuesPath, parseQuery, setQueryKey, tokenize } from './query.js';

describe('query language', () => {
    it('tokenizes with quotes', () => {
        expect(tokenize(' is:unresolved  release:"1.0 beta" boom  ')).toEqual(['is:unresolved', 'release:"1.0 beta"', 'boom']);
    });
    it('parses known keys and free text', () => {
        expect(parseQuery('is:resolved level:error TypeError environment:prod release:"1.0 beta" in foo')).toEqual({
            is: 'resolved',
            level: 'error',
            environment: 'prod',
            release: '1.0 beta',
            text: 'TypeError in foo',
        });
        expect(parseQuery('')).toEqual({ text: '' });
        expect(parseQuery('url:http://x')).toEqual({ text: 'url:http://x' });
    });
    const cases = [
        ['is:unresolved boom', 'is', 'resolved', 'is:resolved boom'],
        ['is:unresolved boom', 'is', '', 'boom'],
        ['boom', 'level', 'error', 'level:error boom'],
        ['level:error is:ignored', 'environment', 'prod', 'is:ignored level:error environment:prod'],
        ['', 'release', '1.0 beta', 'release:"1.0 beta"'],
        ['level:warning level:error x', 'level', 'info', 'level:info x'],
    ];
    for (const [q, k, v, want] of cases) {
        it(`setQueryKey(${JSON.stringify(q)}, ${k}, ${JSON.stringify(v)})`, () => {
            expect(setQueryKey(q, k, v)).toBe(want);
            expect(parseQuery(setQueryKey(q, k, v))[k]).toBe(v || undefined);
        });
    }
    it('builds the API path', () => {
        expect(issuesPath('acme', 'web app', { query: 'is:unresolved level:error', sort: 'freq', cursor: '0:25:0' })).toBe(
            '/api/0/projects/acme/web%20app/issues/?query=is%3Aunresolved+level%3Aerror&sort=freq&cursor=0%3A25%3A0',
        );
        expect(issuesPath('o', 'p', { query: '' })).toBe('/api/0/projects/o/p/issues/?query=');
    });
});
