// What every bench/*/report.mjs shares: reading a result file, formatting numbers, the Baileys
// version measured against, and writing a section into docs/benchmarks.md.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// The last JSON line of a result file (a benchmark appends one line per run).
export function lastResult(file) {
    return JSON.parse(readFileSync(file, 'utf8').split('\n').filter(Boolean).pop());
}

// `n` with `d` decimals, or 'n/a' when it is not a finite number.
export const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

// The version of the npm package `baileys` the tests install (tests/js), or 'n/a'.
export function baileysVersion() {
    try {
        const require = createRequire(path.join(repoRoot, 'tests', 'js', 'package.json'));
        const pkg = path.join(path.dirname(require.resolve('baileys')), '..', 'package.json');
        return JSON.parse(readFileSync(pkg, 'utf8')).version;
    } catch {
        return 'n/a';
    }
}

// Writes `section` (which starts with "<!-- NAME:begin -->" and ends with "<!-- NAME:end -->")
// into `doc` in place of the section of that name, or appends it when the file has none; the
// other sections are left alone. A missing file is created with a title.
export function writeSection(doc, name, section) {
    let text = existsSync(doc)
        ? readFileSync(doc, 'utf8')
        : '# Benchmarks\n\nEach section is written by its benchmark (`make bench`); rerunning replaces only that section.\n';
    const re = new RegExp(`<!-- ${name}:begin -->[\\s\\S]*?<!-- ${name}:end -->`);
    text = re.test(text) ? text.replace(re, () => section) : `${text.trimEnd()}\n\n${section}\n`;
    writeFileSync(doc, text);
}
