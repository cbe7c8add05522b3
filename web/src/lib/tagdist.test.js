import { describe, expect, it } from 'vitest';
import { percentText, percentWidth, tagDistribution, tagQuery } from './tagdist.js';

describe('percentages', () => {
    const cases = [
        [63, 100, '63%', 63],
        [2, 3, '67%', 66.7],
        [1, 3, '33%', 33.3],
        [1, 1000, '<1%', 0.1],
        [999, 1000, '99%', 99.9],
        [5, 5, '100%', 100],
        [0, 5, '0%', 0],
        [3, 0, '0%', 0],
    ];
    for (const [count, total, text, width] of cases) {
        it(`${count} of ${total}`, () => {
            expect(percentText(count, total)).toBe(text);
            expect(percentWidth(count, total)).toBe(width);
        });
    }
});

describe('tagDistribution', () => {
    it('rows and the rest', () => {
        const d = tagDistribution({
            key: 'browser',
            totalValues: 10,
            uniqueValues: 3,
            topValues: [
                { value: 'Chrome 120', count: 6 },
                { value: 'Firefox', count: 3 },
            ],
        });
        expect(d.key).toBe('browser');
        expect(d.unique).toBe(3);
        expect(d.rows.map((r) => [r.value, r.pct])).toEqual([
            ['Chrome 120', '60%'],
            ['Firefox', '30%'],
        ]);
        expect(d.other).toEqual({ count: 1, pct: '10%', width: 10 });
    });
    it('no rest when the top values are all', () => {
        expect(tagDistribution({ key: 'os', totalValues: 2, topValues: [{ value: 'Linux', count: 2 }] }).other).toBe(null);
    });
    it('survives junk', () => {
        expect(tagDistribution(null)).toEqual({ key: '', total: 0, unique: 0, rows: [], other: null });
        expect(tagDistribution({ name: 'k', topValues: 'x' }).key).toBe('k');
    });
});

describe('tagQuery', () => {
    it('quotes when needed', () => {
        expect(tagQuery('browser', 'Chrome 120')).toBe('is:unresolved browser:"Chrome 120"');
        expect(tagQuery('level', 'error')).toBe('is:unresolved level:error');
        expect(tagQuery('url', 'http://x/"y"')).toBe('is:unresolved url:"http://x/y"');
    });
});
