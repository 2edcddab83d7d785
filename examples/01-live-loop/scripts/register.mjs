// `node --import ./examples/01-live-loop/scripts/register.mjs file.ts`: runs workspace sources without a build.
import { register } from 'node:module';

register('./source-hooks.mjs', import.meta.url);
