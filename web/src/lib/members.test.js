import { describe, expect, it } from 'vitest';
import { assignableRoles, findSelf, mayManage, roleName, splitMembers } from './members.js';

describe('roles', () => {
    const cases = [
        ['owner', 'owner', true],
        ['owner', 'member', true],
        ['manager', 'manager', true],
        ['manager', 'owner', false],
        ['manager', 'admin', true],
        ['admin', 'member', false],
        ['member', 'member', false],
        ['owner', 'emperor', false],
        [undefined, 'member', false],
    ];
    for (const [actor, target, want] of cases) it(`${actor} → ${target}`, () => expect(mayManage(actor, target)).toBe(want));

    it('assignable roles', () => {
        expect(assignableRoles('owner').map((r) => r.id)).toEqual(['member', 'admin', 'manager', 'owner']);
        expect(assignableRoles('manager').map((r) => r.id)).toEqual(['member', 'admin', 'manager']);
        expect(assignableRoles('admin')).toEqual([]);
    });
    it('names', () => {
        expect(roleName('manager')).toBe('Manager');
        expect(roleName('custom')).toBe('custom');
    });
});

describe('members', () => {
    const list = [
        { id: '3', email: 'zed@x', pending: false, user: { id: '9' } },
        { id: '4', email: 'new@x', pending: true, user: null, dateCreated: '2026-01-02T00:00:00Z' },
        { id: '1', email: 'amy@x', pending: false, user: { id: '7' } },
        { id: '5', email: 'old@x', pending: true, user: null, dateCreated: '2026-01-01T00:00:00Z' },
    ];
    it('splits and sorts', () => {
        const { active, pending } = splitMembers(list);
        expect(active.map((m) => m.id)).toEqual(['1', '3']);
        expect(pending.map((m) => m.id)).toEqual(['4', '5']);
        expect(splitMembers(null)).toEqual({ active: [], pending: [] });
    });
    it('finds the signed-in user', () => {
        expect(findSelf(list, { id: 7, email: 'amy@x' }).id).toBe('1');
        expect(findSelf(list, { id: 99, email: 'zed@x' }).id).toBe('3');
        expect(findSelf(list, { id: 99, email: 'new@x' })).toBe(null);
        expect(findSelf(list, null)).toBe(null);
    });
});
