import { extractFeatures, fitScaler, loadFlowBench, splitByRun, toTensors } from '@proteus-wf/features';

const dataset = await loadFlowBench('datasets/flowbench/1000genome.zip'); // finds adjacency_list_dags/1000genome.json
const features = extractFeatures(dataset, { pipeline: 'flowbench-v1' }); // 6 delays + hop distance
const split = splitByRun(features, { seed: 42 }); // 60/20/20 by run, stratified by run label
const scaler = fitScaler(features, { kind: 'minmax', runs: split.train }); // training runs only
const tensors = toTensors(features, { scaler, labels: 'fine' });
console.log(tensors.shape); // [351, 137, 7]: tensors.X is a Float32Array [runs, jobs, features], jobs in node-index order
console.log(tensors.labelMap.classes); // ['normal', 'cpu_2', ..., 'hdd_10']; per job and run: tensors.jobLabels, tensors.runLabels
