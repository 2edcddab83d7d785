/* Pegasus submit-folder files (testbeds.md §1.7 step 2): braindump.yml names the workflow and its .dag. */

/** The fields of a Pegasus `braindump.yml` that a run collection needs. */
export interface Braindump {
  wfUuid?: string;
  daxLabel?: string;
  dag?: string;
  submitDir?: string;
  /** The submit user (`user`). */
  user?: string;
  /** The top workflow's `wf_uuid` (`root_wf_uuid`); equal to `wfUuid` for a top-level workflow. */
  rootWfUuid?: string;
}

/**
 * Reads a Pegasus submit folder's `braindump.yml`, both the `key: "value"` form (Pegasus 5) and the old `key value`
 * form (Pegasus 4), line by line: the old form is not YAML. Unknown keys are ignored, missing ones left out.
 * @example parseBraindump('dax_label: "diamond"\ndag: "diamond-0.dag"\n') // { daxLabel: 'diamond', dag: 'diamond-0.dag' }
 * @throws never
 */
export function parseBraindump(text: string): Braindump {
  const values = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^([\w-]+)(?::\s*|\s+)(.*)$/.exec(line.trim());
    if (match) values.set(match[1] as string, (match[2] as string).replace(/^"(.*)"$/, '$1'));
  }
  const out: Braindump = {};
  const set = (key: keyof Braindump, name: string): void => {
    const value = values.get(name);
    if (value) out[key] = value;
  };
  set('wfUuid', 'wf_uuid');
  set('daxLabel', 'dax_label');
  set('dag', 'dag');
  set('submitDir', 'submit_dir');
  set('user', 'user');
  set('rootWfUuid', 'root_wf_uuid');
  return out;
}
