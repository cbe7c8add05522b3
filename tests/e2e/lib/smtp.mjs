// A tiny SMTP sink for the end-to-end suite: a node `net` server that speaks just enough SMTP
// (220, EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) to receive what snag sends, undoes
// the dot-stuffing and keeps every message. No TLS, no AUTH (snag logs in only when
// EMAIL_URL carries a user). Use:
//     const sink = await startSmtpSink();           // sink.port
//     … EMAIL_URL=smtp://127.0.0.1:${sink.port} …
//     const m = await sink.waitFor((m) => m.to.includes('x@example.com'));
//     m.headers.subject, m.text (the decoded body)
//     await sink.close();
import net from 'node:net';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Decodes a quoted-printable body (soft breaks, =XX) into a UTF-8 string. */
export function decodeQuotedPrintable(s) {
    const bytes = [];
    const raw = s.replace(/=\r?\n/g, '');
    for (let i = 0; i < raw.length; i++) {
        if (raw[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(raw.slice(i + 1, i + 3))) {
            bytes.push(parseInt(raw.slice(i + 1, i + 3), 16));
            i += 2;
        } else {
            bytes.push(...Buffer.from(raw[i], 'utf8'));
        }
    }
    return Buffer.from(bytes).toString('utf8');
}

/** Splits a raw message (CRLF) into lowercased headers (unfolded) and the decoded text. */
export function parseMessage(data) {
    const cut = data.indexOf('\r\n\r\n');
    const head = data.slice(0, cut).replace(/\r\n[ \t]/g, ' ');
    const headers = {};
    for (const line of head.split('\r\n')) {
        const i = line.indexOf(':');
        headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
    }
    const body = data.slice(cut + 4);
    const qp = /quoted-printable/i.test(headers['content-transfer-encoding'] || '');
    return { headers, body, text: qp ? decodeQuotedPrintable(body) : body };
}

function session(sock, messages) {
    let buf = '';
    let inData = false;
    let lines = [];
    let env = { from: '', to: [] };
    const say = (s) => sock.write(s + '\r\n');
    const command = (line) => {
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') say('250-snag-test-sink\r\n250 8BITMIME');
        else if (verb === 'HELO' || verb === 'RSET' || verb === 'NOOP') {
            if (verb === 'RSET') env = { from: '', to: [] };
            say('250 OK');
        } else if (verb === 'MAIL') {
            env = { from: (/<([^>]*)>/.exec(line) || [])[1] || '', to: [] };
            say('250 OK');
        } else if (verb === 'RCPT') {
            env.to.push((/<([^>]*)>/.exec(line) || [])[1] || '');
            say('250 OK');
        } else if (verb === 'DATA') {
            inData = true;
            lines = [];
            say('354 End data with <CR><LF>.<CR><LF>');
        } else if (verb === 'QUIT') {
            say('221 Bye');
            sock.end();
        } else say('502 Command not implemented');
    };
    const dataLine = (line) => {
        if (line === '.') {
            inData = false;
            const data = lines.join('\r\n') + '\r\n';
            messages.push({ from: env.from, to: env.to, data, ...parseMessage(data) });
            say('250 OK: queued');
            return;
        }
        lines.push(line.startsWith('..') ? line.slice(1) : line);
    };
    sock.setEncoding('latin1'); // bytes as they came; headers are ASCII, the body QP
    sock.on('data', (chunk) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\r\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 2);
            if (inData) dataLine(line);
            else command(line);
        }
    });
    sock.on('error', () => {});
    say('220 snag-test-sink ESMTP');
}

export async function startSmtpSink() {
    const messages = [];
    const sockets = new Set();
    const server = net.createServer((sock) => {
        sockets.add(sock);
        sock.on('close', () => sockets.delete(sock));
        session(sock, messages);
    });
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
    });
    return {
        port: server.address().port,
        messages,
        async waitFor(pred, { timeoutMs = 15000 } = {}) {
            const until = Date.now() + timeoutMs;
            for (;;) {
                const m = messages.find(pred);
                if (m) return m;
                if (Date.now() > until) throw new Error(`no matching mail within ${timeoutMs} ms; got ${messages.length}: ${messages.map((x) => x.to.join(',') + ' ' + x.headers.subject).join('; ')}`);
                await sleep(50);
            }
        },
        close() {
            for (const s of sockets) s.destroy();
            return new Promise((r) => server.close(() => r()));
        },
    };
}
