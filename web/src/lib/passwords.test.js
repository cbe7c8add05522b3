import { describe, expect, it } from 'vitest';
import { newPasswordError } from './passwords.js';
import { matchRoute, nextPath, paths } from './router.js';

const TOKEN = 'ab'.repeat(32);

describe('newPasswordError', () => {
    const cases = [
        ['correct horse', 'correct horse', null],
        ['12345678', '12345678', null],
        ['short', 'short', /at least 8/],
        ['', '', /at least 8/],
        [undefined, undefined, /at least 8/],
        ['long enough', 'long enougH', /differ/],
        ['long enough', undefined, /differ/],
    ];
    for (const [p, r, want] of cases) {
        it(`${JSON.stringify(p)} / ${JSON.stringify(r)}`, () => {
            const got = newPasswordError(p, r);
            if (want === null) expect(got).toBeNull();
            else expect(got).toMatch(want);
        });
    }
});

describe('mailed links are routed', () => {
    it('reset and invitation links', () => {
        expect(matchRoute(`/reset-password/12/${TOKEN}/`)).toEqual({ name: 'resetPassword', params: { uid: '12', token: TOKEN } });
        expect(matchRoute(`/reset-password/12/${TOKEN}`).name).toBe('resetPassword');
        expect(matchRoute(`/accept/7/${TOKEN}/`)).toEqual({ name: 'accept', params: { memberId: '7', token: TOKEN } });
        expect(matchRoute('/forgot-password/').name).toBe('forgotPassword');
    });
    it('not malformed ones', () => {
        expect(matchRoute(`/reset-password/x/${TOKEN}/`).name).toBe('notFound');
        expect(matchRoute('/reset-password/12/abc/').name).toBe('notFound');
        expect(matchRoute(`/accept/7/${TOKEN}/extra/`).name).toBe('notFound');
    });
});

describe('returning after sign-in', () => {
    it('goes back to a page of this site', () => {
        expect(nextPath(`?next=${encodeURIComponent(`/accept/7/${TOKEN}/`)}`)).toBe(`/accept/7/${TOKEN}/`);
        expect(nextPath(new URL(`http://x${paths.login(`/accept/7/${TOKEN}/`)}`).search)).toBe(`/accept/7/${TOKEN}/`);
        expect(paths.login()).toBe('/login/');
    });
    it('nowhere else', () => {
        for (const q of ['', '?next=', '?next=https://evil.example/', '?next=//evil.example/', '?next=/\\evil.example/', '?next=javascript:alert(1)']) {
            expect(nextPath(q)).toBeNull();
        }
    });
});
