import { loadFlowBench } from '@proteus-wf/features';
import { loadModel, saveModel, scoreJobs, train } from '@proteus-wf/models';

const dataset = await loadFlowBench('datasets/flowbench/1000genome.zip');
const result = await train(dataset, { model: 'gcn', task: 'node', labels: 'binary', epochs: 30, seed: 1 });
console.log(result.test); // { accuracy, precision, recall, f1, rocAuc, averagePrecision, precisionAtK, confusionMatrix, ... }
await saveModel(result.model, 'models/1000genome-gcn'); // model.onnx + model.json

const model = await loadModel('models/1000genome-gcn');
try {
  const { scores, jobNames, runIds } = await scoreJobs(model, dataset); // or new traces: await loadFlowBench('new-runs.zip')
  console.log(scores.length, jobNames.length, runIds.length);
} finally {
  await model.release(); // frees the onnxruntime session
}
