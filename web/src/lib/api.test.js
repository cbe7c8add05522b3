import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api, onUnauthorized } from './api.js';

function answer(status, body) {
    globalThis.fetch = vi.fn(async () => new Response(body === undefined ? null : JSON.stringify(body), { status }));
}

describe('api: a 401 tells the shell the session is gone', () => {
    const realFetch = globalThis.fetch;
    afterEach(() => {
        globalThis.fetch = realFetch;
        onUnauthorized(null);
    });

    const cases = [
        // [status, body, listener called]
        [401, { detail: 'Authentication credentials were not provided.' }, true],
        [401, undefined, true],
        [400, { detail: 'currentPassword: The current password is incorrect.' }, false],
        [403, { detail: 'CSRF check failed' }, false],
        [404, { detail: 'Not found' }, false],
        [200, [], false],
        [204, undefined, false],
    ];
    for (const [status, body, called] of cases) {
        it(`${status}${body ? ` ${JSON.stringify(body)}` : ''} → ${called ? 'signed out' : 'nothing'}`, async () => {
            const heard = vi.fn();
            onUnauthorized(heard);
            answer(status, body);
            const p = api('GET', '/api/0/organizations/');
            if (status >= 400) await expect(p).rejects.toMatchObject({ status, constructor: ApiError });
            else await expect(p).resolves.toMatchObject({ status });
            expect(heard).toHaveBeenCalledTimes(called ? 1 : 0);
        });
    }

    it('the listener is heard before the call rejects, so a page never shows the error first', async () => {
        const order = [];
        onUnauthorized(() => order.push('listener'));
        answer(401, { detail: 'Invalid token' });
        await api('GET', '/api/0/auth/sessions/').catch((e) => order.push(`rejected ${e.status}`));
        expect(order).toEqual(['listener', 'rejected 401']);
    });

    it('onUnauthorized(null) removes it', async () => {
        const heard = vi.fn();
        onUnauthorized(heard);
        onUnauthorized(null);
        answer(401, {});
        await expect(api('GET', '/api/0/organizations/')).rejects.toBeInstanceOf(ApiError);
        expect(heard).not.toHaveBeenCalled();
    });
});
