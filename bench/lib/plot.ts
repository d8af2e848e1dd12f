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

/** One line of a line chart: one value per x label (NaN leaves a gap), on the left or the right axis. */
export interface LineSeries {
  name: string;
  values: number[];
  axis: 'left' | 'right';
  dashed?: boolean;
}

/** A line chart over labelled x points, with a linear left axis and a linear or logarithmic right axis, as a standalone SVG document. */
export function lineChart(opts: { title: string; xLabel: string; labels: string[]; left: { unit: string }; right: { unit: string; log?: boolean }; series: LineSeries[]; note?: string }): string {
  const width = 760;
  const height = 400;
  const left = 70;
  const right = 80;
  const top = 64;
  const bottom = 70;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const finite = (axis: 'left' | 'right') => opts.series.filter((s) => s.axis === axis).flatMap((s) => s.values).filter((v) => Number.isFinite(v) && (!opts.right.log || axis === 'left' || v > 0));
  const rawStep = (Math.max(...finite('left'), 1) * 1.05) / 4;
  const magnitude = 10 ** Math.floor(Math.log10(rawStep));
  const leftMax = 4 * magnitude * ([1, 2, 2.5, 5, 10].find((m) => m * magnitude >= rawStep) ?? 10);
  const rightValues = finite('right');
  const log = opts.right.log === true;
  const rMin = log ? 10 ** Math.floor(Math.log10(Math.min(...rightValues, 10))) : 0;
  const rMax = log ? 10 ** Math.ceil(Math.log10(Math.max(...rightValues, rMin * 10))) : Math.max(...rightValues, 1) * 1.1;
  const x = (i: number) => left + (opts.labels.length === 1 ? plotW / 2 : (plotW * i) / (opts.labels.length - 1));
  const yLeft = (v: number) => top + plotH - (plotH * v) / leftMax;
  const yRight = (v: number) => (log ? top + plotH - (plotH * (Math.log10(v) - Math.log10(rMin))) / (Math.log10(rMax) - Math.log10(rMin)) : top + plotH - (plotH * v) / rMax);
  const fmt = (v: number) => (v >= 100 ? Math.round(v).toLocaleString('en') : String(Math.round(v * 10) / 10));
  const parts: string[] = [];
  parts.push(`<text x="${width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${esc(opts.title)}</text>`);
  opts.series.forEach((s, i) => {
    const lx = left + i * 170;
    parts.push(`<line x1="${lx}" x2="${lx + 18}" y1="42" y2="42" stroke="${COLORS[(i + 1) % COLORS.length]}" stroke-width="3"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/><text x="${lx + 24}" y="46" font-size="12">${esc(s.name)}</text>`);
  });
  for (let t = 0; t <= 4; t++) {
    const y = top + plotH - (plotH * t) / 4;
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${left - 6}" y="${y + 4}" text-anchor="end" font-size="11">${fmt((leftMax * t) / 4)}</text>`);
  }
  const rTicks = log ? Array.from({ length: Math.round(Math.log10(rMax / rMin)) + 1 }, (_, k) => rMin * 10 ** k) : [0, 1, 2, 3, 4].map((t) => (rMax * t) / 4);
  for (const v of rTicks) parts.push(`<text x="${left + plotW + 6}" y="${yRight(v) + 4}" font-size="11">${fmt(v)}</text>`);
  parts.push(`<text x="16" y="${top + plotH / 2}" font-size="12" transform="rotate(-90 16 ${top + plotH / 2})" text-anchor="middle">${esc(opts.left.unit)}</text>`);
  parts.push(`<text x="${width - 14}" y="${top + plotH / 2}" font-size="12" transform="rotate(90 ${width - 14} ${top + plotH / 2})" text-anchor="middle">${esc(opts.right.unit)}${log ? ' (log scale)' : ''}</text>`);
  opts.labels.forEach((label, i) => parts.push(`<text x="${x(i)}" y="${top + plotH + 18}" text-anchor="middle" font-size="12">${esc(label)}</text>`));
  parts.push(`<text x="${left + plotW / 2}" y="${top + plotH + 38}" text-anchor="middle" font-size="12">${esc(opts.xLabel)}</text>`);
  opts.series.forEach((s, i) => {
    const color = COLORS[(i + 1) % COLORS.length];
    const y = s.axis === 'left' ? yLeft : yRight;
    const points = s.values.map((v, k) => ({ v, k })).filter(({ v }) => Number.isFinite(v) && (s.axis === 'left' || !log || v > 0));
    if (points.length > 1) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="5 3"' : ''} points="${points.map(({ v, k }) => `${x(k)},${y(v)}`).join(' ')}"/>`);
    for (const { v, k } of points) {
      parts.push(`<circle cx="${x(k)}" cy="${y(v)}" r="3.5" fill="${color}"/>`);
      if (!s.dashed) parts.push(`<text x="${x(k)}" y="${s.axis === 'left' ? y(v) + 16 : y(v) - 8}" text-anchor="${k === s.values.length - 1 ? 'end' : 'middle'}" font-size="10" fill="${color}">${fmt(v)}</text>`);
    }
  });
  if (opts.note) parts.push(`<text x="${width / 2}" y="${height - 10}" text-anchor="middle" font-size="11" fill="#555">${esc(opts.note)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" viewBox="0 0 ${width} ${height}"><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>\n`;
}
