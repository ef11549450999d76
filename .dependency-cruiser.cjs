// The architecture as rules (docs/architecture.md draws it). `npm test` runs them
// (test/architecture/dependency-rules.test.ts); a violation names the rule and both files.
//
//   bin/            the composition root: the only code that wires both planes together
//   control-plane/  store, admin API, discovery server, health        ─┐
//   data-plane/     the proxy and its library                          ├─ both import proto/
//   proto/          the API package: schemas, generated code, the     ─┘
//                   resource model, the wire encoding, CLI conventions
//
// The data plane never imports the control plane. The control plane uses the data plane only
// through its public library entry (data-plane/src/index.ts), as any other user of the library
// would. Inside the control plane the store is the bottom layer. The API package imports neither
// plane. Nothing imports bin/ or test/, and there are no cycles anywhere.
const PLANES = '^(control-plane|data-plane)/';
const SOURCES = '^(bin|control-plane|data-plane|proto)/';

module.exports = {
  forbidden: [
    {
      name: 'data-plane-imports-no-control-plane',
      comment: 'The proxy runs without the control plane (static --config); what both need lives in proto/.',
      severity: 'error',
      from: { path: '^data-plane/' },
      to: { path: '^control-plane/' },
    },
    {
      name: 'control-plane-uses-data-plane-entry-only',
      comment: 'The control plane probes endpoints with the proxy\'s own code, through data-plane/src/index.ts only.',
      severity: 'error',
      from: { path: '^control-plane/' },
      to: { path: '^data-plane/', pathNot: '^data-plane/src/index\\.ts$' },
    },
    {
      name: 'api-package-imports-no-plane',
      comment: 'proto/ is what both planes share: it may not depend on either of them.',
      severity: 'error',
      from: { path: '^proto/' },
      to: { path: `${PLANES}|^bin/` },
    },
    {
      name: 'only-bin-wires-the-planes',
      comment: 'bin/ is the composition root: nothing imports it.',
      severity: 'error',
      from: { path: SOURCES, pathNot: '^bin/' },
      to: { path: '^bin/' },
    },
    {
      name: 'store-is-the-control-planes-bottom-layer',
      comment: 'The store (etcd or embedded) owns the contracts it implements, elections included: of the control plane it imports only the plane-wide files (errors.ts, grpc-status.ts) and the secret sealer contract (a leaf: it seals private keys before they are stored), no other folder.',
      severity: 'error',
      from: { path: '^control-plane/src/store/' },
      to: { path: '^control-plane/src/[^/]+/', pathNot: '^control-plane/src/(store/|identity/secret-sealer\\.ts$)' },
    },
    {
      name: 'sources-import-no-tests',
      severity: 'error',
      from: { path: SOURCES },
      to: { path: '^test/' },
    },
    {
      name: 'nothing-outside-the-repository',
      comment: 'A fresh clone has nothing beside it: no import may leave the repository.',
      severity: 'error',
      from: {},
      to: { path: '^\\.\\./', dependencyTypesNot: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg'] },
    },
    {
      name: 'no-cycles',
      comment: 'A cycle means a contract lives in the wrong file: move it to the file that owns it.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unresolvable-imports',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // TypeScript 7 has no compiler API for dependency-cruiser to use: swc parses the sources.
    parser: 'swc',
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(proto/gen|dist|node_modules)/' },
    moduleSystems: ['es6'],
    // Packages' subpath exports (`@bufbuild/protobuf/wire`) resolve as Node resolves them.
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'node', 'default'] },
  },
};
