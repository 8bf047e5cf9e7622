// Conversions between the JSON node form used by wa-codec-tool and tests/vectors/binary_corpus.json
// ({tag, attrs: [[k, v], ...], content: null | [nodes] | {hex} | {fill, len}}) and Baileys'
// BinaryNode ({tag, attrs: {}, content: undefined | BinaryNode[] | Buffer | string}).

// Expands {fill, len} blobs to {hex} and fills in defaults, so nodes compare with deepEqual.
export function expand(node) {
  let content = node.content ?? null;
  if (Array.isArray(content)) content = content.map(expand);
  else if (content && content.fill !== undefined) {
    const unit = Buffer.from(content.fill, 'hex');
    const buf = Buffer.alloc(content.len);
    for (let i = 0; i < content.len; i++) buf[i] = unit[i % unit.length];
    content = { hex: buf.toString('hex') };
  }
  return { tag: node.tag, attrs: node.attrs ?? [], content };
}

export function toBaileys(node) {
  const n = expand(node);
  const attrs = {};
  for (const [k, v] of n.attrs) attrs[k] = v;
  let content;
  if (Array.isArray(n.content)) content = n.content.map(toBaileys);
  else if (n.content) content = Buffer.from(n.content.hex, 'hex');
  return { tag: n.tag, attrs, content };
}

export function fromBaileys(node) {
  let content = null;
  if (Array.isArray(node.content)) content = node.content.map(fromBaileys);
  else if (typeof node.content === 'string') content = { hex: Buffer.from(node.content, 'utf8').toString('hex') };
  else if (node.content instanceof Uint8Array) content = { hex: Buffer.from(node.content).toString('hex') };
  return { tag: node.tag, attrs: Object.entries(node.attrs ?? {}), content };
}
