// Stands in for @kubernetes/client-node's OIDC authenticator inside its config module (see
// ../kubeconfig.ts): it recognises OIDC users as the real one does, and loads the real one
// (and its OIDC library) the first time such a user authenticates.
type User = { authProvider?: { name?: string } };
type Authenticator = { applyAuthentication(user: User, options: unknown): Promise<void> };

export class OpenIDConnectAuth {
  #real: Promise<Authenticator> | undefined;

  isAuthProvider(user: User): boolean {
    return user.authProvider?.name === "oidc";
  }

  async applyAuthentication(user: User, options: unknown): Promise<void> {
    this.#real ??= import("@kubernetes/client-node/dist/oidc_auth.js").then((module) =>
      new module.OpenIDConnectAuth() as Authenticator
    );
    await (await this.#real).applyAuthentication(user, options);
  }
}
