// gRPC server reflection, grpc.reflection.v1 and grpc.reflection.v1alpha (the same protocol;
// grpcurl and others still try v1alpha first or only): lists the registered services and
// answers with the file descriptors that define them, so that tools need no .proto files.
// Each request on the stream gets one response, in order; a file's imports are sent with it
// once per stream, as grpc-go does.
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import type { DescService, Registry } from "@bufbuild/protobuf";
import { ServerReflection as ServerReflectionV1 } from "../gen/grpc/reflection/v1/reflection_pb.ts";
import { ServerReflection as ServerReflectionV1alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.ts";
import { serviceAccess } from "../auth/rules.ts";
import { DescriptorIndex } from "./descriptor-index.ts";

/** gRPC's NOT_FOUND, the error_code of a symbol, file or extension that is not known. */
const notFound = Code.NotFound;

/** The request as both versions have it. */
interface ReflectionRequest {
  host: string;
  messageRequest:
    | { case: "fileByFilename" | "fileContainingSymbol" | "allExtensionNumbersOfType" | "listServices"; value: string }
    | { case: "fileContainingExtension"; value: { containingType: string; extensionNumber: number } }
    | { case: undefined; value?: undefined };
}

type ReflectionAnswer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "listServicesResponse"; value: { service: Array<{ name: string }> } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

/**
 * Registers both versions; `services` gives the registered services when a stream starts.
 * The files of `anyTypes` are served too, so that clients can read Any fields holding them.
 */
export function registerReflection(router: ConnectRouter, services: () => DescService[], anyTypes?: Registry): void {
  let index: DescriptorIndex | undefined;
  let indexed: DescService[] = [];
  const current = () => {
    const now = services();
    if (!index || now.length !== indexed.length) {
      [index, indexed] = [new DescriptorIndex(now, anyTypes ? [...anyTypes] : []), now];
    }
    return { index, names: now.map((service) => service.typeName).sort() };
  };
  async function* serverReflectionInfo(requests: AsyncIterable<ReflectionRequest>) {
    const { index, names } = current();
    const sent = new Set<string>();
    for await (const request of requests) {
      yield { validHost: request.host, originalRequest: request, messageResponse: answer(request, index, names, sent) };
    }
  }
  router.service(ServerReflectionV1, { serverReflectionInfo });
  router.service(ServerReflectionV1alpha, { serverReflectionInfo });
}

function answer(
  request: ReflectionRequest,
  index: DescriptorIndex,
  services: string[],
  sent: Set<string>,
): ReflectionAnswer {
  const files = (file: ReturnType<DescriptorIndex["file"]>, what: string): ReflectionAnswer =>
    file
      ? { case: "fileDescriptorResponse", value: { fileDescriptorProto: index.withImports(file, sent) } }
      : error(`${what} not found`);
  const { messageRequest: asked } = request;
  switch (asked.case) {
    case "listServices":
      return { case: "listServicesResponse", value: { service: services.map((name) => ({ name })) } };
    case "fileByFilename":
      return files(index.file(asked.value), `file ${JSON.stringify(asked.value)}`);
    case "fileContainingSymbol":
      return files(index.fileOfSymbol(asked.value), `symbol ${JSON.stringify(asked.value)}`);
    case "fileContainingExtension": {
      const { containingType, extensionNumber } = asked.value;
      const extension = index.extensionsOf(containingType).find((candidate) => candidate.number === extensionNumber);
      return files(extension?.file, `extension ${extensionNumber} of ${JSON.stringify(containingType)}`);
    }
    case "allExtensionNumbersOfType": {
      if (!index.hasMessage(asked.value)) return error(`message type ${JSON.stringify(asked.value)} not found`);
      const numbers = index.extensionsOf(asked.value).map((extension) => extension.number);
      return { case: "allExtensionNumbersResponse", value: { baseTypeName: asked.value, extensionNumber: numbers } };
    }
    default:
      throw new ConnectError(
        "the reflection request names no question (message_request is unset)",
        Code.InvalidArgument,
      );
  }
}

const error = (message: string): ReflectionAnswer => ({
  case: "errorResponse",
  value: { errorCode: notFound, errorMessage: message },
});

/** Reflection needs a valid token but no particular permission, like Kubernetes' discovery. */
export const reflectionAccess = [
  serviceAccess(ServerReflectionV1, { serverReflectionInfo: "authenticated" }),
  serviceAccess(ServerReflectionV1alpha, { serverReflectionInfo: "authenticated" }),
];
