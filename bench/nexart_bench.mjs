// NexArt's SDK under Node, driven by bench/seal_verify.py so that both sides are measured
// in the same run, interleaved (load from other processes hits both alike).
//
//   node bench/nexart_bench.mjs RECORDS.json ROUNDS
//
// RECORDS.json holds {createdAt, records: [createSnapshot arguments]}; they are parsed before
// any timing, so NexArt starts from in-memory objects as cerkit does. Then each line read on
// stdin ("seal" or "verify") runs ROUNDS passes over the records and answers one line: the
// microseconds per record of that pass.
import { readFileSync } from 'node:fs';
import * as readline from 'node:readline';
import {
  createSnapshot,
  sealCer,
  verifyCer,
} from '../tests/nexart/node_modules/@nexart/ai-execution/dist/index.js';

const [, , path, roundsArg] = process.argv;
const { createdAt, records } = JSON.parse(readFileSync(path, 'utf-8'));
const rounds = Number(roundsArg ?? 10);

let bundles = records.map((args) => sealCer(createSnapshot(args), { createdAt }));
for (const bundle of bundles) {
  const result = verifyCer(bundle);
  if (!result.ok) throw new Error(`NexArt could not verify its own record: ${result.errors}`);
}

const passes = {
  seal() {
    for (let r = 0; r < rounds; r++) {
      bundles = records.map((args) => sealCer(createSnapshot(args), { createdAt }));
    }
  },
  verify() {
    for (let r = 0; r < rounds; r++) {
      for (const bundle of bundles) if (!verifyCer(bundle).ok) throw new Error('verify failed');
    }
  },
};
for (let i = 0; i < 3; i++) { passes.seal(); passes.verify(); } // warm up the JIT

process.stdout.write(JSON.stringify({ ready: true, node: process.version }) + '\n');
const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  const pass = passes[line.trim()];
  if (!pass) throw new Error(`unknown pass ${line}`);
  const start = process.hrtime.bigint();
  pass();
  const micros = Number(process.hrtime.bigint() - start) / 1000 / (rounds * records.length);
  process.stdout.write(JSON.stringify({ us: micros }) + '\n');
}
