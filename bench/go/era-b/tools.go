//go:build tools

// The era-b Atomix controller (github.com/atomix/kubernetes-controller v0.4.0, the Database
// generation), built from the module proxy by bench/originals.ts, with
// github.com/modern-go/reflect2 at v1.0.2 (older versions crash on Go >= 1.18).
package tools

import _ "github.com/atomix/kubernetes-controller/cmd/controller"
