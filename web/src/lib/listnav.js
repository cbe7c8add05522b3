// Keyboard navigation of a list (the issues list): which row has the cursor and which rows
// are selected, as a pure reducer, plus the mapping of key presses to commands.

export const initialNav = { cursor: -1, selected: [] };

/** Applies a command to the state of a list of `length` rows identified by `ids`. */
export function navReduce(state, cmd, ids) {
    const n = ids.length;
    switch (cmd) {
        case 'next':
            return { ...state, cursor: n ? Math.min(state.cursor + 1, n - 1) : -1 };
        case 'prev':
            return { ...state, cursor: n ? Math.max(state.cursor - 1, 0) : -1 };
        case 'toggle': {
            const id = ids[state.cursor];
            if (id === undefined) return state;
            const has = state.selected.includes(id);
            return { ...state, selected: has ? state.selected.filter((x) => x !== id) : [...state.selected, id] };
        }
        case 'all':
            return { ...state, selected: state.selected.length === n ? [] : [...ids] };
        case 'reset':
            return { cursor: Math.min(state.cursor, n - 1), selected: state.selected.filter((x) => ids.includes(x)) };
        default:
            return state;
    }
}

/** The ids an action (resolve, ignore, delete) applies to: the selection, else the cursor row. */
export function targetIds(state, ids) {
    if (state.selected.length) return state.selected;
    const id = ids[state.cursor];
    return id === undefined ? [] : [id];
}

const KEYMAP = { j: 'next', ArrowDown: 'next', k: 'prev', ArrowUp: 'prev', x: 'toggle', Enter: 'open', e: 'ignore', r: 'resolve', '/': 'search' };

/** The command for a keydown, or null (typing in a field, modifier keys, unknown key). */
export function keyCommand(ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return null;
    const t = ev.target;
    const tag = t && t.tagName ? t.tagName.toUpperCase() : '';
    if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || (t && t.isContentEditable)) return null;
    if (ev.key === 'Enter' && (tag === 'BUTTON' || tag === 'A')) return null;
    return KEYMAP[ev.key] || null;
}
