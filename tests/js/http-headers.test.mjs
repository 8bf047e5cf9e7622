// Every response carries the security headers (the console's Content-Security-Policy with
// frame-ancestors 'none', nosniff, Referrer-Policy), console pages, API answers and errors alike;
// HEAD answers every GET route of the route table with the GET's status and headers and no body.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { backends } from './lib/server.mjs';
import { buildWorld } from './lib/rest-world.mjs';

function assertSecurityHeaders(headers, what) {
    const csp = headers.get('content-security-policy') ?? '';
    assert.match(csp, /frame-ancestors 'none'/, `${what}: CSP ${csp}`);
    // Scripts from this origin only; the console page's import map (its one inline script) is
    // allowed by its hash.
    assert.match(csp, /script-src 'self' 'sha256-[A-Za-z0-9+/]{43}='(;|$)/, `${what}: CSP ${csp}`);
    assert.match(csp, /default-src 'self'/, `${what}: CSP ${csp}`);
    assert.equal(headers.get('x-content-type-options'), 'nosniff', what);
    assert.equal(headers.get('referrer-policy'), 'no-referrer', what);
}

// Sends raw bytes and collects everything until the server closes or `ms` pass.
function raw(port, bytes, ms = 3000) {
    return new Promise((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        let out = '';
        const done = () => { s.destroy(); resolve(out); };
        s.on('data', (d) => { out += d; });
        s.on('close', done);
        s.on('error', done);
        s.setTimeout(ms, done);
        s.write(bytes);
    });
}

function headersOf(text) {
    const head = text.slice(0, text.indexOf('\r\n\r\n'));
    const map = new Map();
    for (const line of head.split('\r\n').slice(1)) {
        const i = line.indexOf(':');
        map.set(line.slice(0, i).toLowerCase(), line.slice(i + 1).trim());
    }
    return { status: Number(head.split(' ')[1]), get: (n) => map.get(n) ?? null };
}

for (const backend of backends()) {
    describe(`HTTP headers and HEAD [${backend}]`, () => {
        let w;
        let port;
        before(async () => {
            w = await buildWorld(backend, { chatsPerSession: 1, messagesPerChat: 3 });
            port = Number(new URL(w.srv.baseUrl).port);
        });
        after(async () => { if (w) await w.srv.stop(); });

        it('console pages, API answers and errors carry the security headers', async () => {
            const { srv, tokens } = w;
            for (const [what, res] of [
                ['console page', await srv.get('/')],
                ['console script', await srv.get('/console/app.js')],
                ['API answer', await srv.get('/api/auth/me', tokens.admin)],
                ['401', await srv.get('/api/auth/me')],
                ['404', await srv.get('/nothing-here')],
                ['health', await srv.get('/health')],
            ]) {
                assertSecurityHeaders(res.headers, what);
            }
            const refused = await raw(port, 'POST /api/auth/login HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n');
            const h = headersOf(refused);
            assert.equal(h.status, 400);
            assertSecurityHeaders(h, 'a refused request');
        });

        it('HEAD answers every GET route with the GET\'s status and headers and no body', async () => {
            const { srv, tokens, sessionId, chats } = w;
            const routes = JSON.parse((await srv.cli(['routes'], { data: false })).stdout).filter((r) => r.method === 'GET');
            assert.ok(routes.length >= 15, `${routes.length} GET routes`);
            for (const r of routes) {
                const p = r.path.replace('{sessionId}', sessionId).replace('{chatId}', chats[0].id).replace('{file}', 'app.css');
                const auth = r.auth ? `Authorization: Bearer ${tokens.admin}\r\n` : '';
                const get = await srv.get(p, r.auth ? tokens.admin : undefined);
                // HEAD, then GET /health on the same connection: a body after HEAD's headers would
                // be read as the start of the second response.
                const text = await raw(port, `HEAD ${p} HTTP/1.1\r\nHost: t\r\n${auth}\r\nGET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`);
                const end = text.indexOf('\r\n\r\n');
                const head = headersOf(text);
                assert.equal(head.status, get.status, `HEAD ${r.path}: ${text.slice(0, 200)}`);
                assert.notEqual(head.status, 405, `HEAD ${r.path}`);
                assert.equal(head.get('content-type'), get.headers.get('content-type'), `HEAD ${r.path}`);
                if (r.path !== '/metrics') {
                    assert.equal(head.get('content-length'), String(Buffer.byteLength(get.text)), `HEAD ${r.path}: Content-Length of the GET body`);
                }
                assert.ok(text.slice(end + 4).startsWith('HTTP/1.1 200'), `HEAD ${r.path} sent a body: ${text.slice(end + 4, end + 100)}`);
            }
            const notAllowed = await srv.req('PUT', '/api/whatsapp/sessions', { token: tokens.admin, body: {} });
            assert.equal(notAllowed.status, 405);
            assert.match(notAllowed.headers.get('allow'), /\bHEAD\b/);
        });
    });
}
