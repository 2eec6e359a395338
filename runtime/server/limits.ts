// How much one client may ask of the server: the size of a message, of a request's headers,
// and the number of streams open at once on one HTTP/2 connection. Every RPC protocol (gRPC,
// gRPC-Web, Connect) refuses a message over the limit with RESOURCE_EXHAUSTED as soon as its
// declared length is known (the Content-Length of a Connect unary call, the 5-byte envelope
// prefix otherwise), before the message is read.

import { defaultMaxConcurrentStreams, defaultMaxHeaderBytes, defaultMaxMessageBytes } from "../defaults.ts";

export interface ServerLimits {
  maxMessageBytes: number;
  maxHeaderBytes: number;
  maxConcurrentStreams: number;
}

/** Header fields one HTTP/2 request may carry (Node's default). */
export const maxHeaderPairs = 128;

export const defaultLimits: ServerLimits = {
  maxMessageBytes: defaultMaxMessageBytes,
  maxHeaderBytes: defaultMaxHeaderBytes,
  maxConcurrentStreams: defaultMaxConcurrentStreams,
};
