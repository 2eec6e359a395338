// The error of a CompositeController or DecoratorController that cannot run as written: its
// message names the field, and the resource says it in its Ready condition until it is edited.
export class MetacontrollerSpecError extends Error {}
