import { describe, expect, it } from 'vitest';
import { pageCursor, parseLink } from './link.js';

describe('parseLink', () => {
    const cases = [
        {
            name: "snag's header, first page with a next one",
            header:
                '<http://h/api/0/projects/o/p/issues/?query=is%3Aunresolved&cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", ' +
                '<http://h/api/0/projects/o/p/issues/?query=is%3Aunresolved&cursor=0:25:0>; rel="next"; results="true"; cursor="0:25:0"',
            prev: null,
            next: '0:25:0',
        },
        {
            name: 'last page',
            header: '<http://h/x?cursor=0:25:1>; rel="previous"; results="true"; cursor="0:25:1", <http://h/x?cursor=0:50:0>; rel="next"; results="false"; cursor="0:50:0"',
            prev: '0:25:1',
            next: null,
        },
        { name: 'absent', header: null, prev: null, next: null },
        { name: 'garbage', header: 'nonsense, <>; foo', prev: null, next: null },
        {
            name: 'a comma inside the URL',
            header: '<http://h/x?query=a,b&cursor=1:0:0>; rel="next"; results="true"; cursor="1:0:0"',
            prev: null,
            next: '1:0:0',
        },
    ];
    for (const c of cases) {
        it(c.name, () => {
            const l = parseLink(c.header);
            expect(pageCursor(l, 'previous')).toBe(c.prev);
            expect(pageCursor(l, 'next')).toBe(c.next);
        });
    }
    it('keeps the URL', () => {
        expect(parseLink('<http://h/x?a=1>; rel="next"; results="true"; cursor="c"').next.url).toBe('http://h/x?a=1');
    });
});
