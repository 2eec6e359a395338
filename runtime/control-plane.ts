// The runtime's door for testing against a real control plane: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler and kwok (one fake node whose pods become Ready),
// built from Go modules on first use (progress on stderr, then cached) and run as processes on
// loopback, with no Docker. `kubefn cluster` runs one until Ctrl-C.
export {
  alive,
  type Cluster as ControlPlane,
  ComponentError,
  fakeNodeName,
  startCluster as startControlPlane,
  type StartOptions as ControlPlaneOptions,
} from "./control-plane/cluster.ts";
export {
  type Binaries,
  cacheRoot,
  ensureBinaries as buildControlPlane,
  type PinnedVersions,
} from "./control-plane/build.ts";
export type { Log } from "./control-plane/go.ts";
export { runClusterUntilSignalled as runControlPlaneUntilSignalled } from "./control-plane/main.ts";
export { installCrds, installKinds, type ProgramProcess, startProgram } from "./kit/program-process.ts";
