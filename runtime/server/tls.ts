// The serving certificate and key, from files that may change under the process (cert-manager
// and kubelet replace a mounted Secret's files in place). The files are checked every
// `tlsReloadIntervalMs`; a new pair is used for new connections once both files hold a key
// that matches the certificate. A pair that does not match (one file written, the other not
// yet) is logged and the previous pair stays in use.
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import type { Logger } from "../log.ts";

/** How often the certificate and key files are checked for changes. */
export const tlsReloadIntervalMs = 1_000;

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface KeyPair {
  cert: string;
  key: string;
  /** The certificate's subject and expiry, for logs. */
  subject: string;
  notAfter: string;
}

/** Reads and checks the pair; throws with a message naming the file at fault. */
export function loadKeyPair(files: TlsFiles): KeyPair {
  const cert = readFileSync(files.certFile, "utf8");
  const key = readFileSync(files.keyFile, "utf8");
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch (error) {
    throw new Error(`--tls-cert-file ${files.certFile} holds no PEM certificate: ${(error as Error).message}`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    throw new Error(`--tls-private-key-file ${files.keyFile} holds no PEM private key: ${(error as Error).message}`);
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new Error(`the key in ${files.keyFile} does not belong to the certificate in ${files.certFile}`);
  }
  return { cert, key, subject: certificate.subject.replace(/\n/g, ", "), notAfter: certificate.validTo };
}

/** Changes of either file, by what stat tells (a replaced file has a new inode or mtime). */
function fingerprint(files: TlsFiles): string {
  return [files.certFile, files.keyFile]
    .map((file) => {
      try {
        const stat = statSync(file);
        return `${stat.ino}:${stat.mtimeMs}:${stat.size}`;
      } catch {
        return "missing";
      }
    })
    .join("|");
}

/** Loads the pair now (throwing when it is unusable) and calls `onChange` with each later good pair. */
export function watchKeyPair(
  files: TlsFiles,
  log: Logger,
  onChange: (pair: KeyPair) => void,
): { initial: KeyPair; stop(): void } {
  let seen = fingerprint(files);
  const initial = loadKeyPair(files);
  log.info("TLS certificate loaded", { subject: initial.subject, notAfter: initial.notAfter });
  const timer = setInterval(() => {
    const now = fingerprint(files);
    if (now === seen) return;
    seen = now;
    try {
      const pair = loadKeyPair(files);
      onChange(pair);
      log.info("TLS certificate reloaded", { subject: pair.subject, notAfter: pair.notAfter });
    } catch (error) {
      log.warn("TLS certificate not reloaded; serving the previous one", { error: (error as Error).message });
    }
  }, tlsReloadIntervalMs);
  (timer as { unref?: () => void }).unref?.();
  return { initial, stop: () => clearInterval(timer) };
}
