// A handler that throws something other than a ConnectError has a bug: Connect answers the
// caller "internal error" and says no more. This interceptor logs such errors with the method
// and the stack, so that an operator who sees an internal answer can find its cause.
import { ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "../log.ts";

export function logUnexpectedErrors(log: Logger): Interceptor {
  const report = (method: string, error: unknown) => {
    if (!(error instanceof ConnectError)) {
      log.error("RPC failed with an unexpected error (answered internal)", {
        method,
        error: (error as Error)?.stack ?? String(error),
      });
    }
  };
  return (next) => async (request) => {
    const method = `${request.service.typeName}/${request.method.name}`;
    try {
      const response = await next(request);
      if (!response.stream) return response;
      return { ...response, message: watched(response.message, (error) => report(method, error)) };
    } catch (error) {
      report(method, error);
      throw error;
    }
  };
}

async function* watched<T>(messages: AsyncIterable<T>, onError: (error: unknown) => void): AsyncGenerator<T> {
  try {
    yield* messages;
  } catch (error) {
    onError(error);
    throw error;
  }
}
