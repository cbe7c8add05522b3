// Organization members in the UI: the roles (auth/roles.h, lowest first), which of them the
// signed-in user may hand out or manage (owners any, managers up to manager, others none —
// the API decides, this only hides controls that would answer 403), and the split of the
// member list into members and pending invitations.

export const ROLES = [
    { id: 'member', name: 'Member', about: 'Reads everything, triages issues.' },
    { id: 'admin', name: 'Admin', about: 'Also creates teams and projects and manages those of their teams.' },
    { id: 'manager', name: 'Manager', about: 'Also invites and removes members, and manages every team and project.' },
    { id: 'owner', name: 'Owner', about: 'Everything, including the organization itself.' },
];

const rank = (role) => ROLES.findIndex((r) => r.id === role);

export function roleName(role) {
    const r = ROLES.find((x) => x.id === role);
    return r ? r.name : String(role || '');
}

/** Whether actor may give role target, or change or remove a member who has it. */
export function mayManage(actor, target) {
    if (rank(target) < 0) return false;
    if (actor === 'owner') return true;
    if (actor === 'manager') return rank(target) <= rank('manager');
    return false;
}

/** The roles actor may hand out (lowest first). */
export function assignableRoles(actor) {
    return ROLES.filter((r) => mayManage(actor, r.id));
}

/** {active, pending}: accepted members by email, pending invitations newest first. */
export function splitMembers(list) {
    const rows = Array.isArray(list) ? list : [];
    const active = rows.filter((m) => !m.pending).sort((a, b) => String(a.email).localeCompare(String(b.email)));
    const pending = rows.filter((m) => m.pending).sort((a, b) => String(b.dateCreated).localeCompare(String(a.dateCreated)));
    return { active, pending };
}

/** The member entry of the signed-in user (matched on user id, else email), or null. */
export function findSelf(list, user) {
    if (!user || !Array.isArray(list)) return null;
    return list.find((m) => m.user && String(m.user.id) === String(user.id)) || list.find((m) => !m.pending && m.email === user.email) || null;
}
