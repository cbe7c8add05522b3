// live: one WebSocket to /api/0/live/ shared by every page that shows live data. It connects
// while someone listens, reconnects with exponential backoff (with jitter) when the
// connection drops, and tells listeners to resync ({type: 'resync'}: refetch what you show)
// after a reconnect, since events committed meanwhile were not pushed. The server sends
// {type: 'hello'} on connect, {type: 'event', issueId, projectId, eventId, title, level}
// per stored event, and {type: 'resync'} when it had to drop messages for a slow client.
import { useEffect, useRef, useState } from 'preact/hooks';

/** Delay before reconnect attempt n (0-based): 1 s, 2 s, 4 s … capped at max, ±20 %. */
export function backoffDelay(n, random = Math.random, base = 1000, max = 30000) {
    const d = Math.min(max, base * 2 ** Math.min(n, 16));
    return Math.round(d * (0.8 + 0.4 * random()));
}

export function liveUrl(loc = globalThis.location) {
    return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/api/0/live/`;
}

/** A live connection manager; env is injectable for tests. */
export function createLive(env = {}) {
    const WS = env.WebSocket || globalThis.WebSocket;
    const setTimer = env.setTimeout || globalThis.setTimeout.bind(globalThis);
    const clearTimer = env.clearTimeout || globalThis.clearTimeout.bind(globalThis);
    const url = env.url || (() => liveUrl());
    const listeners = new Set();
    const statusListeners = new Set();
    let ws = null;
    let timer = null;
    let attempt = 0;
    let opened = false; // a connection was open before: the next one must resync
    let status = 'offline';

    const setStatus = (s) => {
        status = s;
        statusListeners.forEach((f) => f(s));
    };
    const emit = (m) => listeners.forEach((f) => f(m));

    function connect() {
        timer = null;
        setStatus('connecting');
        const sock = new WS(url());
        ws = sock;
        sock.onmessage = (e) => {
            let m = null;
            try {
                m = JSON.parse(e.data);
            } catch {
                return;
            }
            if (m && m.type === 'hello') {
                attempt = 0;
                setStatus('live');
                if (opened) emit({ type: 'resync' });
                opened = true;
            } else if (m && typeof m.type === 'string') emit(m);
        };
        sock.onclose = () => {
            if (ws !== sock) return;
            ws = null;
            setStatus('offline');
            if (listeners.size) timer = setTimer(connect, backoffDelay(attempt++));
        };
    }

    function stop() {
        if (timer) clearTimer(timer);
        timer = null;
        const sock = ws;
        ws = null;
        if (sock) sock.close();
        setStatus('offline');
    }

    return {
        subscribe(fn) {
            listeners.add(fn);
            if (!ws && !timer) connect();
            return () => {
                listeners.delete(fn);
                if (!listeners.size) stop();
            };
        },
        onStatus(fn) {
            statusListeners.add(fn);
            fn(status);
            return () => statusListeners.delete(fn);
        },
        get status() {
            return status;
        },
    };
}

let shared = null;
function live() {
    if (!shared) shared = createLive();
    return shared;
}

/** Calls onMessage(m) for every live message while the component is mounted. */
export function useLive(onMessage) {
    const ref = useRef(onMessage);
    ref.current = onMessage;
    useEffect(() => live().subscribe((m) => ref.current(m)), []);
}

/** 'live' | 'connecting' | 'offline'. */
export function useLiveStatus() {
    const [s, setS] = useState('offline');
    useEffect(() => live().onStatus(setS), []);
    return s;
}
