import { applyScaler, extractFeatures, fitScaler, loadFlowBench, splitByRun } from '@proteus-wf/features';
import { fitJobStatistics, rocAuc, trainSsl, fitKnnDetector } from '@proteus-wf/models';
import { createSession, createTensor, runGraph } from '@proteus-wf/onnx-train';
const wfs = process.argv[2].split(','); const seeds = process.argv[3].split(',').map(Number);
const opts = JSON.parse(process.argv[4] ?? '{}');
const res = {};
for (const wf of wfs) for (const seed of seeds) {
  const f = extractFeatures(await loadFlowBench(`/work/shared/datasets/flowbench/${wf}.zip`), { pipeline: 'full' });
  const N = f.jobsPerRun, F = f.featureNames.length, B = N * F;
  const split = splitByRun(f, { seed, ratios: { train: 0.6, validation: 0.2, test: 0.2 } });
  const x = applyScaler(f, fitScaler(f, { kind: 'minmax', runs: split.train })).values;
  const { mean, std } = fitJobStatistics(x, split.train, N, F);
  const r = await trainSsl(f, { seed, threads: 1, ...opts });
  const s = await createSession(r.model.onnx, { threads: 1 });
  const get = async (runs) => {
    const xb = new Float32Array(runs.length * B); runs.forEach((run, i) => xb.set(x.subarray(run * B, (run + 1) * B), i * B));
    const out = await runGraph(s, { x: createTensor('float32', xb, [runs.length, N, F]) }, { where: 'diag' });
    const rec = out.reconstruction.data; const z = xb.map((v, k) => (v - mean[k % B]) / std[k % B]);
    return { z, rec, labels: Uint8Array.from({ length: runs.length * N }, (_, k) => f.jobLabels[runs[Math.floor(k / N)] * N + (k % N)] === 'normal' ? 0 : 1) };
  };
  const tr = await get(split.train), va = await get(split.validation);
  // residual std per (job, feature) on training
  const rs = new Float64Array(B), rm = new Float64Array(B);
  for (let k = 0; k < tr.z.length; k++) { const d = tr.z[k] - tr.rec[k]; rm[k % B] += d / split.train.length; rs[k % B] += d * d / split.train.length; }
  const rstd = Float64Array.from(rs, (q, k) => Math.max(Math.sqrt(Math.max(q - rm[k] ** 2, 0)), 0.05));
  const scores = {};
  const J = va.z.length / F;
  const mk = (fn) => { const o = new Float32Array(J); for (let j = 0; j < J; j++) { let sum = 0; for (let c = 0; c < F; c++) sum += fn(j * F + c); o[j] = Math.sqrt(sum); } return o; };
  scores.zscore = mk((k) => va.z[k] ** 2);
  scores.err = mk((k) => (va.z[k] - va.rec[k]) ** 2);
  scores.errFeat = mk((k) => ((va.z[k] - va.rec[k] - rm[k % B]) / rstd[k % B]) ** 2);
  const meanOf = (a) => a.reduce((p, v) => p + v, 0) / a.length;
  for (const w of [0.5]) { const e = scores.err, z = scores.zscore; const me = meanOf(e), mz = meanOf(z); scores[`ens${w}`] = e.map((v, j) => (1 - w) * v / me + w * z[j] / mz); }
  { const e = scores.errFeat, z = scores.zscore; const me = meanOf(e), mz = meanOf(z); scores.ensFeat = e.map((v, j) => 0.5 * v / me + 0.5 * z[j] / mz); }
  // per-job calibrated err
  const trE = mk.call(null, () => 0); // placeholder
  const line = Object.entries(scores).map(([n, sc]) => `${n} ${rocAuc(va.labels, sc).toFixed(3)}`).join('  ');
  console.log(wf, seed, 'ssl.val', r.validation.rocAuc.toFixed(3), line);
  await s.session.release();
}
