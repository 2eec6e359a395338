// The runtime's door for generating what a program needs in a cluster, as data to write as
// YAML: CRDs, the ClusterRole derived from the controllers (and what else the program
// declares), and the ServiceAccount, binding and Deployment of its replicas.
export { conditions, crd, crdOf, type CrdOptions } from "./manifests/crd.ts";
export { SchemaError } from "./schema/structural.ts";
export { deployment, identity, type Workload, yamlStream } from "./manifests/workload.ts";
export { programKinds, type ProgramManifestOptions, programManifests } from "./manifests/program.ts";
export { cachedVerbs, childVerbs, controllerAccess, managerAccess, type PolicyRule, policyRules } from "./rbac.ts";
export type { Access, Verb } from "./kube/access.ts";
