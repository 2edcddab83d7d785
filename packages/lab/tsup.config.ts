import { definePackageBuild } from '../../tsup.base.js';

export default definePackageBuild();
