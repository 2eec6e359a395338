// Generates the certificates and keys of the local test cluster (standard library only).
module atomix.local/testcluster/pki

go 1.26.0
