import { parseArgs } from 'node:util';
import { createController, loadCampaignConfig } from '@proteus-wf/controller';
import { createInjector } from '@proteus-wf/injector';
import { createChameleonTestbed, loadChameleonTopology, planChameleonTestbed } from '@proteus-wf/testbed-chameleon';
import { createFabricTestbed, loadFabricTopology, planFabricTestbed } from '@proteus-wf/testbed-fabric';

/** FABRIC holds the submit and data nodes, Chameleon the workers (Poseidon-X's layout); then one campaign runs. */
export async function main(argv: string[], env = process.env, print = console.log): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      topology: { type: 'string', default: 'topology.json' },
      campaign: { type: 'string' },
      'dry-run': { type: 'boolean' },
    },
  });
  const fabricTopology = await loadFabricTopology(values.topology);
  const chameleonTopology = await loadChameleonTopology(values.topology);
  const submitAddress = '<fabric submit node>';
  if (values['dry-run']) {
    print(
      JSON.stringify(
        {
          fabric: planFabricTestbed(fabricTopology),
          chameleon: planChameleonTestbed(chameleonTopology, {
            centralManager: { name: 'submit', address: submitAddress },
          }),
        },
        null,
        2,
      ),
    );
    return;
  }
  const poolPassword = env.PROTEUS_POOL_PASSWORD ?? '';
  const chameleonOptions = {
    topology: chameleonTopology,
    credentials: {
      authUrl: env.OS_AUTH_URL ?? '',
      applicationCredentialId: env.OS_APPLICATION_CREDENTIAL_ID ?? '',
      applicationCredentialSecret: env.OS_APPLICATION_CREDENTIAL_SECRET ?? '',
    },
    poolPassword,
    stateFile: '.proteus/example-chameleon.json',
  };
  // The stitch VLAN comes first: the FABRIC facility port joins Chameleon's reserved network (its segmentation id).
  const vlan = await createChameleonTestbed(chameleonOptions).stitchVlan();
  await using fabric = createFabricTestbed({
    topology: fabricTopology,
    credentials: {
      tokenFile: env.FABRIC_TOKEN_LOCATION ?? `${env.HOME}/.tokens.json`,
      refreshToken: env.FABRIC_REFRESH_TOKEN,
      sshPublicKeys: [env.FABRIC_SLICE_PUBLIC_KEY ?? ''],
      sshPrivateKeyFile: env.FABRIC_SLICE_PRIVATE_KEY_FILE,
      bastionKeyFile: env.FABRIC_BASTION_KEY_LOCATION,
      bastionUser: env.FABRIC_BASTION_USERNAME ?? '',
    },
    facilityPortVlans: vlan ? Object.fromEntries(fabricTopology.fabric.facilityPorts.map((p) => [p.name, vlan])) : {},
    poolPassword,
    stateFile: '.proteus/example-fabric.json',
  });
  const fabricDeployment = await fabric.provision();
  const submit = fabricDeployment.submitNode?.name ?? 'submit';
  await using chameleon = createChameleonTestbed({
    ...chameleonOptions,
    centralManager: {
      name: submit,
      address: fabricDeployment.submitNode?.target.split('@')[1] ?? '',
      runner: fabric.runnerFor(submit),
    },
  });
  const workers = new Map((await chameleon.provision()).workers.map((w) => [w.target, w.name]));
  const injector = createInjector({
    ledgerPath: 'out/ledger.jsonl',
    runnerFor: (target) => chameleon.runnerFor(workers.get(target) ?? target),
  });
  const controller = createController({ testbed: chameleon, injector, outDir: 'out', seed: 42 });
  const result = await controller.runCampaign(
    controller.planCampaign(await loadCampaignConfig(values.campaign ?? 'campaign.json')),
  );
  print(`${result.done} runs done, ${result.failed} failed; CSVs in ${result.outDir}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2));
