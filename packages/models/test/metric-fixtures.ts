import { readFileSync } from 'node:fs';

/** One ranking case of test/fixtures/metrics.json (expected values from sklearn; null where sklearn raises). */
export interface RankingCase {
  name: string;
  yTrue: number[];
  scores: number[];
  rocAuc: number | null;
  averagePrecision: number | null;
  precisionAtK: number | null;
  k?: number;
  precisionAtGivenK?: number;
}

interface Scores {
  precision: number;
  recall: number;
  f1: number;
}

/** One classification case of test/fixtures/metrics.json. */
export interface ClassificationCase {
  name: string;
  yTrue: number[];
  yPred: number[];
  accuracy: number;
  confusionMatrix: { labels: number[]; matrix: number[][] };
  binary?: Scores;
  macro: Scores;
  weighted: Scores;
}

/** The sklearn-generated metric fixtures (see scripts/make-metric-fixtures.py). */
export const metricFixtures = JSON.parse(readFileSync(new URL('./fixtures/metrics.json', import.meta.url), 'utf8')) as {
  sklearn: string;
  ranking: RankingCase[];
  classification: ClassificationCase[];
};
