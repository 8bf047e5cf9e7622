// Every route the server answers is documented in /api/openapi.json (path template + method),
// and the document looks like OpenAPI 3. The route table comes from `wadesk routes`; each of its
// routes is also probed over HTTP so the table cannot list routes the server does not serve.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { backends, TestServer, show } from './lib/server.mjs';

// "{sessionId}", ":sessionId", "<sessionId>" → "{}" so templates compare by shape.
function shape(p) {
    return p.replace(/\{[^}/]+\}|:[^/]+|<[^>/]+>/g, '{}');
}

function parseRouteTable(stdout) {
    const routes = [];
    for (const line of stdout.split('\n')) {
        const m = /^\s*(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+(\/\S*)/.exec(line);
        if (m) routes.push({ method: m[1], path: m[2] });
    }
    if (routes.length === 0) {
        // Also accept a JSON table: [{method, path}] or {routes:[...]}.
        const j = JSON.parse(stdout);
        for (const r of Array.isArray(j) ? j : j.routes) routes.push({ method: r.method.toUpperCase(), path: r.path });
    }
    return routes;
}

const kMethods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

for (const backend of backends()) {
    describe(`OpenAPI document [${backend}]`, () => {
        let srv;
        let token;
        let routes;
        let doc;
        before(async () => {
            srv = new TestServer({ backend });
            const a = await srv.createCompany({});
            const { stdout } = await srv.cli(['routes'], { data: false });
            routes = parseRouteTable(stdout);
            await srv.start();
            token = await srv.login(a.adminEmail, a.adminPassword);
            const r = await srv.get('/api/openapi.json');
            assert.equal(r.status, 200, show(r));
            assert.match(r.headers.get('content-type') ?? '', /json/);
            doc = r.json;
        });
        after(async () => { if (srv) await srv.stop(); });

        it('is an OpenAPI 3 document whose operations all have responses', () => {
            assert.ok(doc && typeof doc === 'object');
            assert.match(String(doc.openapi), /^3\.\d+\.\d+$/);
            assert.equal(typeof doc.info?.title, 'string');
            assert.equal(typeof doc.info?.version, 'string');
            assert.equal(typeof doc.paths, 'object');
            let ops = 0;
            for (const [p, item] of Object.entries(doc.paths)) {
                assert.ok(p.startsWith('/'), p);
                const params = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
                for (const [method, op] of Object.entries(item)) {
                    if (!kMethods.includes(method)) continue;
                    ops++;
                    assert.ok(op.responses && Object.keys(op.responses).length > 0, `${method} ${p} has no responses`);
                    for (const code of Object.keys(op.responses)) assert.match(code, /^([1-5]\d\d|[1-5]XX|default)$/, `${method} ${p}: ${code}`);
                    // Every path parameter is declared (on the operation or the path item).
                    const declared = [...(item.parameters ?? []), ...(op.parameters ?? [])]
                        .map((x) => (x.$ref ? resolveRef(doc, x.$ref) : x)).filter((x) => x.in === 'path').map((x) => x.name);
                    for (const name of params) assert.ok(declared.includes(name), `${method} ${p}: path parameter ${name} undeclared`);
                }
            }
            assert.ok(ops >= 25, `only ${ops} operations`);
            if (doc.components?.securitySchemes) {
                const schemes = Object.values(doc.components.securitySchemes);
                assert.ok(schemes.some((s) => s.type === 'http' && s.scheme?.toLowerCase() === 'bearer'), 'bearer scheme');
            }
        });

        it('the route table lists every endpoint of the brief and SPEC', () => {
            const have = new Set(routes.map((r) => `${r.method} ${shape(r.path)}`));
            const s = '/api/whatsapp/sessions/{}';
            const required = [
                'POST /api/auth/login', 'GET /api/auth/me', 'GET /api/managers', 'POST /api/managers',
                'PATCH /api/managers/{}', 'DELETE /api/managers/{}', 'GET /api/whatsapp/sessions',
                'POST /api/whatsapp/sessions', `GET ${s}`, `DELETE ${s}`, `GET ${s}/qr`, `POST ${s}/disconnect`,
                `POST ${s}/start`, `POST ${s}/pairing-code`, `GET ${s}/access`, `POST ${s}/access`,
                `DELETE ${s}/access/{}`, `GET ${s}/chats`, `GET ${s}/chats/{}`, `PATCH ${s}/chats/{}`,
                `POST ${s}/chats/{}/read`, `GET ${s}/chats/{}/messages`, `POST ${s}/chats/{}/send`,
                'GET /api/whatsapp/stats', 'GET /api/audit', 'GET /api/events', 'GET /health', 'GET /ready',
                'GET /metrics', 'GET /api/openapi.json',
            ];
            const missing = required.filter((r) => !have.has(r));
            assert.deepEqual(missing, [], `routes table lacks: ${missing.join(', ')}`);
        });

        it('documents every route of the route table (path template + method)', () => {
            const documented = new Set();
            for (const [p, item] of Object.entries(doc.paths)) {
                for (const m of Object.keys(item)) if (kMethods.includes(m)) documented.add(`${m.toUpperCase()} ${shape(p)}`);
            }
            const undocumented = routes.filter((r) => !documented.has(`${r.method} ${shape(r.path)}`)).map((r) => `${r.method} ${r.path}`);
            assert.deepEqual(undocumented, [], `undocumented routes: ${undocumented.join(', ')}`);
            // And the document describes nothing the server does not route.
            const table = new Set(routes.map((r) => `${r.method} ${shape(r.path)}`));
            const phantom = [...documented].filter((d) => !table.has(d));
            assert.deepEqual(phantom, [], `documented but not routed: ${phantom.join(', ')}`);
        });

        it('the server really serves each route of the table (no 404 unknown-route / 405)', async () => {
            const bad = [];
            for (const r of routes) {
                if (r.path.startsWith('/socket.io')) continue;
                // Fill parameters with a well-formed id that matches nothing: the route must be
                // found (any answer but the router's 404/405), even if the row is not.
                const p = r.path.replace(/\{[^}/]+\}|:[^/]+|<[^>/]+>/g, '01aaaaaaaaaaaaaaaaaaaaaaaa');
                const res = await srv.req(r.method, p, { token, body: ['POST', 'PATCH', 'PUT'].includes(r.method) ? {} : undefined });
                // The router's own refusals: 405, or 404 "no route for ...".
                if (res.status === 405 || (res.status === 404 && /^no route/i.test(res.json?.error?.message ?? ''))) {
                    bad.push(`${r.method} ${r.path}: ${show(res)}`);
                }
            }
            // An unknown route, for contrast, is refused by the router.
            const unknown = await srv.get('/api/definitely/not/a/route', token);
            assert.equal(unknown.status, 404);
            assert.match(unknown.json.error.message, /^no route/i, 'the probe above relies on this message');
            assert.deepEqual(bad, [], bad.join('\n'));
            await srv.assertHealthy();
        });
    });
}

function resolveRef(doc, ref) {
    return ref.replace(/^#\//, '').split('/').reduce((o, k) => o?.[k], doc) ?? {};
}
