// TypeBox as the runtime offers it: the schema builder (`Type`, from the schema door) and the
// TypeBox types the runtime's own API names. Each type here is TypeBox's own, reached through
// the builder's signatures rather than copied, so it is the very type TypeBox declares. They
// are declared here instead of re-exported from "typebox" so that the API reference documents
// them in the runtime's words and `deno doc --lint` does not take in TypeBox's declarations
// (some of TypeBox's namespace members carry no JSDoc). Importing a value from this file loads
// TypeBox's builder (about 20 MiB of resident memory): only the schema door does; every other
// file imports its types only.
import { Type as TypeBox } from "typebox";

export type { Static } from "typebox";

/**
 * TypeBox's schema builder, the same object as the `typebox` package's `Type`: `Type.Object`,
 * `Type.String`, `Type.Integer`, `Type.Optional`, `Type.Union`, `Type.Literal` and the rest
 * build JSON Schema objects that also carry a TypeScript type. Give them to `customKind()` as a
 * kind's spec and status; `crdOf()` (manifests door) turns them into the CRD's structural
 * schema, and refuses, with a `SchemaError`, what a CRD cannot hold. TypeBox's own
 * documentation (https://github.com/sinclairzx81/typebox) lists every builder and option.
 */
export const Type: typeof TypeBox = TypeBox;

/**
 * The TypeBox types that can be named through `Type` in type positions, so that
 * `Type.Static<typeof schema>` works as TypeBox's documentation writes it. Only these four are
 * here; TypeBox's other types are in the `typebox` package itself.
 */
export declare namespace Type {
  /** The TypeScript type a schema describes, as in `Type.Static<typeof spec>`; the same as `Static`. */
  export type Static<T extends TSchema> = import("typebox").Static<T>;
  /** Any TypeBox schema; the same as the top-level `TSchema`. */
  export type TSchema = Parameters<typeof TypeBox.Unsafe>[0];
  /** An object schema made by `Type.Object(properties)`; the same as the top-level `TObject`. */
  export type TObject<P extends TProperties = TProperties> = ReturnType<typeof TypeBox.Object<P>>;
  /** A schema TypeBox does not interpret, typed as `T`; the same as the top-level `TUnsafe`. */
  export type TUnsafe<T = unknown> = ReturnType<typeof TypeBox.Unsafe<T>>;
}

// The types below are spelled through the builder's signatures (the schema Type.Unsafe takes,
// what Type.Object returns) so that they are TypeBox's own types, not look-alikes.

/**
 * Any TypeBox schema (TypeBox's `TSchema`): what `customKind()` accepts as a spec or status
 * schema, and what `Static` takes. At run time a schema is a plain JSON Schema object; the type
 * only carries what `Static` reads.
 */
export type TSchema = Parameters<typeof TypeBox.Unsafe>[0];

/**
 * The properties of an object schema (TypeBox's `TProperties`): each property's name and its
 * schema, as passed to `Type.Object({ ... })`. A property wrapped in `Type.Optional` is left out
 * of the object's `required` list.
 */
export type TProperties = Parameters<typeof TypeBox.Object>[0];

/**
 * An object schema made by `Type.Object(properties)` (TypeBox's `TObject`), with the schemas of
 * its properties in `P`. A kind's spec and status schemas must be objects.
 */
export type TObject<P extends TProperties = TProperties> = ReturnType<typeof TypeBox.Object<P>>;

/**
 * A schema TypeBox does not interpret, whose TypeScript type is `T` (TypeBox's `TUnsafe`, made
 * by `Type.Unsafe<T>(schema)`): how OpenAPI written by hand gets a type. `IntOrString()` and
 * `PreserveUnknown()` return one.
 */
export type TUnsafe<T = unknown> = ReturnType<typeof TypeBox.Unsafe<T>>;
