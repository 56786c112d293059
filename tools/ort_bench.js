// ort_bench.js — times ONNX Runtime (npm onnxruntime-node, CPU, --threads intra-op threads, default 1) on an
// ONNX model, the reference side of `make bench`.
// Usage: node ort_bench.js MODEL [--batch N] [--runs N] [--warmup N] [--threads N]
// Prints one JSON line: {"path","batch","threads","latency_ms":{"min","median","p90","max"},"first_run_ms",
// "cpu_ms_median" (process user+sys CPU time per run),"throughput_per_s","rss_peak_bytes"}.
'use strict';

const path = require('path');

function loadOrt() {
  const prefix = process.env.ORT_PREFIX || path.join(__dirname, '..', 'build', 'ort-cache');
  return require(path.resolve(prefix, 'node_modules', 'onnxruntime-node'));
}

function parseArgs(argv) {
  const o = { model: null, batch: 1, runs: 20, warmup: 3, threads: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--batch') o.batch = parseInt(argv[++i], 10);
    else if (a === '--runs') o.runs = parseInt(argv[++i], 10);
    else if (a === '--warmup') o.warmup = parseInt(argv[++i], 10);
    else if (a === '--threads') o.threads = parseInt(argv[++i], 10);
    else if (!o.model) o.model = a;
    else throw new Error(`unexpected argument ${a}`);
  }
  if (!o.model) throw new Error('usage: ort_bench.js MODEL [--batch N] [--runs N] [--warmup N]');
  return o;
}

// Same synthetic input rule as convscope bench: declared dims kept, a free first dim = batch, other free dims = 1.
function makeFeeds(ort, session, batch) {
  const feeds = {};
  let seed = 7;
  for (const meta of session.inputMetadata) {
    const dims = (meta.shape && meta.shape.length ? meta.shape : [batch, 1, 28, 28])
      .map((d, a) => (typeof d === 'number' && d > 0 ? d : a === 0 ? batch : 1));
    const n = dims.reduce((p, d) => p * d, 1);
    const type = meta.type || 'float32';
    const data = type === 'float32' ? new Float32Array(n) : type === 'int64' ? new BigInt64Array(n) : new Float32Array(n);
    for (let i = 0; type === 'float32' && i < n; i++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      data[i] = (seed >>> 8) / 16777216;
    }
    feeds[meta.name] = new ort.Tensor(type === 'int64' ? 'int64' : 'float32', data, dims);
  }
  return feeds;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const ort = loadOrt();
  const session = await ort.InferenceSession.create(o.model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: o.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  });
  const feeds = makeFeeds(ort, session, o.batch);
  const lat = [], cpu = [];
  let first = 0;
  for (let r = 0; r < o.warmup + o.runs; r++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const c = process.cpuUsage(c0);
    if (r === 0) first = ms;
    if (r >= o.warmup) lat.push(ms), cpu.push((c.user + c.system) / 1000);
  }
  const med = (v) => (v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2);
  lat.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const median = med(lat);
  const batch = Object.values(feeds)[0] ? Object.values(feeds)[0].dims[0] : o.batch;
  const out = {
    path: o.model,
    batch,
    threads: o.threads,
    latency_ms: { min: lat[0], median, p90: lat[Math.round((lat.length - 1) * 0.9)], max: lat[lat.length - 1] },
    cpu_ms_median: med(cpu),
    first_run_ms: first,
    throughput_per_s: median > 0 ? (batch * 1000) / median : 0,
    rss_peak_bytes: process.resourceUsage().maxRSS * 1024,
  };
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(`ort_bench: ${e.message}`);
  process.exit(2);
});
