// Which kind a resource name means: Metacontroller's resources name a plural ("deployments")
// and an apiVersion; the runtime watches kinds. Read from the API server's discovery
// documents, one per apiVersion, asked again when a resource is not (yet) there.
import type { KubeClient } from "./client.ts";
import { type Kind, kind } from "./kinds.ts";

interface DiscoveryDocument {
  resources?: Array<{ name: string; kind: string; namespaced: boolean }>;
}

/**
 * Which kind a resource name means in an apiVersion, read from the API server's discovery
 * documents: one request per apiVersion, cached, and asked again when a resource is not found
 * (it may be a CRD installed since).
 */
export class Discovery {
  readonly #client: KubeClient;
  readonly #documents = new Map<string, Promise<DiscoveryDocument>>();

  /** Makes a discovery cache that asks through `client`. */
  constructor(client: KubeClient) {
    this.#client = client;
  }

  /** The kind served as `resource` in `apiVersion`; throws saying so when there is none. */
  async kindOf(apiVersion: string, resource: string): Promise<Kind> {
    for (const fresh of [false, true]) {
      if (fresh) this.#documents.delete(apiVersion);
      const document = await this.#document(apiVersion).catch((error: Error) => {
        this.#documents.delete(apiVersion);
        throw new Error(`${apiVersion} is not served by this cluster (${error.message})`);
      });
      const found = document.resources?.find((entry) => entry.name === resource);
      if (found) return kind(apiVersion, found.kind, found.name, found.namespaced);
    }
    throw new Error(`${apiVersion} serves no resource "${resource}"`);
  }

  #document(apiVersion: string): Promise<DiscoveryDocument> {
    let document = this.#documents.get(apiVersion);
    if (!document) {
      const path = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      document = this.#client.request("GET", path) as Promise<DiscoveryDocument>;
      this.#documents.set(apiVersion, document);
    }
    return document;
  }
}
