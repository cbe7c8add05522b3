import { describe, expect, it } from 'vitest';
import { initialNav, keyCommand, navReduce, targetIds } from './listnav.js';

const ids = ['1', '2', '3'];
const run = (cmds, state = initialNav, list = ids) => cmds.reduce((s, c) => navReduce(s, c, list), state);

describe('list keyboard navigation', () => {
    const cases = [
        [[], -1, []],
        [['next'], 0, []],
        [['next', 'next', 'next', 'next'], 2, []],
        [['next', 'next', 'prev'], 0, []],
        [['prev'], 0, []],
        [['next', 'toggle'], 0, ['1']],
        [['next', 'toggle', 'next', 'toggle'], 1, ['1', '2']],
        [['next', 'toggle', 'toggle'], 0, []],
        [['all'], -1, ids],
        [['all', 'all'], -1, []],
        [['toggle'], -1, []],
    ];
    for (const [cmds, cursor, selected] of cases) {
        it(cmds.join(',') || '(nothing)', () => {
            const s = run(cmds);
            expect(s.cursor).toBe(cursor);
            expect(s.selected).toEqual(selected);
        });
    }
    it('an empty list has no cursor', () => {
        expect(run(['next'], initialNav, []).cursor).toBe(-1);
    });
    it('reset keeps the cursor in range and drops vanished selections', () => {
        const s = run(['next', 'next', 'next', 'toggle']);
        expect(navReduce(s, 'reset', ['1', '2'])).toEqual({ cursor: 1, selected: [] });
    });
    it('actions target the selection, else the cursor row', () => {
        expect(targetIds(run(['next', 'next']), ids)).toEqual(['2']);
        expect(targetIds(run(['next', 'toggle', 'next', 'next']), ids)).toEqual(['1']);
        expect(targetIds(initialNav, ids)).toEqual([]);
    });
    it('maps keys, but not while typing or with modifiers', () => {
        const ev = (key, tagName = 'BODY', extra = {}) => ({ key, target: { tagName }, ...extra });
        expect(keyCommand(ev('j'))).toBe('next');
        expect(keyCommand(ev('k'))).toBe('prev');
        expect(keyCommand(ev('Enter'))).toBe('open');
        expect(keyCommand(ev('r'))).toBe('resolve');
        expect(keyCommand(ev('e'))).toBe('ignore');
        expect(keyCommand(ev('x'))).toBe('toggle');
        expect(keyCommand(ev('/'))).toBe('search');
        expect(keyCommand(ev('q'))).toBe(null);
        expect(keyCommand(ev('j', 'INPUT'))).toBe(null);
        expect(keyCommand(ev('r', 'TEXTAREA'))).toBe(null);
        expect(keyCommand(ev('Enter', 'BUTTON'))).toBe(null);
        expect(keyCommand(ev('r', 'BODY', { ctrlKey: true }))).toBe(null);
    });
});
