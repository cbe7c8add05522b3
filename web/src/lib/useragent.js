// A short, friendly name for a User-Agent header ("Firefox 128 on Linux") for the list of
// signed-in sessions. Heuristic on purpose: the order of the checks matters because most
// browsers also claim to be the ones before them (Edge says Chrome, Chrome says Safari).

const BROWSERS = [
    ['Edge', /\bEdg(?:e|A|iOS)?\/(\d+)/],
    ['Opera', /\b(?:OPR|Opera)\/(\d+)/],
    ['Samsung Internet', /\bSamsungBrowser\/(\d+)/],
    ['Firefox', /\b(?:Firefox|FxiOS)\/(\d+)/],
    // Chrome without a window (automation, scrapers, link previews) says HeadlessChrome/N,
    // which \bChrome does not match; worth telling apart on a list of sign-ins anyway.
    ['Headless Chrome', /\bHeadlessChrome\/(\d+)/],
    ['Chromium', /\bChromium\/(\d+)/],
    ['Chrome', /\b(?:Chrome|CriOS)\/(\d+)/],
    ['Safari', /\bVersion\/(\d+)[\d.]* (?:Mobile\/\S+ )?Safari\//],
    ['curl', /^curl\/(\d+(?:\.\d+)?)/],
    ['Python', /\bpython-requests\/(\d+(?:\.\d+)?)|^Python-urllib\/(\d+(?:\.\d+)?)/],
    ['Node.js', /^node(?:-fetch)?\b|\bundici\b/],
];

const SYSTEMS = [
    ['iOS', /\b(?:iPhone|iPad|iPod)\b/],
    ['Android', /\bAndroid\b/],
    ['ChromeOS', /\bCrOS\b/],
    ['Windows', /\bWindows\b/],
    ['macOS', /\bMac OS X\b|\bMacintosh\b/],
    ['Linux', /\bLinux\b|\bX11\b/],
];

/** {browser, version, os} with '' for what the header does not say. */
export function parseUserAgent(ua) {
    const s = String(ua || '');
    let browser = '';
    let version = '';
    for (const [name, re] of BROWSERS) {
        const m = re.exec(s);
        if (!m) continue;
        browser = name;
        version = m[1] || m[2] || '';
        break;
    }
    const os = (SYSTEMS.find(([, re]) => re.test(s)) || [''])[0];
    return { browser, version, os };
}

/** "Chrome 126 on Windows", "Safari on iOS", "curl 8.5", "Unknown browser". */
export function describeUserAgent(ua) {
    const { browser, version, os } = parseUserAgent(ua);
    const b = browser ? `${browser}${version ? ` ${version}` : ''}` : os ? 'A browser' : 'Unknown browser';
    return os ? `${b} on ${os}` : b;
}
