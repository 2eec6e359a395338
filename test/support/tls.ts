// Throwaway TLS material for tests of HTTPS hooks: a CA, a server certificate for localhost and
// 127.0.0.1 and a client certificate it signs, and a second CA that signs nothing, made with
// openssl (EC P-256, valid one day) in a fresh temporary folder that remove() deletes.
import { execFileSync } from "node:child_process";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { TLSSocket } from "node:tls";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A PEM certificate and its PEM private key. */
export interface KeyPair {
  cert: string;
  key: string;
}

export interface TestCertificates {
  ca: KeyPair;
  /** For localhost and 127.0.0.1, signed by ca. */
  server: KeyPair;
  /** CN=metacontroller, signed by ca: what a server that requires client certificates accepts. */
  client: KeyPair;
  /** Another CA, which signed neither: trusting it instead of ca fails the handshake. */
  otherCa: KeyPair;
  /** Deletes the folder the files were made in; safe to call more than once. */
  remove(): void;
}

/** Makes the certificates; the temporary folder is removed before this returns if openssl fails. */
export function makeCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), "hook-tls-"));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    const openssl = (...args: string[]) =>
      execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    const read = (name: string) => readFileSync(join(dir, name), "utf8");
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    const authority = (name: string) => {
      openssl(
        "req",
        "-x509",
        ...ec,
        "-keyout",
        `${name}.key`,
        "-out",
        `${name}.crt`,
        "-days",
        "1",
        "-subj",
        `/CN=${name}`,
      );
      return { cert: read(`${name}.crt`), key: read(`${name}.key`) };
    };
    const signed = (name: string, subject: string, extensions: string) => {
      writeFileSync(join(dir, `${name}.ext`), extensions);
      openssl("req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject);
      openssl(
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        `${name}.crt`,
        "-days",
        "1",
        "-extfile",
        `${name}.ext`,
      );
      return { cert: read(`${name}.crt`), key: read(`${name}.key`) };
    };
    const ca = authority("ca");
    const otherCa = authority("other-ca");
    const server = signed(
      "server",
      "/CN=localhost",
      "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    );
    const client = signed("client", "/CN=metacontroller", "extendedKeyUsage=clientAuth\n");
    return { ca, server, client, otherCa, remove };
  } catch (error) {
    remove();
    throw error;
  }
}

/**
 * An HTTPS server with the test server certificate that requires a client certificate signed by
 * the test CA; `handler` gets each request with the client certificate's CN.
 */
export function clientCertServer(
  certs: TestCertificates,
  handler: (req: IncomingMessage, res: ServerResponse, clientName: string | undefined) => void,
): Server {
  return createServer({
    cert: certs.server.cert,
    key: certs.server.key,
    ca: certs.ca.cert,
    requestCert: true,
    rejectUnauthorized: true,
  }, (req, res) => handler(req, res, (req.socket as TLSSocket).getPeerCertificate()?.subject?.CN as string));
}
