// Colour theme: 'system' follows prefers-color-scheme; 'light' and 'dark' override it.
const KEY = 'snag.theme';
export const THEMES = ['system', 'dark', 'light'];

export function savedTheme() {
    try {
        const t = localStorage.getItem(KEY);
        return THEMES.includes(t) ? t : 'system';
    } catch {
        return 'system';
    }
}

export function applyTheme(t) {
    if (t === 'system') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = t;
    try {
        localStorage.setItem(KEY, t);
    } catch {
        /* private mode */
    }
}

export const nextTheme = (t) => THEMES[(THEMES.indexOf(t) + 1) % THEMES.length];
