import { describe, expect, it } from 'vitest';
import { PLATFORMS, platformName, setupSnippet } from './snippets.js';

const DSN = 'http://0123456789abcdef0123456789abcdef@localhost:8000/1';

describe('setup snippets', () => {
    it('covers every platform the wizard offers', () => {
        const want = ['python', 'python-django', 'node', 'javascript', 'javascript-vue', 'javascript-react', 'php-laravel', 'go', 'rust', 'java', 'dotnet', 'native'];
        expect(PLATFORMS.map((p) => p.id)).toEqual(want);
    });
    for (const p of PLATFORMS) {
        it(`${p.id}: install command and the DSN in the code`, () => {
            const s = setupSnippet(p.id, DSN);
            expect(s.install.length).toBeGreaterThan(5);
            expect(s.code).toContain(DSN);
        });
    }
    it('names the right SDKs', () => {
        expect(setupSnippet('python', DSN).code).toContain('sentry_sdk.init(');
        expect(setupSnippet('javascript', DSN).code).toContain('@sentry/browser');
        expect(setupSnippet('javascript-vue', DSN).install).toContain('@sentry/vue');
        expect(setupSnippet('go', DSN).install).toContain('sentry-go');
        expect(setupSnippet('native', DSN).code).toContain('sentry_options_set_dsn');
    });
    it('never puts a DSN that could break out of its quotes into code', () => {
        const bad = 'http://k@h/1"); alert(1); ("';
        for (const p of PLATFORMS) {
            const s = setupSnippet(p.id, bad);
            expect(s.code).not.toContain('alert');
            expect(s.code).toContain('YOUR_DSN');
        }
    });
    it('names platforms', () => {
        expect(platformName('dotnet')).toBe('.NET');
        expect(platformName('cobol')).toBe('cobol');
        expect(platformName(null)).toBe('Other');
    });
});
