import { TabWriter, tabulate } from './tabwriter';

describe('TabWriter (Go text/tabwriter)', () => {
  test('kubectl tables: columns padded to the widest cell + 3, at least 6; the last column is not padded', () => {
    expect(tabulate('NAME\tREADY\tAGE\nweb-1\t1/1\t5s\nx\t0/1\t10m\n', { minWidth: 6, padding: 3 })).toBe(
      'NAME    READY   AGE\n' + //
        'web-1   1/1     5s\n' +
        'x       0/1     10m\n',
    );
    expect(tabulate('A\tB\nc\td\n', { minWidth: 6, padding: 3 })).toBe('A     B\nc     d\n');
  });

  test('describe: a line without a tab ends the alignment block', () => {
    const text = 'Name:\tweb\nNamespace:\tdefault\nIPs:\n  IP:\t10.0.0.1\nControlled By:\tReplicaSet/web\n';
    expect(tabulate(text, { minWidth: 0, padding: 2 })).toBe(
      'Name:       web\n' + //
        'Namespace:  default\n' +
        'IPs:\n' +
        '  IP:           10.0.0.1\n' +
        'Controlled By:  ReplicaSet/web\n',
    );
  });

  test('a column block only spans the lines that have that column', () => {
    const text = 'a\tb\tc\naa\tb\nx\ty\tzz\tw\n';
    // Column 1 of line 1 ends its block (line 2 has no tab after "b"), so lines 1 and 3 align separately there.
    expect(tabulate(text, { minWidth: 0, padding: 1 })).toBe('a  b c\naa b\nx  y zz w\n');
  });

  test('remembered widths keep later rows aligned with earlier ones (kubectl get --watch)', () => {
    let out = '';
    const w = new TabWriter((s) => (out += s), { minWidth: 6, padding: 3, rememberWidths: true });
    w.write('NAME\tSTATUS\n');
    w.write('web-abcdef\tRunning\n');
    w.flush();
    w.write('w\tPending\n');
    w.flush();
    expect(out).toBe('NAME         STATUS\nweb-abcdef   Running\nw            Pending\n');
  });

  test('text after the last newline is kept, unpadded', () => {
    expect(tabulate('a\tb\nrest', { minWidth: 0, padding: 1 })).toBe('a b\nrest');
  });
});
