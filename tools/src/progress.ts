/** A progress line for long work: redrawn in place on a terminal, every tenth step in a log. */
export function progress(label: string, total: number, out: NodeJS.WriteStream = process.stderr): (done: number) => void {
  const width = 24;
  let lastLogged = -1;
  return (done) => {
    const ratio = total === 0 ? 1 : done / total;
    if (out.isTTY) {
      const filled = Math.round(ratio * width);
      out.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${done === total ? '\n' : ''}`);
    } else {
      const tenth = Math.floor(ratio * 10);
      if (tenth !== lastLogged || done === total) {
        lastLogged = tenth;
        out.write(`${label}: ${done}/${total}\n`);
      }
    }
  };
}
