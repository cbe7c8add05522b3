import { describe, expect, it } from 'vitest';
import { seriesOf, seriesTotal, sparkBars, sparkLabel } from './sparkline.js';

describe('seriesOf', () => {
    const cases = [
        ['an array', [[1, 2], [2, 3]], '24h', [[1, 2], [2, 3]]],
        ['an issue stats object', { '24h': [[1, 2]] }, '24h', [[1, 2]]],
        ['the other period', { '14d': [[1, 5]] }, '14d', [[1, 5]]],
        ['a missing period', { '14d': [[1, 5]] }, '24h', []],
        ['absent', undefined, '24h', []],
        ['null', null, '24h', []],
        ['junk points', [[1], 'x', [2, -4], ['3', '7']], '24h', [[2, 0], [3, 7]]],
    ];
    for (const [name, stats, period, want] of cases) it(name, () => expect(seriesOf(stats, period)).toEqual(want));
});

describe('sparkline', () => {
    it('totals', () => {
        expect(seriesTotal([])).toBe(0);
        expect(seriesTotal([[1, 2], [2, 40]])).toBe(42);
    });
    it('labels', () => {
        expect(sparkLabel(42)).toBe('42 events in the last 24 hours');
        expect(sparkLabel(1, '14d')).toBe('1 event in the last 14 days');
        expect(sparkLabel(0, '7d')).toBe('0 events in the period');
    });
    it('bars scale to the largest count', () => {
        const bars = sparkBars([[10, 0], [20, 5], [30, 10], [40, 1]], { width: 40, height: 20, gap: 2 });
        expect(bars.map((b) => [b.x, b.w, b.h, b.y])).toEqual([
            [0, 8, 0, 20],
            [10, 8, 10, 10],
            [20, 8, 20, 0],
            [30, 8, 2, 18],
        ]);
        expect(bars[1]).toMatchObject({ ts: 20, count: 5 });
    });
    it('a tiny count is still visible; all zeros are flat', () => {
        expect(sparkBars([[1, 1000], [2, 1]], { height: 10 })[1].h).toBe(1);
        expect(sparkBars([[1, 0], [2, 0]]).every((b) => b.h === 0)).toBe(true);
        expect(sparkBars([])).toEqual([]);
    });
});
