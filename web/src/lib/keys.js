// Client keys in the project settings: the words for a key's rate limit, and the rateLimit
// body of PUT /api/0/projects/{org}/{project}/keys/{key_id}/ ({window, count} or null; the
// API takes windows of 1 s to a day).

export const RATE_WINDOWS = [
    [60, 'minute'],
    [3600, 'hour'],
    [86400, 'day'],
];
export const RATE_WINDOW_MAX = 86400;

/** "per hour", "per 5 minutes", "per 90 seconds". */
export function windowText(seconds) {
    const w = Number(seconds) || 0;
    const units = [
        [86400, 'day'],
        [3600, 'hour'],
        [60, 'minute'],
        [1, 'second'],
    ];
    for (const [size, name] of units) {
        if (w >= size && w % size === 0) {
            const n = w / size;
            return n === 1 ? `per ${name}` : `per ${n} ${name}s`;
        }
    }
    return `per ${w} seconds`;
}

/** "100 events per hour", or "No rate limit". */
export function rateLimitText(rl) {
    if (!rl || !(Number(rl.count) > 0) || !(Number(rl.window) > 0)) return 'No rate limit';
    const c = Number(rl.count);
    return `${c} event${c === 1 ? '' : 's'} ${windowText(rl.window)}`;
}

/**
 * The rateLimit to send for what the form holds: null for an empty or zero count (no limit),
 * else {window, count}. Throws an Error with a sentence for the user when unusable.
 */
export function rateLimitBody(count, window) {
    const c = String(count ?? '').trim();
    if (c === '' || Number(c) === 0) return null;
    const n = Number(c);
    const w = Number(window);
    if (!Number.isInteger(n) || n < 0 || n > 1e9) throw new Error('The rate limit is a whole number of events (0 for none).');
    if (!Number.isInteger(w) || w < 1 || w > RATE_WINDOW_MAX) throw new Error('The rate limit window is 1 second to a day.');
    return { window: w, count: n };
}

/** The window choices for a key: the usual ones, and the key's own if it is another. */
export function windowChoices(current) {
    const w = Number(current) || 0;
    const list = RATE_WINDOWS.map(([s]) => [s, windowText(s)]);
    if (w > 0 && !RATE_WINDOWS.some(([s]) => s === w)) list.push([w, windowText(w)]);
    return list.sort((a, b) => a[0] - b[0]);
}
