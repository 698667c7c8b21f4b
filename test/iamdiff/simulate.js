// Differential-test oracle for pkg/iampolicy (see pkg/iampolicy/diff_test.go).
// Reads one JSON object per line on stdin: {"id": N, "simulation": <iam-simulate Simulation>}
// and writes one line per input: {"id": N, "result": "Allowed"|"ExplicitlyDenied"|"ImplicitlyDenied"}
// or {"id": N, "error": "..."}.
//
// This is iam-simulate's runUnsafeSimulation (no validation against its
// service catalogue, so every context key is evaluated as written) with one
// fix: 0.1.173's version loads the resource policy without a name and then
// crashes reading it, so the core engine is called directly here.
'use strict';
const path = require('path');
const { loadPolicy } = require('@cloud-copilot/iam-policy');
const dist = path.join(__dirname, 'node_modules/@cloud-copilot/iam-simulate/dist/cjs');
const { authorize } = require(path.join(dist, 'core_engine/CoreSimulatorEngine.js'));
const { AwsRequestImpl } = require(path.join(dist, 'request/request.js'));
const { RequestContextImpl } = require(path.join(dist, 'requestContext.js'));
const { DiscoveryContextKeyConstraints } = require(path.join(dist, 'context_keys/discoveryContextKeyConstraints.js'));

function runUnsafeSimulation(sim) {
  const load = (p) => loadPolicy(p.policy, { name: p.name });
  const org = (levels) => levels.map((l) => ({ orgIdentifier: l.orgIdentifier, policies: l.policies.map(load) }));
  const request = new AwsRequestImpl(
    sim.request.principal,
    { resource: sim.request.resource.resource, accountId: sim.request.resource.accountId },
    sim.request.action,
    new RequestContextImpl(sim.request.contextVariables)
  );
  return authorize({
    request,
    sessionPolicy: undefined,
    identityPolicies: sim.identityPolicies.map(load),
    serviceControlPolicies: org(sim.serviceControlPolicies),
    resourceControlPolicies: org(sim.resourceControlPolicies),
    resourcePolicy: sim.resourcePolicy ? load({ name: 'resource', policy: sim.resourcePolicy }) : undefined,
    permissionBoundaries: sim.permissionBoundaryPolicies ? sim.permissionBoundaryPolicies.map(load) : undefined,
    vpcEndpointPolicies: undefined,
    simulationParameters: { simulationMode: 'Strict', discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([]) },
    serviceSettings: { s3: {} }
  }).result;
}

const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const out = [];
  for (const line of Buffer.concat(chunks).toString('utf8').split('\n')) {
    if (!line.trim()) continue;
    let id = null;
    try {
      const msg = JSON.parse(line);
      id = msg.id;
      out.push(JSON.stringify({ id, result: runUnsafeSimulation(msg.simulation) }));
    } catch (e) {
      out.push(JSON.stringify({ id, error: String(e && e.stack ? e.stack : e) }));
    }
  }
  process.stdout.write(out.join('\n') + '\n');
});
