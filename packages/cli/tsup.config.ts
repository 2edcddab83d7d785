import { definePackageBuild } from '../../tsup.base.js';

export default definePackageBuild({ entry: ['src/index.ts', 'src/bin.ts'] });
