// The frame around every signed-in page: brand, organization switcher, navigation, theme
// toggle and sign-out.
import { useState } from 'preact/hooks';
import { navigate, paths } from '../lib/router.js';
import { applyTheme, nextTheme, savedTheme } from '../lib/theme.js';
import { Link } from './ui.jsx';

const THEME_LABEL = { system: 'Theme: system', dark: 'Theme: dark', light: 'Theme: light' };

export function Layout({ session, orgs, org, onSignOut, children }) {
    const [theme, setTheme] = useState(savedTheme());
    const toggle = () => {
        const t = nextTheme(theme);
        applyTheme(t);
        setTheme(t);
    };
    const switchOrg = (e) => {
        const v = e.currentTarget.value;
        if (v === '__new') navigate('/organizations/new/');
        else navigate(paths.projects(v));
    };
    return (
        <div class="shell">
            <a class="skip" href="#main">
                Skip to content
            </a>
            <header class="top">
                <Link href="/" class="brand" aria-label="snag home">
                    <span class="logo" aria-hidden="true">
                        s
                    </span>
                    snag
                </Link>
                {org && (
                    <label class="orgswitch">
                        <span class="sr-only">Organization</span>
                        <select value={org.slug} onChange={switchOrg} aria-label="Organization">
                            {orgs.map((o) => (
                                <option key={o.slug} value={o.slug}>
                                    {o.name}
                                </option>
                            ))}
                            <option value="__new">+ New organization…</option>
                        </select>
                    </label>
                )}
                <nav class="nav" aria-label="Main">
                    {org && <Link href={paths.projects(org.slug)}>Projects</Link>}
                    {org && <Link href={paths.members(org.slug)}>Members</Link>}
                    <Link href="/settings/account/">Account</Link>
                </nav>
                <div class="spacer" />
                <button type="button" class="btn ghost small" onClick={toggle} aria-label={`${THEME_LABEL[theme]} (switch)`} title={THEME_LABEL[theme]}>
                    {theme === 'dark' ? '☾' : theme === 'light' ? '☀' : '◐'}
                </button>
                <button type="button" class="btn ghost small" onClick={onSignOut} title={session.user && session.user.email}>
                    Sign out
                </button>
            </header>
            <main id="main" tabIndex={-1}>
                {children}
            </main>
        </div>
    );
}
