/** One bar group: a label and its values, one per series. */
export interface BarGroup {
  label: string;
  values: number[];
}

const COLORS = ['#8d99ae', '#2a9d8f', '#e76f51', '#264653'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** A grouped bar chart as a standalone SVG document, with the values printed on the bars. */
export function barChart(opts: { title: string; unit: string; series: string[]; groups: BarGroup[]; note?: string }): string {
  const width = 760;
  const height = 380;
  const left = 70;
  const top = 60;
  const bottom = 60;
  const plotH = height - top - bottom;
  const max = Math.max(...opts.groups.flatMap((g) => g.values), 1);
  const groupW = (width - left - 20) / opts.groups.length;
  const barW = Math.min(60, (groupW - 30) / opts.series.length);
  const parts: string[] = [];
  parts.push(`<text x="${width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${esc(opts.title)}</text>`);
  opts.series.forEach((name, i) => {
    const x = left + i * 200;
    parts.push(`<rect x="${x}" y="36" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/><text x="${x + 18}" y="46" font-size="12">${esc(name)}</text>`);
  });
  for (let t = 0; t <= 4; t++) {
    const y = top + plotH - (plotH * t) / 4;
    parts.push(`<line x1="${left}" x2="${width - 20}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${left - 6}" y="${y + 4}" text-anchor="end" font-size="11">${Math.round((max * t) / 4).toLocaleString('en')}</text>`);
  }
  parts.push(`<text x="16" y="${top + plotH / 2}" font-size="12" transform="rotate(-90 16 ${top + plotH / 2})" text-anchor="middle">${esc(opts.unit)}</text>`);
  opts.groups.forEach((g, gi) => {
    const gx = left + gi * groupW + (groupW - barW * g.values.length) / 2;
    g.values.forEach((v, i) => {
      const h = (plotH * v) / max;
      const x = gx + i * barW;
      const y = top + plotH - h;
      parts.push(`<rect x="${x}" y="${y}" width="${barW - 4}" height="${h}" fill="${COLORS[i % COLORS.length]}"/>`);
      parts.push(`<text x="${x + (barW - 4) / 2}" y="${y - 4}" text-anchor="middle" font-size="10">${Math.round(v).toLocaleString('en')}</text>`);
    });
    parts.push(`<text x="${left + gi * groupW + groupW / 2}" y="${top + plotH + 20}" text-anchor="middle" font-size="13">${esc(g.label)}</text>`);
  });
  if (opts.note) parts.push(`<text x="${width / 2}" y="${height - 12}" text-anchor="middle" font-size="11" fill="#555">${esc(opts.note)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" viewBox="0 0 ${width} ${height}"><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>\n`;
}
