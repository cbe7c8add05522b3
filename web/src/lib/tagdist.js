// An issue's tag distributions (GET /api/0/issues/{id}/tags/: [{key, totalValues,
// uniqueValues, topValues: [{value, count}]}]) as rows of percentages, and the issue search
// that finds other issues with one of those values.

/** "63%"; "<1%" for a share too small to round up to 1; "0%" when nothing was counted. */
export function percentText(count, total) {
    if (!total || !count) return '0%';
    const p = (count / total) * 100;
    if (p < 1) return '<1%';
    if (p > 99 && count < total) return '99%'; // never claim all when some differ
    return `${Math.round(p)}%`;
}

/** The bar's width in percent (0…100, one decimal). */
export function percentWidth(count, total) {
    if (!total || !count) return 0;
    return Math.min(100, Math.round((count / total) * 1000) / 10);
}

/**
 * {key, total, unique, rows: [{value, count, pct, width}], other} for one key: the top values
 * in the order given, and `other` ({count, pct, width}, or null) for the events whose value
 * is not among them.
 */
export function tagDistribution(tag) {
    const total = Math.max(0, Number(tag && tag.totalValues) || 0);
    const top = Array.isArray(tag && tag.topValues) ? tag.topValues : [];
    const rows = top.map((v) => {
        const count = Math.max(0, Number(v.count) || 0);
        return { value: String(v.value ?? ''), count, pct: percentText(count, total), width: percentWidth(count, total) };
    });
    const rest = total - rows.reduce((s, r) => s + r.count, 0);
    const other = rest > 0 ? { count: rest, pct: percentText(rest, total), width: percentWidth(rest, total) } : null;
    return { key: String((tag && (tag.key || tag.name)) || ''), total, unique: Number(tag && tag.uniqueValues) || rows.length, rows, other };
}

/** The issue search for key = value: `is:unresolved key:value` (quoted when it has spaces). */
export function tagQuery(key, value) {
    const v = String(value).replace(/"/g, '');
    return `is:unresolved ${key}:${/[\s:]/.test(v) || v === '' ? `"${v}"` : v}`;
}
