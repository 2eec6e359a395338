module atomix-controller-ts/test/interop/go/client-v0-4-1

go 1.24

require (
	github.com/atomix/api v0.3.3
	github.com/atomix/go-client v0.4.1
	google.golang.org/grpc v1.31.1
)

require (
	github.com/cenkalti/backoff v2.2.1+incompatible // indirect
	github.com/gogo/protobuf v1.3.1 // indirect
	github.com/golang/protobuf v1.3.3 // indirect
	github.com/google/uuid v1.1.1 // indirect
	github.com/hashicorp/golang-lru v0.5.4 // indirect
	golang.org/x/net v0.0.0-20190724013045-ca1201d0de80 // indirect
	golang.org/x/sys v0.0.0-20190804053845-51ab0e2deafa // indirect
	golang.org/x/text v0.3.2 // indirect
	google.golang.org/genproto v0.0.0-20190819201941-24fa4b261c55 // indirect
)

require atomix-controller-ts/test/interop/go/report v0.0.0

replace atomix-controller-ts/test/interop/go/report => ../report

require atomix-controller-ts/test/interop/go/tokenproxy v0.0.0

replace atomix-controller-ts/test/interop/go/tokenproxy => ../tokenproxy
