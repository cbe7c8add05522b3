// A tiny RFC 6455 client on node:http for the live endpoint GET /api/0/live/: enough to open the
// connection with given headers and read the server's text frames (JSON messages).
import crypto from 'node:crypto';
import http from 'node:http';

/** Opens a WebSocket to /api/0/live/ on url; resolves {status} when refused, or {status: 101, messages, next(ms), close()}. */
export function wsOpen(url, headers = {}) {
    return new Promise((resolve, reject) => {
        const u = new URL('/api/0/live/', url);
        const req = http.request(u, {
            headers: {
                Connection: 'Upgrade',
                Upgrade: 'websocket',
                'Sec-WebSocket-Version': '13',
                'Sec-WebSocket-Key': crypto.randomBytes(16).toString('base64'),
                ...headers,
            },
        });
        req.on('response', (res) => {
            res.resume();
            resolve({ status: res.statusCode });
        });
        req.on('upgrade', (res, socket, head) => resolve(wsClient(socket, head)));
        req.on('error', reject);
        req.end();
    });
}

function wsClient(socket, head) {
    let buf = head;
    const messages = [];
    const waiters = [];
    const parse = (d) => {
        buf = Buffer.concat([buf, d]);
        for (;;) {
            if (buf.length < 2) return;
            let len = buf[1] & 0x7f;
            let off = 2;
            if (len === 126) {
                if (buf.length < 4) return;
                len = buf.readUInt16BE(2);
                off = 4;
            }
            if (buf.length < off + len) return;
            const op = buf[0] & 0x0f;
            const payload = buf.subarray(off, off + len).toString('utf8');
            buf = buf.subarray(off + len);
            if (op === 1) {
                messages.push(JSON.parse(payload));
                waiters.splice(0).forEach((w) => w());
            }
        }
    };
    buf = Buffer.alloc(0);
    parse(head); // the first frames may arrive with the 101
    socket.on('data', parse);
    const next = (pred, ms) =>
        new Promise((resolve) => {
            const check = () => {
                const m = messages.find(pred);
                if (m) {
                    clearTimeout(t);
                    resolve(m);
                    return true;
                }
                waiters.push(check);
                return false;
            };
            const t = setTimeout(() => resolve(null), ms);
            check();
        });
    return { status: 101, messages, next, close: () => socket.destroy() };
}
