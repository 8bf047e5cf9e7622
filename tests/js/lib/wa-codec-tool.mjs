// Drives build/tests/wa-codec-tool (JSON lines over stdin/stdout) from node tests.
// The build directory is $WADESK_BUILD_DIR, default <repo>/build.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export function codecToolPath() {
  const build = process.env.WADESK_BUILD_DIR ? resolve(process.env.WADESK_BUILD_DIR) : join(repo, 'build');
  return join(build, 'tests', 'wa-codec-tool');
}

export class CodecTool {
  constructor(path = codecToolPath()) {
    if (!existsSync(path)) throw new Error(`wa-codec-tool not found at ${path} (set WADESK_BUILD_DIR)`);
    this.proc = spawn(path, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.pending = [];
    this.exited = null;
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      const waiter = this.pending.shift();
      if (waiter) waiter.resolve(JSON.parse(line));
    });
    this.proc.on('exit', (code, signal) => {
      this.exited = { code, signal };
      for (const w of this.pending.splice(0)) w.reject(new Error(`wa-codec-tool exited (${code ?? signal})`));
    });
  }

  request(obj) {
    if (this.exited) return Promise.reject(new Error('wa-codec-tool has exited'));
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.proc.stdin.write(JSON.stringify(obj) + '\n');
    });
  }

  encode(node) { return this.request({ op: 'encode', node }); }
  decode(hex) { return this.request({ op: 'decode', hex }); }
  proto(type, hex) { return this.request({ op: 'proto', type, hex }); }

  async close() {
    if (this.exited) return;
    const done = new Promise((r) => this.proc.once('exit', r));
    this.proc.stdin.end();
    await done;
  }
}
