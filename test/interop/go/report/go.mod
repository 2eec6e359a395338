module atomix-controller-ts/test/interop/go/report

go 1.24
