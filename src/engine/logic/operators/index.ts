import { Operator } from '../operator';
import { varOperator, missingOperator, missingSomeOperator } from './accessors';
import { arithmeticOperators } from './arithmetic';
import { arrayOperators } from './arrays';
import { comparisonOperators } from './comparison';
import { logicalOperators } from './logical';
import { stringOperators } from './strings';

/** The allow-list. `log` and `reduce` are left out: one prints, the other is rarely worth its cost. */
export const OPERATORS: Readonly<Record<string, Operator>> = Object.freeze(
  Object.fromEntries(
    [
      varOperator,
      missingOperator,
      missingSomeOperator,
      ...comparisonOperators,
      ...logicalOperators,
      ...stringOperators,
      ...arithmeticOperators,
      ...arrayOperators,
    ].map((op) => [op.name, op]),
  ),
);

export const OPERATOR_NAMES: readonly string[] = Object.freeze(Object.keys(OPERATORS));
