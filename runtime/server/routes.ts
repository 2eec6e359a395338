// The RPC side of the port, shared by the Node and Deno servers: the program's services,
// then the runtime's own (health and reflection), under one set of router options (message
// size limit, the request gate, interceptors, Any types for JSON).
import type { DescMethod, Registry } from "@bufbuild/protobuf";
import type { ConnectRouter, ConnectRouterOptions, HandlerContext, Interceptor } from "@connectrpc/connect";
import { HealthStatus, registerHealth } from "./health.ts";
import { answerMalformedRequestsAsInvalid } from "./malformed-requests.ts";
import { registerReflection } from "./reflection.ts";
import { logUnexpectedErrors } from "./unexpected-errors.ts";
import type { Logger } from "../log.ts";

export interface RpcOptions {
  routes: (router: ConnectRouter) => void;
  /** Message types that may appear in google.protobuf.Any fields of JSON requests and responses. */
  registry?: Registry | undefined;
  health: HealthStatus;
  /** Runs once a call's headers are in, before its body is read (authentication). */
  requestGate?: ((context: HandlerContext) => void | Promise<void>) | undefined;
  /** Run around each call with its parsed request (authorization). */
  interceptors?: Interceptor[] | undefined;
  log: Logger;
  /** Checks the methods served once all are registered; throws to refuse to start. */
  checkServed?: ((methods: DescMethod[]) => void) | undefined;
}

/** `maxMessageBytes`: the largest request message; larger ones are refused with RESOURCE_EXHAUSTED. */
export function routerOptions(options: RpcOptions, maxMessageBytes: number): ConnectRouterOptions {
  return {
    readMaxBytes: maxMessageBytes,
    interceptors: [logUnexpectedErrors(options.log), ...(options.interceptors ?? [])],
    async requestGate(context) {
      answerMalformedRequestsAsInvalid(context);
      await options.requestGate?.(context);
    },
    ...(options.registry ? { jsonOptions: { registry: options.registry } } : {}),
  };
}

/** Registers the program's routes and the runtime's health and reflection services. */
export function allRoutes(options: RpcOptions): (router: ConnectRouter) => void {
  return (router) => {
    options.routes(router);
    const services =
      () => [...new Map(router.handlers.map((handler) => [handler.service.typeName, handler.service])).values()];
    registerHealth(router, options.health, () => new Set(services().map((service) => service.typeName)));
    registerReflection(router, services, options.registry);
    options.checkServed?.(router.handlers.map((handler) => handler.method));
  };
}

/** The names of the services a router serves. */
export const serviceNames = (router: ConnectRouter): ReadonlySet<string> =>
  new Set(router.handlers.map((handler) => handler.service.typeName));
