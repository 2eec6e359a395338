//go:build tools

// The era-a Atomix controller (github.com/atomix/atomix-k8s-controller of 2019-06-20, the
// PartitionSet generation), built from the module proxy by bench/originals.ts. Its own go.mod
// listed only some of its dependencies (modules of 2018 had none of their own), so this one pins
// each to the version in the original's go.sum, and github.com/modern-go/reflect2 to v1.0.2
// (older versions crash on Go >= 1.18). The build adds a replace of k8s.io/api with a copy
// whose policy/v1beta1 types register under policy/v1 (Kubernetes 1.25+ serves no v1beta1
// PodDisruptionBudgets); see bench/originals.ts.
package tools

import _ "github.com/atomix/atomix-k8s-controller/cmd/controller"
