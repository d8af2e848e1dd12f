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

/**
 * A status line for work without a known end: on a terminal, each update redraws one line in
 * place (cut to the terminal's width); in a log, an update is written as its own line at most
 * every `logEveryMs`, and `done()` writes the last one unless it was just written.
 */
export function statusLine(out: NodeJS.WriteStream = process.stderr, logEveryMs = 5000): { update(text: string): void; done(text?: string): void } {
  let last = '';
  let lastLogged = -Infinity;
  let logged = '';
  let drawn = false;
  return {
    update(text) {
      last = text;
      if (out.isTTY) {
        const width = Math.max(20, (out.columns || 120) - 1);
        out.write(`\r\x1b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
        drawn = true;
      } else if (Date.now() - lastLogged >= logEveryMs) {
        lastLogged = Date.now();
        logged = text;
        out.write(`${text}\n`);
      }
    },
    done(text = last) {
      if (out.isTTY) {
        if (text) out.write(`\r\x1b[2K${text}\n`);
        else if (drawn) out.write('\r\x1b[2K');
      } else if (text && text !== logged) out.write(`${text}\n`);
      drawn = false;
    },
  };
}
