import { quartiles } from './spread.js';

/** A table cell: `value` with `digits` decimals, right-aligned in `width` characters; `–` when it is not a number. */
export function cell(value: number, digits = 1, width = 9): string {
  return (Number.isFinite(value) ? value.toFixed(digits) : '–').padStart(width);
}

/** The first quartile, median and third quartile of `values`, a cell each. */
export function quartileCells(values: readonly number[], digits: number, width: number): string {
  return quartiles(values)
    .map((value) => cell(value, digits, width))
    .join('');
}
