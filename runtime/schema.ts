// The runtime's door for declaring custom kinds' schemas: TypeBox's builder, the runtime's own
// copy, so schemas and customKind() agree. A door of its own because TypeBox's builder costs a
// process about 20 MiB of resident memory (Node 24: 42.7 → 63.0 MiB for \`import("typebox/type")\`):
// only programs that declare kinds load it.
export { type Static, type TObject, type TProperties, type TSchema, type TUnsafe, Type } from "./schema/typebox.ts";
export { customKind, IntOrString, PreserveUnknown } from "./schema/kind.ts";
