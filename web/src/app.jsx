// The app shell: who is signed in, which organization is current, and which page shows.
import { useEffect, useRef, useState, useCallback } from 'preact/hooks';
import { api, onUnauthorized, setCsrfToken } from './lib/api.js';
import { matchRoute, navigate, nextPath, paths } from './lib/router.js';
import { Layout } from './components/layout.jsx';
import { Spinner } from './components/ui.jsx';
import { AcceptInvitePage, ForgotPasswordPage, LoginPage, ResetPasswordPage, SetupPage } from './pages/auth.jsx';
import { NewOrgPage, ProjectsPage } from './pages/projects.jsx';
import { NewProjectPage } from './pages/newproject.jsx';
import { IssuesPage } from './pages/issues.jsx';
import { IssuePage } from './pages/issue.jsx';
import { AccountPage } from './pages/account.jsx';
import { ProjectSettingsPage } from './pages/projectsettings.jsx';
import { MembersPage } from './pages/members.jsx';

const LAST_ORG = 'snag.org';

function useLocation() {
    const [loc, setLoc] = useState(location.pathname + location.search);
    useEffect(() => {
        const on = () => setLoc(location.pathname + location.search);
        window.addEventListener('popstate', on);
        return () => window.removeEventListener('popstate', on);
    }, []);
    return loc;
}

export function App() {
    const loc = useLocation();
    const [session, setSession] = useState(undefined); // undefined: loading, null: signed out
    const [orgs, setOrgs] = useState(null);
    // Whether the shell believes it is signed in, for the 401 listener (no stale closure), and
    // whether the session ended under us (the sign-in page then says why).
    const live = useRef(false);
    const [ended, setEnded] = useState(false);

    useEffect(() => {
        onUnauthorized(() => {
            if (!live.current) return; // signing in, or the first "who am I": not an ending
            live.current = false;
            setEnded(true);
            setSession(null);
            setOrgs(null);
        });
        return () => onUnauthorized(null);
    }, []);

    const loadOrgs = useCallback(async () => {
        const r = await api('GET', '/api/0/organizations/');
        setOrgs(r.json || []);
        return r.json || [];
    }, []);

    const signedIn = useCallback(
        async (s) => {
            setCsrfToken(s.csrfToken);
            live.current = true;
            setEnded(false);
            setSession(s);
            await loadOrgs();
        },
        [loadOrgs],
    );

    useEffect(() => {
        api('GET', '/api/0/auth/session/')
            .then((r) => signedIn(r.json))
            .catch(() => setSession(null));
    }, [signedIn]);

    const route = matchRoute(location.pathname);
    if (session === undefined) return <Spinner />;

    // the pages that mailed links open work signed in or not
    if (route.name === 'forgotPassword') return <ForgotPasswordPage />;
    if (route.name === 'resetPassword') return <ResetPasswordPage uid={route.params.uid} token={route.params.token} />;
    const accept = (s) => <AcceptInvitePage memberId={route.params.memberId} token={route.params.token} session={s} onAccepted={loadOrgs} onSignedIn={signedIn} />;
    if (!session) {
        if (route.name === 'setup') return <SetupPage onSignedIn={signedIn} />;
        if (route.name === 'accept') return accept(null);
        return <LoginPage onSignedIn={signedIn} ended={ended} />;
    }
    if (route.name === 'setup' || route.name === 'login') {
        navigate(nextPath(location.search) || '/', { replace: true });
        return null;
    }
    if (orgs === null) return <Spinner />;
    if (route.name === 'accept') return accept(session);

    const signOut = async () => {
        live.current = false; // a session already ended elsewhere answers 401 here: no notice
        await api('DELETE', '/api/0/auth/session/').catch(() => {});
        setSession(null);
        setOrgs(null);
        navigate('/login/', { replace: true });
    };

    const org = route.params.org || localStorage.getItem(LAST_ORG) || (orgs[0] && orgs[0].slug);
    const current = orgs.find((o) => o.slug === org) || orgs[0] || null;
    if (current) localStorage.setItem(LAST_ORG, current.slug);

    if (!current && route.name !== 'newOrg' && route.name !== 'account') {
        navigate('/organizations/new/', { replace: true });
        return null;
    }
    if (route.name === 'home') {
        navigate(paths.projects(current.slug), { replace: true });
        return null;
    }

    const page = (() => {
        const p = route.params;
        switch (route.name) {
            case 'newOrg':
                return <NewOrgPage onCreated={async (o) => (await loadOrgs(), navigate(paths.newProject(o.slug)))} />;
            case 'projects':
                return <ProjectsPage org={p.org} />;
            case 'newProject':
                return <NewProjectPage org={p.org} />;
            case 'issues':
                return <IssuesPage key={`${p.org}/${p.project}`} org={p.org} project={p.project} search={loc} />;
            case 'projectSettings':
                return <ProjectSettingsPage key={`${p.org}/${p.project}`} org={p.org} project={p.project} />;
            case 'members':
                return <MembersPage key={p.org} org={p.org} session={session} />;
            case 'issue':
                return <IssuePage key={p.issueId} org={p.org} issueId={p.issueId} search={loc} />;
            case 'account':
                return <AccountPage session={session} />;
            default:
                return (
                    <div class="page">
                        <h1>Not found</h1>
                        <p>There is no page at this address.</p>
                    </div>
                );
        }
    })();
    return (
        <Layout session={session} orgs={orgs} org={current} onSignOut={signOut}>
            {page}
        </Layout>
    );
}
