// The data directory is 0700 and every file that holds secrets or data is 0600, in every start
// path: secrets generated or taken from the environment, the default SQLite file or one named by
// DATABASE_URL, `migrate`, `company create` and `serve`; an existing directory or file that
// others may read is made private with a warning. The umask is 022, as on most systems, so
// nothing private comes from it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { TestServer } from './lib/server.mjs';
import { tempDir } from './lib/client-harness.mjs';

const kMasterKey = randomBytes(32).toString('hex');

let root;
let savedUmask;

function mode(p) { return (statSync(p).mode & 0o777).toString(8).padStart(4, '0'); }

// Every file in `dir` (the SQLite files, generated secrets) is 0600 and the directory 0700.
function assertPrivate(dir, { files }) {
    assert.equal(mode(dir), '0700', `${dir}`);
    const present = readdirSync(dir).sort();
    for (const f of files) assert.ok(present.includes(f), `${f} in ${dir}: ${present}`);
    for (const f of present) assert.equal(mode(path.join(dir, f)), '0600', `${f} in ${dir}`);
}

// A TestServer whose data directory does not exist yet (the harness's own is made 0700 by
// mkdtemp, which would prove nothing).
function freshServer(name, env = {}) {
    const srv = new TestServer({ backend: 'sqlite', env });
    rmSync(srv.dataDir, { recursive: true, force: true });
    srv.dataDir = path.join(root.dir, name, 'data');
    mkdirSync(path.dirname(srv.dataDir), { recursive: true });
    return srv;
}

before(() => {
    savedUmask = process.umask(0o022);
    root = tempDir('wadesk-modes-');
});

after(() => {
    process.umask(savedUmask);
    root?.remove();
});

test('serve with generated secrets: the directory 0700, secrets and database 0600', async () => {
    const srv = freshServer('generated', { WADESK_JWT_SECRET: '' });
    await srv.createCompany();
    await srv.start();
    try {
        await srv.login(srv.companies[0].adminEmail, srv.companies[0].adminPassword);  // a write: the WAL exists
        assertPrivate(srv.dataDir, { files: ['jwt-secret', 'master-key', 'wadesk.db', 'wadesk.db-wal', 'wadesk.db-shm'] });
    } finally {
        await srv.stop();
    }
});

test('serve with every secret from the environment: the directory 0700, the database 0600', async () => {
    const srv = freshServer('env', { WADESK_MASTER_KEY: kMasterKey });
    await srv.start();
    try {
        await srv.createCompany();
        assertPrivate(srv.dataDir, { files: ['wadesk.db', 'wadesk.db-wal', 'wadesk.db-shm'] });
        assert.ok(!existsSync(path.join(srv.dataDir, 'jwt-secret')), 'no secret file is written');
    } finally {
        await srv.stop();
    }
});

test('migrate and company create alone, and a DATABASE_URL elsewhere, make private files too', async () => {
    const migrated = freshServer('migrate', { WADESK_MASTER_KEY: kMasterKey });
    await migrated.cli(['migrate']);
    assertPrivate(migrated.dataDir, { files: ['wadesk.db'] });

    const created = freshServer('create', { WADESK_MASTER_KEY: kMasterKey });
    await created.createCompany();
    assertPrivate(created.dataDir, { files: ['wadesk.db'] });

    const dbDir = path.join(root.dir, 'elsewhere', 'db');
    const elsewhere = freshServer('elsewhere', { WADESK_MASTER_KEY: kMasterKey });
    elsewhere.databaseUrl = `sqlite://${dbDir}/x.db`;
    await elsewhere.createCompany();
    assertPrivate(dbDir, { files: ['x.db'] });
    assert.ok(!existsSync(elsewhere.dataDir), 'the data directory is not needed');
});

test('an existing directory, secret and database that others may read are made private, with a warning', async () => {
    const srv = freshServer('loose', { WADESK_JWT_SECRET: '' });
    await srv.createCompany();  // creates everything privately
    chmodSync(srv.dataDir, 0o755);
    for (const f of ['jwt-secret', 'master-key', 'wadesk.db']) chmodSync(path.join(srv.dataDir, f), 0o644);
    await srv.start();
    try {
        assertPrivate(srv.dataDir, { files: ['jwt-secret', 'master-key', 'wadesk.db'] });
        assert.match(srv.stderr, /data directory \S+ had mode 0755; changed to 0700/);
        for (const f of ['jwt-secret', 'master-key', 'wadesk.db']) {
            assert.match(srv.stderr, new RegExp(`${f} was readable by others \\(mode 0644\\); changed to 0600`));
        }
    } finally {
        await srv.stop();
    }
});

test('a private setup starts without a warning', async () => {
    const srv = freshServer('quiet', { WADESK_JWT_SECRET: '' });
    await srv.createCompany();
    await srv.start();
    try {
        assert.doesNotMatch(srv.stderr, /readable by others|had mode/);
    } finally {
        await srv.stop();
    }
});
