/**
 * Go's text/tabwriter (with the RememberWidths flag of github.com/liggitt/tabwriter, which kubectl
 * uses), so tables and `describe` align exactly as kubectl's do.
 *
 * Text is cut into cells at tabs; a column block is a run of consecutive lines that have a cell in
 * that column, and every cell of a block is padded to the widest one plus `padding` (at least
 * `minWidth`). The text after a line's last tab is not a cell and is never padded. A line without
 * any tab ends every block (Go flushes there).
 */
interface Cell {
  text: string;
  /** Width in characters (Go counts runes). */
  width: number;
}

export interface TabWriterOptions {
  minWidth: number;
  padding: number;
  /** Keep the widest width of each column across flushes (kubectl get --watch). */
  rememberWidths?: boolean;
}

function runeCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export class TabWriter {
  private lines: Cell[][] = [[]];
  private cell = '';
  private widths: number[] = [];
  private maxWidths: number[] = [];
  private output = '';

  constructor(
    private readonly sink: (text: string) => void,
    private readonly opts: TabWriterOptions,
  ) {}

  /** kubectl's table writer: minwidth 6, padding 3, remembered widths. */
  static forTables(sink: (text: string) => void): TabWriter {
    return new TabWriter(sink, { minWidth: 6, padding: 3, rememberWidths: true });
  }

  /** kubectl describe's writer: minwidth 0, padding 2. */
  static forDescribe(sink: (text: string) => void): TabWriter {
    return new TabWriter(sink, { minWidth: 0, padding: 2 });
  }

  write(text: string): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch !== '\t' && ch !== '\n') continue;
      this.cell += text.slice(start, i);
      start = i + 1;
      const line = this.currentLine();
      line.push({ text: this.cell, width: runeCount(this.cell) });
      this.cell = '';
      if (ch === '\n') {
        const cells = line.length;
        this.lines.push([]);
        // A line of one cell cannot affect the alignment of what follows: flush (as Go does).
        if (cells === 1) this.flushInternal();
      }
    }
    this.cell += text.slice(start);
  }

  /** Formats and emits everything buffered. */
  flush(): void {
    if (this.cell.length > 0) {
      this.currentLine().push({ text: this.cell, width: runeCount(this.cell) });
      this.cell = '';
    }
    this.flushInternal();
  }

  /** Forgets the remembered widths (a new table starts). */
  resetRememberedWidths(): void {
    this.maxWidths = [];
  }

  private currentLine(): Cell[] {
    return this.lines[this.lines.length - 1] as Cell[];
  }

  private flushInternal(): void {
    this.format(0, this.lines.length);
    this.lines = [[]];
    this.widths = [];
    if (this.output) {
      const out = this.output;
      this.output = '';
      this.sink(out);
    }
  }

  private format(line0: number, line1: number): void {
    const column = this.widths.length;
    for (let i = line0; i < line1; i++) {
      const line = this.lines[i] as Cell[];
      if (column >= line.length - 1) continue;
      // A cell in this column: lines before it are printed with the widths known so far.
      this.writeLines(line0, i);
      line0 = i;
      let width = this.opts.minWidth;
      for (; i < line1; i++) {
        const l = this.lines[i] as Cell[];
        if (column >= l.length - 1) break;
        const w = (l[column] as Cell).width + this.opts.padding;
        if (w > width) width = w;
      }
      if (this.opts.rememberWidths) {
        if (this.maxWidths.length < this.widths.length) this.maxWidths.push(...this.widths.slice(this.maxWidths.length));
        const remembered = this.maxWidths[this.widths.length];
        if (remembered === undefined) this.maxWidths.push(width);
        else if (remembered > width) width = remembered;
        else if (remembered < width) this.maxWidths[this.widths.length] = width;
      }
      this.widths.push(width);
      this.format(line0, i);
      this.widths.pop();
      line0 = i;
      i--; // the outer loop's i++ must look at line `i` again
    }
    this.writeLines(line0, line1);
  }

  private writeLines(line0: number, line1: number): void {
    for (let i = line0; i < line1; i++) {
      const line = this.lines[i] as Cell[];
      line.forEach((c, j) => {
        this.output += c.text;
        const w = this.widths[j];
        if (w !== undefined) this.output += ' '.repeat(Math.max(0, w - c.width));
      });
      if (i + 1 < this.lines.length) this.output += '\n';
    }
  }
}

/** Formats text through a TabWriter at once. */
export function tabulate(text: string, opts: TabWriterOptions): string {
  let out = '';
  const w = new TabWriter((s) => (out += s), opts);
  w.write(text);
  w.flush();
  return out;
}
