// What a webhook's connection settings come to: the CA bundle, client certificate and key, and
// Authorization header, read from the Secrets and ConfigMaps they name (through a reader, see
// object-reader.ts) and checked, each failure a message naming the field and what is missing.
// checkConnections() resolves every hook of a resource's controllers once, so that a missing
// Secret, ConfigMap or key is reported on the resource before any parent is synced.
import { Buffer } from "node:buffer";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { type ControllerDefinition, isRemote, type KubeObject, type RemoteHookOptions } from "../../runtime/mod.ts";
import type { EndpointSettings } from "./endpoint-configs.ts";

/** A Secret or ConfigMap by namespace and name; undefined when there is none. A throw is any other failure. */
export type ReadObject = (kind: "Secret" | "ConfigMap", namespace: string, name: string) => Promise<
  KubeObject | undefined
>;

/** What a connection provider returns: see RemoteHookOptions.connection. */
export type Connection = Awaited<ReturnType<NonNullable<RemoteHookOptions["connection"]>>>;

/** A connection that cannot be made as configured; the message names the field and what is missing. */
export class ConnectionSettingsError extends Error {}

/** The value of a key of a Secret (decoded from base64) or ConfigMap (`data` only, as upstream). */
async function valueOf(
  read: ReadObject,
  kind: "Secret" | "ConfigMap",
  ref: { name: string; namespace: string },
  key: string,
  field: string,
): Promise<string> {
  const what = `${kind} ${ref.namespace}/${ref.name}`;
  let object: KubeObject | undefined;
  try {
    object = await read(kind, ref.namespace, ref.name);
  } catch (error) {
    throw new ConnectionSettingsError(`${field}: ${what} could not be read: ${(error as Error).message}`);
  }
  if (!object) throw new ConnectionSettingsError(`${field}: ${what} not found`);
  const data = (object as { data?: Record<string, string> }).data ?? {};
  if (!(key in data)) throw new ConnectionSettingsError(`${field}: ${what} has no key "${key}"`);
  return kind === "Secret" ? Buffer.from(data[key]!, "base64").toString("utf8") : data[key]!;
}

function pemCertificates(text: string, field: string): string {
  try {
    new X509Certificate(text);
  } catch {
    throw new ConnectionSettingsError(`${field} holds no PEM certificate`);
  }
  return text;
}

/**
 * The connection of a webhook with these settings, read now.
 *
 * @throws ConnectionSettingsError naming the field and the Secret, ConfigMap or key that is
 *   missing or unreadable, or the certificate or key that is not PEM.
 */
export async function resolveConnection(settings: EndpointSettings, read: ReadObject): Promise<Connection> {
  const { from, caBundle, clientTLS, authorization, basicAuth } = settings;
  const connection: Connection = {};
  if (caBundle) {
    const field = `${from}.caBundle`;
    const text = caBundle.inline ??
      (caBundle.secretRef
        ? await valueOf(read, "Secret", caBundle.secretRef, caBundle.secretRef.key || "ca.crt", `${field}.secretRef`)
        : await valueOf(
          read,
          "ConfigMap",
          caBundle.configMapRef!,
          caBundle.configMapRef!.key || "ca.crt",
          `${field}.configMapRef`,
        ));
    if (!text.trim()) throw new ConnectionSettingsError(`${field}: the CA bundle is empty`);
    connection.caBundle = pemCertificates(text, field);
  }
  if (clientTLS) {
    const field = `${from}.clientTLS`;
    const cert = await valueOf(read, "Secret", clientTLS.secretRef, clientTLS.certKey || "tls.crt", field);
    const key = await valueOf(read, "Secret", clientTLS.secretRef, clientTLS.privateKeyKey || "tls.key", field);
    pemCertificates(cert, `${field} (${clientTLS.certKey || "tls.crt"})`);
    try {
      createPrivateKey(key);
    } catch {
      throw new ConnectionSettingsError(`${field} (${clientTLS.privateKeyKey || "tls.key"}) holds no PEM private key`);
    }
    connection.clientCert = cert;
    connection.clientKey = key;
  }
  if (authorization) {
    const field = `${from}.authorization`;
    const credential = await valueOf(read, "Secret", authorization.secretRef, authorization.secretRef.key, field);
    connection.authorization = `${authorization.type?.trim() || "Bearer"} ${credential.trim()}`;
  } else if (basicAuth) {
    const field = `${from}.basicAuth`;
    const username = await valueOf(read, "Secret", basicAuth.secretRef, basicAuth.usernameKey || "username", field);
    const password = await valueOf(read, "Secret", basicAuth.secretRef, basicAuth.passwordKey || "password", field);
    if (username.includes(":")) throw new ConnectionSettingsError(`${field}: the username must not contain ":"`);
    connection.authorization = `Basic ${Buffer.from(`${username.trim()}:${password.trim()}`).toString("base64")}`;
  }
  if (/[\r\n]/.test(connection.authorization ?? "")) {
    throw new ConnectionSettingsError(`${from}: the credential holds a line break inside`);
  }
  return connection;
}

/**
 * Asks every remote hook of these controllers that has a connection provider for its
 * connection once, so that what is missing is known before a parent is synced.
 *
 * @throws the first hook's error (ConnectionSettingsError: which field, which Secret,
 *   ConfigMap or key).
 */
export async function checkConnections(definitions: readonly ControllerDefinition[]): Promise<void> {
  const hooks = new Set(
    definitions.flatMap((definition) => [definition.sync, definition.finalize, definition.related?.select]),
  );
  for (const hook of hooks) {
    if (isRemote(hook) && hook.connection) await hook.connection();
  }
}
