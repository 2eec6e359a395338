module atomix-controller-ts/bench/go/hooks

go 1.24
