// Connect-ES answers a request body that is not valid protobuf with code internal ("parse
// binary: illegal tag ..."), which Connect sends as HTTP 500. A malformed request is the
// caller's fault: it is answered invalid_argument (HTTP 400), as connect-go does, so that
// internal keeps meaning a bug in the server.
//
// Connect aborts each call's signal with the error just before it writes the error out, on
// every protocol, so a listener on that signal reclassifies it in time.
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";

/** The prefix Connect-ES gives errors from decoding a request message. */
const parseFailure = "parse binary:";

export function isRequestParseFailure(error: unknown): error is ConnectError {
  return error instanceof ConnectError && error.code === Code.Internal && error.rawMessage.startsWith(parseFailure);
}

/** Makes a failure to decode this call's request an invalid_argument. */
export function answerParseFailuresAsInvalid(context: HandlerContext): void {
  const signal = context.signal;
  signal.addEventListener(
    "abort",
    () => {
      const reason: unknown = signal.reason;
      if (!isRequestParseFailure(reason)) return;
      (reason as { code: Code }).code = Code.InvalidArgument;
      reason.message = `[invalid_argument] ${reason.rawMessage}`;
    },
    { once: true },
  );
}
