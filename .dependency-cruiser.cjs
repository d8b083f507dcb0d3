/**
 * aire's layers, enforced (npm run lint, test/static/layers.test.ts). Each room may import from its
 * own room and from the layers below it, never from a layer above or a peer room of its own layer.
 * The rooms and their jobs are in docs/architecture.md; keep the two in step.
 */
const layers = [
  // 0. Foundation: errors and their exit codes, units, time, processes, sockets, SSE, the OpenAI wire format, schema field types.
  { base: "^harness/base/" },
  // 1. What is measured: the sample of one request, its vocabulary, histograms and windows.
  { metrics: "^harness/metrics/" },
  // 2. The assertion language and scoring; the systems under test (reference gateway, synthetic providers, embedded Toxiproxy).
  { slo: "^harness/slo/", reference: "^harness/reference/" },
  // 3. What a run does to the target: traffic, and faults (each kind in one folder of its family); what it asks the system: probes.
  { traffic: "^harness/traffic/", faults: "^faults/", probes: "^harness/probes/" },
  // 4. The scenario format, composed from the schemas below it.
  { scenario: "^harness/scenario/" },
  // 5. Starting the target; the results directory (event log, recorder, readers, the RunReport).
  { stack: "^harness/stack/", results: "^harness/results/" },
  // 6. Renderers of a RunReport.
  { reports: "^reports/" },
  // 7. A run: the phase loop, faults on the timeline, abort conditions.
  { orchestrator: "^harness/orchestrator/" },
  // 8. One file per command.
  { commands: "^harness/commands/" },
  // 9. The command line (one file per command in cli/) and the library entry point.
  { entry: "^harness/((cli|index)\\.ts$|cli/)" },
];

const forbidden = [
  { name: "no-circular", severity: "error", comment: "an import cycle", from: {}, to: { circular: true } },
];
layers.forEach((rooms, level) => {
  const above = layers.slice(level + 1).flatMap((l) => Object.values(l));
  for (const [room, path] of Object.entries(rooms)) {
    if (above.length > 0) forbidden.push({ name: `${room}-not-upward`, severity: "error", comment: `${room} (layer ${level}) imports a layer above it`, from: { path }, to: { path: above } });
    const peers = Object.entries(rooms).filter(([other]) => other !== room).map(([, p]) => p);
    if (peers.length > 0) forbidden.push({ name: `${room}-not-sideways`, severity: "error", comment: `${room} imports a peer room of its own layer`, from: { path }, to: { path: peers } });
  }
});
// The systems under test are independent of each other: each is served on its own (aire serve …).
const sut = ["gateway", "providers", "toxiproxy"];
for (const s of sut) {
  forbidden.push({ name: `${s}-independent`, severity: "error", comment: `the ${s} imports another system under test`, from: { path: `^harness/reference/${s}/` }, to: { path: sut.filter((o) => o !== s).map((o) => `^harness/reference/${o}/`) } });
}
// Every file belongs to a room.
forbidden.push({ name: "in-a-room", severity: "error", comment: "a module outside every layer", from: { path: "^(harness|faults|reports)/", pathNot: layers.flatMap((l) => Object.values(l)) }, to: {} });

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(dist|node_modules|test|bench)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
