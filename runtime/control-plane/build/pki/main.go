// Command pki writes the credentials a loopback-only Kubernetes control plane needs:
// a cluster CA, the kube-apiserver serving certificate, client certificates for the
// admin, the controller manager and the scheduler, the kubelet pair (kwok's serving
// certificate for 127.0.0.1, and the client certificate kube-apiserver presents to it for
// exec, attach, logs and port-forward), and the service-account key pair.
//
// Usage: pki -dir DIR
package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

const validity = 365 * 24 * time.Hour

type identity struct {
	file         string
	commonName   string
	organization []string
	server       bool
}

var identities = []identity{
	{file: "apiserver", commonName: "kube-apiserver", server: true},
	{file: "admin", commonName: "kubernetes-admin", organization: []string{"system:masters"}},
	{file: "controller-manager", commonName: "system:kube-controller-manager"},
	{file: "scheduler", commonName: "system:kube-scheduler"},
	// kwok plays the kubelet on 127.0.0.1 (--node-ip), where kube-apiserver dials it.
	{file: "kubelet", commonName: "kwok-kubelet", server: true},
	{file: "apiserver-kubelet-client", commonName: "kube-apiserver-kubelet-client", organization: []string{"system:masters"}},
}

func main() {
	dir := flag.String("dir", "", "directory to write the credentials into")
	flag.Parse()
	if *dir == "" {
		fail(fmt.Errorf("-dir is required"))
	}
	if err := run(*dir); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "pki:", err)
	os.Exit(1)
}

func run(dir string) error {
	now := time.Now().Add(-time.Hour)
	caKey, err := newKey()
	if err != nil {
		return err
	}
	caTemplate := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "local-test-cluster-ca"},
		NotBefore:             now,
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, caKey.Public(), caKey)
	if err != nil {
		return err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	if err := writeCert(dir, "ca", caDER, caKey); err != nil {
		return err
	}
	for i, id := range identities {
		key, err := newKey()
		if err != nil {
			return err
		}
		template := &x509.Certificate{
			SerialNumber: big.NewInt(int64(i + 2)),
			Subject:      pkix.Name{CommonName: id.commonName, Organization: id.organization},
			NotBefore:    now,
			NotAfter:     now.Add(validity),
			KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
			ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}
		if id.server {
			template.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
			template.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
			template.DNSNames = []string{"localhost"}
		}
		if id.file == "apiserver" {
			template.IPAddresses = append(template.IPAddresses, net.ParseIP("10.96.0.1"))
			template.DNSNames = append(template.DNSNames, "kubernetes", "kubernetes.default",
				"kubernetes.default.svc", "kubernetes.default.svc.cluster.local")
		}
		der, err := x509.CreateCertificate(rand.Reader, template, caCert, key.Public(), caKey)
		if err != nil {
			return err
		}
		if err := writeCert(dir, id.file, der, key); err != nil {
			return err
		}
	}
	saKey, err := newKey()
	if err != nil {
		return err
	}
	if err := writeKey(filepath.Join(dir, "sa.key"), saKey); err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(saKey.Public())
	if err != nil {
		return err
	}
	return writePEM(filepath.Join(dir, "sa.pub"), "PUBLIC KEY", pub)
}

func newKey() (*ecdsa.PrivateKey, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

func writeCert(dir, name string, der []byte, key crypto.Signer) error {
	if err := writePEM(filepath.Join(dir, name+".crt"), "CERTIFICATE", der); err != nil {
		return err
	}
	return writeKey(filepath.Join(dir, name+".key"), key)
}

func writeKey(path string, key crypto.Signer) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return writePEM(path, "PRIVATE KEY", der)
}

func writePEM(path, blockType string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}), 0o600)
}
