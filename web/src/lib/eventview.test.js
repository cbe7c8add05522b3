import { describe, expect, it } from 'vitest';
import { eventView, framesFor, rawStacktrace } from './eventview.js';

const frame = (fn, inApp, lineNo, extra = {}) => ({ filename: `${fn}.js`, function: fn, lineNo, colNo: 3, inApp, context: [], ...extra });

const event = {
    eventID: 'abc123',
    message: '',
    tags: [
        { key: 'browser', value: 'Chrome 1' },
        { key: 'level', value: 'error' },
    ],
    user: { id: '42', email: 'a@example.com', ip_address: null },
    contexts: { browser: { name: 'Chrome', version: '1', type: 'browser' }, weird: 'not an object' },
    sdk: { name: 'sentry.javascript.browser', version: '11.12.0', integrations: ['x'] },
    entries: [
        {
            type: 'exception',
            data: {
                values: [
                    {
                        type: 'TypeError',
                        value: 'x is <b>undefined</b>',
                        mechanism: { type: 'onerror', handled: false },
                        stacktrace: {
                            frames: [
                                frame('vendor', false, 10),
                                frame('outer', true, 20),
                                frame('inner', true, 30, {
                                    context: [
                                        [29, 'function inner() {'],
                                        [30, '  throw new TypeError()'],
                                        [31, '}'],
                                    ],
                                    vars: { a: 1, b: { c: 2 } },
                                }),
                            ],
                        },
                    },
                ],
            },
        },
        {
            type: 'breadcrumbs',
            data: {
                values: [
                    { timestamp: '2026-01-02T03:04:05.678Z', category: 'ui.click', message: 'button#go', level: 'info', type: 'default', data: null },
                    { timestamp: '2026-01-02T03:04:06Z', category: 'fetch', level: 'error', type: 'http', data: { url: '/x', status_code: 500 } },
                ],
            },
        },
        { type: 'request', data: { url: 'http://site/page', method: null, headers: [['User-Agent', 'UA']], query: [['a', '1']] } },
        { type: 'message', data: { formatted: 'hello', message: null } },
    ],
};

describe('event view model', () => {
    const v = eventView(event);
    it('exceptions, newest frame first, with source context', () => {
        expect(v.exceptions).toHaveLength(1);
        const e = v.exceptions[0];
        expect(e.type).toBe('TypeError');
        expect(e.value).toBe('x is <b>undefined</b>'); // kept as text, never markup
        expect(e.mechanism).toEqual({ type: 'onerror', handled: false });
        const { frames, hidden } = framesFor(e.stacktrace, false);
        expect(frames.map((f) => f.function)).toEqual(['inner', 'outer', 'vendor']);
        expect(hidden).toBe(0);
        expect(frames[0].context).toEqual([
            { lineNo: 29, line: 'function inner() {', current: false },
            { lineNo: 30, line: '  throw new TypeError()', current: true },
            { lineNo: 31, line: '}', current: false },
        ]);
        expect(frames[0].vars).toEqual([
            ['a', '1'],
            ['b', '{"c":2}'],
        ]);
    });
    it('in-app toggle hides system frames, unless there are no app frames', () => {
        const st = event.entries[0].data.values[0].stacktrace;
        const r = framesFor(st, true);
        expect(r.frames.map((f) => f.function)).toEqual(['inner', 'outer']);
        expect(r.hidden).toBe(1);
        const sys = framesFor({ frames: [frame('a', false, 1), frame('b', false, 2)] }, true);
        expect(sys.frames).toHaveLength(2);
        expect(framesFor(null, true)).toEqual({ frames: [], hidden: 0 });
    });
    it('raw stack trace as text', () => {
        expect(rawStacktrace(v.exceptions[0])).toBe('TypeError: x is <b>undefined</b>\n  at inner (inner.js:30:3)\n  at outer (outer.js:20:3)\n  at vendor (vendor.js:10:3)');
    });
    it('breadcrumbs', () => {
        expect(v.breadcrumbs).toEqual([
            { key: 0, time: '03:04:05.678', type: 'default', category: 'ui.click', level: 'info', message: 'button#go', data: '' },
            { key: 1, time: '03:04:06.000', type: 'http', category: 'fetch', level: 'error', message: '', data: '{"url":"/x","status_code":500}' },
        ]);
    });
    it('request, message, tags, user, contexts, sdk', () => {
        expect(v.request).toEqual({ method: 'GET', url: 'http://site/page', query: 'a=1', headers: [['User-Agent', 'UA']], data: '' });
        expect(v.message).toBe('hello');
        expect(v.tags).toEqual([
            ['browser', 'Chrome 1'],
            ['level', 'error'],
        ]);
        expect(v.user).toEqual([
            ['id', '42'],
            ['email', 'a@example.com'],
        ]);
        expect(v.contexts).toEqual([
            {
                name: 'browser',
                rows: [
                    ['name', 'Chrome'],
                    ['version', '1'],
                ],
            },
        ]);
        expect(v.sdk).toEqual([
            ['name', 'sentry.javascript.browser'],
            ['version', '11.12.0'],
        ]);
    });
    it('survives an empty or odd event', () => {
        const e = eventView({ entries: [null, { type: 'exception' }, { type: 'breadcrumbs', data: { values: 'x' } }] });
        expect(e.exceptions).toEqual([]);
        expect(e.breadcrumbs).toEqual([]);
        expect(eventView(null).tags).toEqual([]);
    });
});
