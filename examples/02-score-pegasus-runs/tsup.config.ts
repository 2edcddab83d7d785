import { definePackageBuild } from '../../tsup.base.js';

export default definePackageBuild({ entry: ['src/main.ts'], dts: false });
