import type { Paint } from './style';

export interface Column {
  readonly header: string;
  /** Numbers read best right-aligned. */
  readonly align?: 'left' | 'right';
}

/** One cell: its text, and optionally a paint applied after padding (so colour never skews widths). */
export type Cell = string | { readonly text: string; readonly paint?: Paint };

const GAP = '  ';

const textOf = (cell: Cell): string => (typeof cell === 'string' ? cell : cell.text);
/** Code points, not UTF-16 units: `≈` and `…` take one column each. */
const widthOf = (text: string): number => [...text].length;

/**
 * A plain-text table: a header, a rule of dashes, one line per row, columns
 * two spaces apart and padded to the widest cell. Cells must be single-line.
 */
export function renderTable(
  columns: readonly Column[],
  rows: readonly (readonly Cell[])[],
  header: Paint,
): string[] {
  const widths = columns.map((column, i) =>
    Math.max(widthOf(column.header), ...rows.map((row) => widthOf(textOf(row[i] ?? '')))),
  );
  const last = columns.length - 1;
  const pad = (text: string, i: number) => {
    const fill = ' '.repeat(Math.max(0, (widths[i] ?? 0) - widthOf(text)));
    if (columns[i]?.align === 'right') return fill + text;
    // No trailing spaces after the last column.
    return i === last ? text : text + fill;
  };
  const line = (cells: readonly string[]) => cells.join(GAP).replace(/ +$/, '');
  return [
    line(columns.map((column, i) => header(pad(column.header, i)))),
    line(widths.map((width) => '-'.repeat(width))),
    ...rows.map((row) =>
      line(
        columns.map((_, i) => {
          const cell = row[i] ?? '';
          const padded = pad(textOf(cell), i);
          return typeof cell === 'string' || !cell.paint ? padded : cell.paint(padded);
        }),
      ),
    ),
  ];
}
