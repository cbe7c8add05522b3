import { describe, expect, it } from 'vitest';
import { backoffDelay, createLive, liveUrl } from './live.js';

class FakeWS {
    static all = [];
    constructor(url) {
        this.url = url;
        this.closed = false;
        FakeWS.all.push(this);
    }
    close() {
        this.closed = true;
    }
    recv(m) {
        this.onmessage({ data: JSON.stringify(m) });
    }
}

function env() {
    FakeWS.all = [];
    const timers = [];
    return {
        timers,
        WebSocket: FakeWS,
        url: () => 'ws://x/api/0/live/',
        setTimeout: (f, d) => timers.push({ f, d }) && timers.length,
        clearTimeout: () => {},
    };
}

describe('live', () => {
    it('backs off exponentially up to a cap', () => {
        const mid = () => 0.5;
        expect(backoffDelay(0, mid)).toBe(1000);
        expect(backoffDelay(3, mid)).toBe(8000);
        expect(backoffDelay(20, mid)).toBe(30000);
    });

    it('builds the URL from the page location', () => {
        expect(liveUrl({ protocol: 'https:', host: 'a.example:8000' })).toBe('wss://a.example:8000/api/0/live/');
        expect(liveUrl({ protocol: 'http:', host: 'h' })).toBe('ws://h/api/0/live/');
    });

    it('delivers events, reconnects, and asks for a resync after a reconnect', () => {
        const e = env();
        const live = createLive(e);
        const got = [];
        const statuses = [];
        live.onStatus((s) => statuses.push(s));
        const off = live.subscribe((m) => got.push(m.type));
        const ws1 = FakeWS.all[0];
        ws1.recv({ type: 'hello' });
        ws1.recv({ type: 'event', issueId: '1' });
        expect(got).toEqual(['event']);
        expect(live.status).toBe('live');
        ws1.onclose();
        expect(live.status).toBe('offline');
        expect(e.timers.length).toBe(1);
        e.timers[0].f();
        ws1.onclose(); // a stale socket's close changes nothing
        const ws2 = FakeWS.all[1];
        ws2.onclose(); // failed again: a longer wait
        expect(e.timers[1].d).toBeGreaterThan(e.timers[0].d);
        e.timers[1].f();
        FakeWS.all[2].recv({ type: 'hello' });
        expect(got).toEqual(['event', 'resync']);
        expect(statuses).toContain('connecting');
        off();
        expect(FakeWS.all[2].closed).toBe(true);
    });
});
