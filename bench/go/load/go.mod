module atomix-controller-ts/bench/go/load

go 1.24

require (
	github.com/atomix/api v0.3.3
	github.com/atomix/atomix-api v0.0.0-20200114202737-fac5129dc110
	google.golang.org/grpc v1.31.1
)

require (
	github.com/gogo/protobuf v1.3.1 // indirect
	github.com/golang/protobuf v1.3.3 // indirect
	golang.org/x/net v0.0.0-20190311183353-d8887717615a // indirect
	golang.org/x/sys v0.0.0-20190215142949-d0b11bdaac8a // indirect
	golang.org/x/text v0.3.0 // indirect
	google.golang.org/genproto v0.0.0-20190819201941-24fa4b261c55 // indirect
)
