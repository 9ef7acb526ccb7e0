/** The load test's figures as a two-column table. */
export function printTable(title: string, rows: [string, string | number][]): void {
  const w = Math.max(...rows.map(([k]) => k.length));
  console.log(`\n${title}`);
  console.log("-".repeat(w + 2 + Math.max(...rows.map(([, v]) => String(v).length))));
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
}

export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
export const ms = (x: number) => `${Math.round(x)} ms`;
