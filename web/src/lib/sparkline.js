// Sparklines: the [[unix seconds, count], …] series the API sends (issue lists under
// stats["24h"], the project list as stats) turned into bar geometry and an accessible sentence.

const PERIODS = { '24h': 'the last 24 hours', '14d': 'the last 14 days' };

/** The series of stats: the array itself, or stats[period] of an issue; [] when absent or bad. */
export function seriesOf(stats, period = '24h') {
    const s = Array.isArray(stats) ? stats : stats && typeof stats === 'object' ? stats[period] : null;
    if (!Array.isArray(s)) return [];
    return s.filter((p) => Array.isArray(p) && p.length >= 2).map(([ts, n]) => [Number(ts) || 0, Math.max(0, Number(n) || 0)]);
}

export function seriesTotal(points) {
    return points.reduce((sum, [, n]) => sum + n, 0);
}

/** "42 events in the last 24 hours" (or "in the period" for a period we have no words for). */
export function sparkLabel(total, period = '24h') {
    return `${total} event${total === 1 ? '' : 's'} in ${PERIODS[period] || 'the period'}`;
}

/**
 * One bar per point in a width × height box: {x, y, w, h, ts, count}. Heights scale to the
 * largest count; a non-zero count is at least one unit tall so it never vanishes, a zero is
 * a flat baseline of height 0.
 */
export function sparkBars(points, { width = 80, height = 20, gap = 1 } = {}) {
    if (!points.length) return [];
    const max = Math.max(...points.map(([, n]) => n));
    const slot = width / points.length;
    const w = Math.max(slot - gap, 0.5);
    return points.map(([ts, count], i) => {
        const h = max > 0 && count > 0 ? Math.max(1, Math.round((count / max) * height * 100) / 100) : 0;
        return { x: Math.round(i * slot * 100) / 100, y: height - h, w: Math.round(w * 100) / 100, h, ts, count };
    });
}
