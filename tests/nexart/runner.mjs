// A long-lived bridge to NexArt's reference SDK for cerkit's interoperability tests.
// Reads one JSON request per line on stdin: {"op": NAME, "items": [...]}, and writes one
// JSON line back: {"results": [...]} with one result per item, or {"error": MESSAGE}.
// Items arrive as JSON text parsed by JavaScript, so numbers mean what JavaScript makes of
// them (integers beyond 2^53 become doubles): exactly the meaning NexArt's SDK sees.
import * as readline from 'node:readline';
import {
  computeInputHash,
  createSnapshot,
  sealCer,
  sha256Hex,
  toCanonicalJson,
  verifyCer,
} from '@nexart/ai-execution';

// The SDK (0.1.0, the only version published) has no hash-only mode ("not implemented in
// v0.1.0", its README) and no reseal API: its createSnapshot always keeps input and output.
// sealCer seals whatever snapshot it is given, unvalidated, so NexArt's minimal shape is made
// from the SDK's own snapshot, less the fields named in `omit`, sealed by the SDK.
function sealWithout(snapshot, item) {
  const kept = { ...snapshot };
  for (const name of item.omit) delete kept[name];
  const options = { createdAt: item.createdAt };
  if (item.meta) options.meta = item.meta;
  return { bundle: JSON.stringify(sealCer(kept, options)) };
}

function attempt(fn) {
  try {
    return fn();
  } catch (err) {
    return { error: String(err && err.message ? err.message : err) };
  }
}

const OPS = {
  // value -> {text, hash}: the canonical JSON text and its sha256
  canonical: (value) =>
    attempt(() => {
      const text = toCanonicalJson(value);
      return { text, hash: `sha256:${sha256Hex(text)}` };
    }),
  // JSON text -> {text}: the canonical JSON of what JavaScript parses from the text
  canonicalOfText: (text) => attempt(() => ({ text: toCanonicalJson(JSON.parse(text)) })),
  // value -> {hash}: the inputHash/outputHash rule
  payloadHash: (value) => attempt(() => ({ hash: computeInputHash(value) })),
  // {args, createdAt} -> {bundle: JSON text}
  seal: (item) =>
    attempt(() => ({
      bundle: JSON.stringify(sealCer(createSnapshot(item.args), { createdAt: item.createdAt })),
    })),
  // {args, createdAt, omit, meta?} -> {bundle}: createSnapshot, drop `omit`, sealCer
  sealHashOnly: (item) => attempt(() => sealWithout(createSnapshot(item.args), item)),
  // {bundle: JSON text, createdAt, omit, meta?} -> {bundle}: a new record sealed from the
  // given record's snapshot less `omit`, as NexArt's redacted reseal is
  reseal: (item) => attempt(() => sealWithout(JSON.parse(item.bundle).snapshot, item)),
  // bundle JSON text -> {ok, errors}
  verify: (text) => attempt(() => verifyCer(JSON.parse(text))),
};

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  let reply;
  try {
    const request = JSON.parse(line);
    const op = OPS[request.op];
    reply = op ? { results: request.items.map(op) } : { error: `unknown op ${request.op}` };
  } catch (err) {
    reply = { error: String(err) };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
}
