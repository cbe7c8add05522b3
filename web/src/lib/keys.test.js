import { describe, expect, it } from 'vitest';
import { rateLimitBody, rateLimitText, windowChoices, windowText } from './keys.js';

describe('rate limits', () => {
    const texts = [
        [{ window: 3600, count: 100 }, '100 events per hour'],
        [{ window: 60, count: 1 }, '1 event per minute'],
        [{ window: 300, count: 5 }, '5 events per 5 minutes'],
        [{ window: 86400, count: 10 }, '10 events per day'],
        [{ window: 90, count: 2 }, '2 events per 90 seconds'],
        [{ window: 7200, count: 2 }, '2 events per 2 hours'],
        [null, 'No rate limit'],
        [{ window: 60, count: 0 }, 'No rate limit'],
    ];
    for (const [rl, want] of texts) it(want, () => expect(rateLimitText(rl)).toBe(want));

    it('windowText', () => {
        expect(windowText(1)).toBe('per second');
        expect(windowText(86400 * 2)).toBe('per 2 days');
    });

    const bodies = [
        ['', 3600, null],
        ['0', 60, null],
        ['  ', 60, null],
        ['100', '3600', { window: 3600, count: 100 }],
        [25, 60, { window: 60, count: 25 }],
    ];
    for (const [count, window, want] of bodies) it(`body of ${JSON.stringify(count)}`, () => expect(rateLimitBody(count, window)).toEqual(want));

    it('refuses what the API would', () => {
        expect(() => rateLimitBody('1.5', 60)).toThrow(/whole number/);
        expect(() => rateLimitBody('-3', 60)).toThrow(/whole number/);
        expect(() => rateLimitBody('abc', 60)).toThrow(/whole number/);
        expect(() => rateLimitBody('10', 86401)).toThrow(/window/);
        expect(() => rateLimitBody('10', 0)).toThrow(/window/);
    });

    it('window choices keep an unusual current window', () => {
        expect(windowChoices(3600).map(([s]) => s)).toEqual([60, 3600, 86400]);
        expect(windowChoices(300)).toEqual([
            [60, 'per minute'],
            [300, 'per 5 minutes'],
            [3600, 'per hour'],
            [86400, 'per day'],
        ]);
    });
});
