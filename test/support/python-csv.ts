// An independent reader of the files sink's CSV: Python's own csv module (strict RFC 4180
// dialect), not tipstream's writer read backwards. Python 3 is a requirement of tipstream already.
import { spawnSync } from 'node:child_process';

const script = `
import csv, json, sys
out = {}
for path in sys.argv[1:]:
    with open(path, newline='', encoding='utf-8') as f:
        rows = list(csv.reader(f, strict=True))
    out[path] = {'header': rows[0] if rows else [], 'rows': [dict(zip(rows[0], r)) for r in rows[1:]], 'widths': sorted({len(r) for r in rows})}
json.dump(out, sys.stdout)
`;

export interface PythonCsvFile {
  header: string[];
  /** Each record by column name, every value a string as Python read it. */
  rows: Array<Record<string, string>>;
  /** The distinct field counts of all records, header included: one value for a well-formed file. */
  widths: number[];
}

export function readCsvWithPython(paths: string[]): Record<string, PythonCsvFile> {
  const result = spawnSync('python3', ['-c', script, ...paths], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`python3 could not read the CSV files: ${result.error?.message ?? result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, PythonCsvFile>;
}
