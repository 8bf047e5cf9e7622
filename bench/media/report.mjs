// Writes the media section of docs/benchmarks.md from wadesk-bench-media's JSON:
//   node bench/media/report.mjs docs/benchmarks.md "<command>" <result.json>
// Replaces the text between "<!-- media-bench:begin -->" and "<!-- media-bench:end -->" (appended
// when absent).
import { readFileSync } from 'node:fs';
import { writeSection } from '../lib/report.mjs';
import os from 'node:os';

const [doc, command, file] = process.argv.slice(2);
const r = JSON.parse(readFileSync(file, 'utf8'));
const cpus = os.cpus();
const ratio = r.download_mb_s / r.floor_aes_cbc_hmac_mb_s;
const section = [
    '<!-- media-bench:begin -->',
    '## Media download path (decrypt + verify)',
    '',
    `Measured ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} by \`${command}\` (see bench/media/media_bench_main.cpp).`,
    `Machine: ${cpus.length} × ${cpus[0]?.model?.trim() ?? 'CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Linux ${os.release()}; ${r.openssl}.`,
    '',
    `Method: one thread. \`DownloadMedia\` (wa-protocol §11) opens a ${r.file_mib} MiB image file handed over by an in-memory`,
    'media host (a copy of the encrypted file, as a response body would be; no network, no TLS): SHA-256 of the',
    'encrypted file, HMAC-SHA256 over iv ‖ ciphertext, AES-256-CBC decryption, SHA-256 of the plaintext, length.',
    'The floor is measured in the same run on the same core the way `openssl speed -evp` measures a cipher: OpenSSL\'s',
    'EVP AES-256-CBC decryption plus HMAC-SHA256 over the same bytes and nothing else. Each figure is the mean over',
    `repeated runs for at least ${r.seconds_per_run} s after one warm-up run; MB = 10^6 bytes of plaintext.`,
    '',
    '| path | MB/s per core | of the floor |',
    '|---|---:|---:|',
    `| DownloadMedia: decrypt + verify (2 × SHA-256, HMAC, AES-CBC) | ${r.download_mb_s.toFixed(0)} | ${(ratio * 100).toFixed(0)} % |`,
    `| floor: AES-256-CBC decrypt + HMAC-SHA256 (EVP) | ${r.floor_aes_cbc_hmac_mb_s.toFixed(0)} | 100 % |`,
    `| SHA-256 alone (one of the two hashes the path must also compute) | ${r.sha256_mb_s.toFixed(0)} | |`,
    '',
    'The verification WhatsApp asks for (fileEncSha256 and fileSha256) costs two SHA-256 passes beyond the floor,',
    'so the path cannot reach the floor; the expected ceiling is 1 / (1/floor + 2/sha256) MB/s',
    `= ${(1 / (1 / r.floor_aes_cbc_hmac_mb_s + 2 / r.sha256_mb_s)).toFixed(0)} MB/s here; the rest is the file copies.`,
    '<!-- media-bench:end -->',
].join('\n');
writeSection(doc, 'media-bench', section);
