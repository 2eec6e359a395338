// Connect-ES answers some malformed requests with code internal, which Connect sends as
// HTTP 500: a body that is not valid protobuf ("parse binary: illegal tag ..."), and an
// envelope flagged compressed on a call that named no compression. Both are the caller's
// fault: they are answered invalid_argument (HTTP 400), as connect-go does for bad protobuf,
// so that internal keeps meaning a bug in the server.
//
// Connect aborts each call's signal with the error just before it writes the error out, on
// every protocol, so a listener on that signal reclassifies it in time.
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";

/** How Connect-ES words the failures that a malformed request causes. */
const malformedRequest = [/^parse binary: /, /^received compressed envelope, but do not know how to decompress$/];

export function isMalformedRequestFailure(error: unknown): error is ConnectError {
  return error instanceof ConnectError && error.code === Code.Internal &&
    malformedRequest.some((pattern) => pattern.test(error.rawMessage));
}

/** Makes a failure to decode this call's request an invalid_argument. */
export function answerMalformedRequestsAsInvalid(context: HandlerContext): void {
  const signal = context.signal;
  signal.addEventListener(
    "abort",
    () => {
      const reason: unknown = signal.reason;
      if (!isMalformedRequestFailure(reason)) return;
      (reason as { code: Code }).code = Code.InvalidArgument;
      reason.message = `[invalid_argument] ${reason.rawMessage}`;
    },
    { once: true },
  );
}
