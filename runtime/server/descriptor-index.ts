// What server reflection answers from: the files that define the registered services and
// everything they import, by file name and by every fully qualified symbol they define
// (services, methods, messages, fields, oneofs, enums, enum values, extensions). Pure.
import {
  type DescEnum,
  type DescExtension,
  type DescFile,
  type DescMessage,
  type DescService,
  toBinary,
} from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";

export class DescriptorIndex {
  readonly #files = new Map<string, DescFile>();
  readonly #symbols = new Map<string, DescFile>();
  readonly #extensions = new Map<string, DescExtension[]>();
  readonly #encoded = new Map<string, Uint8Array>();
  readonly #messageNames = new Set<string>();

  /** `types`: more types whose files to serve, e.g. those that may appear in google.protobuf.Any fields. */
  constructor(services: Iterable<DescService>, types: Iterable<{ file: DescFile }> = []) {
    for (const service of services) this.#addFile(service.file);
    for (const type of types) this.#addFile(type.file);
  }

  /** The file of that name ("example/v1/website.proto"). */
  file(name: string): DescFile | undefined {
    return this.#files.get(name);
  }

  /** The file that defines a fully qualified symbol. */
  fileOfSymbol(symbol: string): DescFile | undefined {
    return this.#symbols.get(symbol.replace(/^\./, ""));
  }

  /** The extensions of a message type that these files define. */
  extensionsOf(typeName: string): DescExtension[] {
    return this.#extensions.get(typeName.replace(/^\./, "")) ?? [];
  }

  /** Whether the message type is defined here (extension queries about others are NOT_FOUND). */
  hasMessage(typeName: string): boolean {
    return this.#messageNames.has(typeName.replace(/^\./, ""));
  }

  /**
   * The serialized FileDescriptorProto of `file` and of its imports, breadth-first. `file`
   * always comes first; an import already in `sent` is left out, and each one sent is added.
   */
  withImports(file: DescFile, sent: Set<string>): Uint8Array[] {
    const out: Uint8Array[] = [];
    const queue = [file];
    const visited = new Set<string>();
    for (let next = queue.shift(); next; next = queue.shift()) {
      const name = next.proto.name;
      if (visited.has(name)) continue;
      visited.add(name);
      if (out.length === 0 || !sent.has(name)) {
        out.push(this.#encode(next));
        sent.add(name);
      }
      queue.push(...next.dependencies);
    }
    return out;
  }

  #encode(file: DescFile): Uint8Array {
    let bytes = this.#encoded.get(file.proto.name);
    if (!bytes) this.#encoded.set(file.proto.name, bytes = toBinary(FileDescriptorProtoSchema, file.proto));
    return bytes;
  }

  #addFile(file: DescFile): void {
    if (this.#files.has(file.proto.name)) return;
    this.#files.set(file.proto.name, file);
    const define = (name: string) => void this.#symbols.set(name, file);
    const scope = file.proto.package;
    for (const message of file.messages) this.#addMessage(message, define);
    for (const en of file.enums) this.#addEnum(en, scope, define);
    for (const extension of file.extensions) this.#addExtension(extension, define);
    for (const service of file.services) {
      define(service.typeName);
      for (const method of service.methods) define(`${service.typeName}.${method.name}`);
    }
    for (const dependency of file.dependencies) this.#addFile(dependency);
  }

  #addMessage(message: DescMessage, define: (name: string) => void): void {
    define(message.typeName);
    this.#messageNames.add(message.typeName);
    for (const field of message.fields) define(`${message.typeName}.${field.name}`);
    for (const oneof of message.oneofs) define(`${message.typeName}.${oneof.name}`);
    for (const nested of message.nestedMessages) this.#addMessage(nested, define);
    for (const en of message.nestedEnums) this.#addEnum(en, message.typeName, define);
    for (const extension of message.nestedExtensions) this.#addExtension(extension, define);
  }

  /** Enum values are scoped beside their enum, as protobuf has it. */
  #addEnum(en: DescEnum, scope: string, define: (name: string) => void): void {
    define(en.typeName);
    for (const value of en.values) define(scope ? `${scope}.${value.name}` : value.name);
  }

  #addExtension(extension: DescExtension, define: (name: string) => void): void {
    define(extension.typeName);
    const extendee = extension.extendee.typeName;
    this.#extensions.set(extendee, [...(this.#extensions.get(extendee) ?? []), extension]);
  }
}
