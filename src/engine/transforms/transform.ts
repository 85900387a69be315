/** A named, pure value transform. `apply` answers TRANSFORM_FAILED for values it cannot use. */
export const TRANSFORM_FAILED: unique symbol = Symbol('transform failed');

export interface Transform {
  readonly name: string;
  readonly description: string;
  apply(value: unknown): unknown | typeof TRANSFORM_FAILED;
}
