// A lean Socket.IO v4 websocket client for the fan-out benchmark, used identically against both
// servers. It speaks just enough of the protocols: the RFC 6455 upgrade and framing (masked
// client frames, unmasked server frames), Engine.IO v4 (open packet, answering pings) and
// Socket.IO v5 (CONNECT with an auth object, CONNECT_ERROR, EVENT). For an event it reads only
// the numeric "seq" and "ts" fields of the payload, straight from the received bytes: the load
// side then costs a fraction of what socket.io-client costs per message, so the benchmark
// measures the server rather than the client.
import net from 'node:net';
import { randomBytes } from 'node:crypto';

const SEQ = Buffer.from('"seq":');
const TS = Buffer.from('"ts":');
const CH_0 = 0x30, CH_1 = 0x31, CH_2 = 0x32, CH_4 = 0x34;

function maskedFrame(opcode, text) {
    const payload = Buffer.from(text);
    const len = payload.length;
    const head = len < 126 ? 6 : 8;
    const out = Buffer.allocUnsafe(head + len);
    out[0] = 0x80 | opcode;
    if (len < 126) {
        out[1] = 0x80 | len;
    } else {
        out[1] = 0x80 | 126;
        out.writeUInt16BE(len, 2);
    }
    const mask = randomBytes(4);
    mask.copy(out, head - 4);
    for (let i = 0; i < len; i++) out[head + i] = payload[i] ^ mask[i & 3];
    return out;
}

// Parses a JSON number starting at buf[i] (sign, digits, fraction, exponent); NaN when there is none.
function numberAt(buf, i, end) {
    let neg = false;
    if (buf[i] === 0x2d) { neg = true; i++; }
    let v = 0, digits = 0;
    while (i < end && buf[i] >= 0x30 && buf[i] <= 0x39) { v = v * 10 + (buf[i] - 0x30); i++; digits++; }
    if (i < end && buf[i] === 0x2e) {
        i++;
        let scale = 0.1;
        while (i < end && buf[i] >= 0x30 && buf[i] <= 0x39) { v += (buf[i] - 0x30) * scale; scale /= 10; i++; digits++; }
    }
    if (!digits) return NaN;
    if (i < end && (buf[i] === 0x65 || buf[i] === 0x45)) {  // exponent (1.7643E12)
        i++;
        let eneg = false, e = 0, edigits = 0;
        if (buf[i] === 0x2d || buf[i] === 0x2b) { eneg = buf[i] === 0x2d; i++; }
        while (i < end && buf[i] >= 0x30 && buf[i] <= 0x39) { e = e * 10 + (buf[i] - 0x30); i++; edigits++; }
        if (!edigits) return NaN;
        v *= 10 ** (eneg ? -e : e);
    }
    return neg ? -v : v;
}

function fieldAt(buf, key, start, end) {
    const k = buf.indexOf(key, start);
    if (k < 0 || k >= end) return NaN;
    return numberAt(buf, k + key.length, end);
}

// Connects one client. handlers: connect(), connectError(message), event(seq, ts) for every
// EVENT, disconnect(reason). Returns { close() }.
export function leanConnect(url, token, handlers) {
    const u = new URL(url);
    const sock = net.connect(Number(u.port), u.hostname);
    sock.setNoDelay(true);
    let upgraded = false;
    let pending = null;  // bytes of an unfinished frame (or of the HTTP answer)
    let ended = false;
    const end = (reason) => {
        if (ended) return;
        ended = true;
        handlers.disconnect(reason);
        sock.destroy();
    };
    sock.on('connect', () => {
        sock.write(`GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: ${u.host}\r\n`
            + 'Upgrade: websocket\r\nConnection: Upgrade\r\n'
            + `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    sock.on('error', (e) => { if (!upgraded) handlers.connectError(e.message); end(`transport error: ${e.message}`); });
    sock.on('close', () => end('transport close'));

    const onText = (buf, start, stop) => {
        const t = buf[start];
        if (t === CH_4) {
            const s = buf[start + 1];
            if (s === CH_2) {  // EVENT
                handlers.event(fieldAt(buf, SEQ, start, stop), fieldAt(buf, TS, start, stop));
            } else if (s === CH_0) {
                handlers.connect();
            } else if (s === CH_4) {
                handlers.connectError(buf.toString('utf8', start + 2, stop));
            } else if (s === CH_1) {
                end('io server disconnect');
            }
        } else if (t === CH_2) {
            sock.write(maskedFrame(1, '3'));  // pong
        } else if (t === CH_0) {
            sock.write(maskedFrame(1, `40${JSON.stringify({ token })}`));
        } else if (t === CH_1) {
            end('transport close');
        }
    };

    const onFrames = (buf) => {
        let i = 0;
        const n = buf.length;
        while (n - i >= 2) {
            const b0 = buf[i], b1 = buf[i + 1];
            let len = b1 & 0x7f, head = 2;
            if (b1 & 0x80) return end('masked server frame');
            if (len === 126) {
                if (n - i < 4) break;
                len = buf.readUInt16BE(i + 2);
                head = 4;
            } else if (len === 127) {
                if (n - i < 10) break;
                len = Number(buf.readBigUInt64BE(i + 2));
                head = 10;
            }
            if (n - i < head + len) break;
            const op = b0 & 0x0f;
            if (op === 1) onText(buf, i + head, i + head + len);
            else if (op === 8) return end('websocket close');
            else if (op === 9) sock.write(maskedFrame(10, buf.toString('latin1', i + head, i + head + len)));
            i += head + len;
        }
        pending = i < n ? buf.subarray(i) : null;
    };

    sock.on('data', (chunk) => {
        if (ended) return;
        const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
        pending = null;
        if (upgraded) return onFrames(buf);
        const hdrEnd = buf.indexOf('\r\n\r\n');
        if (hdrEnd < 0) { pending = buf; return undefined; }
        const status = buf.toString('latin1', 0, buf.indexOf('\r\n'));
        if (!/^HTTP\/1\.1 101 /.test(status)) {
            handlers.connectError(`upgrade refused: ${status}`);
            return end('upgrade refused');
        }
        upgraded = true;
        return onFrames(buf.subarray(hdrEnd + 4));
    });
    return { close: () => { if (!ended) { sock.write(maskedFrame(8, '')); } ended = true; sock.end(); } };
}
