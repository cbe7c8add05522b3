// Sentry's pagination Link header:
//   <url>; rel="previous"; results="false"; cursor="0:0:1", <url>; rel="next"; results="true"; cursor="0:25:0"
// → {previous: {url, results, cursor}, next: {…}}. A link whose results="false" has no page.

/** Parses a Link header; unknown or malformed parts are skipped. */
export function parseLink(header) {
    const out = {};
    if (!header) return out;
    const re = /<([^>]*)>((?:\s*;\s*[A-Za-z]+\s*=\s*"[^"]*")*)/g;
    let m;
    while ((m = re.exec(header)) !== null) {
        const attrs = {};
        const are = /;\s*([A-Za-z]+)\s*=\s*"([^"]*)"/g;
        let a;
        while ((a = are.exec(m[2])) !== null) attrs[a[1].toLowerCase()] = a[2];
        if (!attrs.rel) continue;
        out[attrs.rel] = {
            url: m[1],
            results: attrs.results === undefined ? true : attrs.results === 'true',
            cursor: attrs.cursor ?? null,
        };
    }
    return out;
}

/** The cursor of the page in direction rel ('next' or 'previous'), or null when there is none. */
export function pageCursor(links, rel) {
    const l = links && links[rel];
    return l && l.results && l.cursor ? l.cursor : null;
}
