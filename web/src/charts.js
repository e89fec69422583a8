// charts.js: the lead console's charts, drawn by uPlot (an npm package,
// pinned by web/package-lock.json; its licence is assets/uPlot.LICENSE.txt).
// A chart is a <figure>: its caption, the plot (a canvas uPlot draws), and
// the same figures as a table for whoever does not see the canvas. uPlot
// styles its elements through the CSSOM (element.style), which the pages'
// Content-Security-Policy (style-src 'self') allows; it sets no style
// attribute from markup.
import uPlot from './uPlot.js';
import { h } from './dom.js';
import { lang } from './i18n.js';

// Colours with at least 3:1 contrast on white, told apart by dash as well.
const COLOURS = ['#0b5cad', '#a3231b', '#1d6b34', '#8a5300', '#6b2fa3', '#00707a'];
const DASHES = [[], [6, 4], [2, 3], [10, 3, 2, 3], [1, 5], [8, 8]];
const HALF_WEEK = 3.5 * 86400; // each week's point in the middle of its span, none on the edge

function dayLabel(seconds) {
  return new Intl.DateTimeFormat(lang() === 'nb' ? 'nb-NO' : 'en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(
    new Date(seconds * 1000),
  );
}

// chart({caption, x, series: [{label, values, bars?}], unit, format}): x are
// the weeks' starts in seconds since the epoch; values hold null where there
// is no figure. Answers {el, draw}: draw() once el is in the document.
export function chart({ caption, x, series, unit, format = (v) => String(v) }) {
  const plot = h('div', { class: 'plot' });
  const cell = (v) => (v === null || v === undefined ? '–' : format(v));
  const table = h(
    'table',
    { class: 'chart-data' },
    h('caption', { class: 'sr-only' }, caption),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, unit.week), series.map((s) => h('th', { scope: 'col' }, s.label)))),
    h('tbody', {}, x.map((at, i) => h('tr', {}, h('th', { scope: 'row' }, dayLabel(at)), series.map((s) => h('td', {}, cell(s.values[i])))))),
  );
  const points = series.reduce((n, s) => n + s.values.filter((v) => v !== null && v !== undefined).length, 0);
  const el = h(
    'figure',
    { class: 'chart', 'data-points': points },
    h('figcaption', {}, caption),
    plot,
    h('details', {}, h('summary', {}, unit.table), table),
  );
  const draw = () => {
    const width = Math.max(320, Math.min(plot.clientWidth || 760, 960));
    const opts = {
      width,
      height: 220,
      scales: { x: { time: true, range: (u, min, max) => [min - HALF_WEEK, max + HALF_WEEK] }, y: { range: (u, min, max) => [Math.min(0, min ?? 0), Math.max(max ?? 1, unit.yMin ?? 1)] } },
      axes: [
        { values: (u, splits) => splits.map(dayLabel), stroke: '#1b1f24', grid: { stroke: '#e3e7ec' } },
        { label: unit.y, stroke: '#1b1f24', grid: { stroke: '#e3e7ec' }, size: 60 },
      ],
      legend: { live: false },
      cursor: { show: false },
      series: [
        { label: unit.week },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: COLOURS[i % COLOURS.length],
          dash: s.bars ? undefined : DASHES[i % DASHES.length],
          width: 2,
          fill: s.bars ? `${COLOURS[i % COLOURS.length]}80` : undefined,
          paths: s.bars ? uPlot.paths.bars({ size: [0.5, 60] }) : undefined,
          points: { show: true, size: 6 },
          spanGaps: false,
          value: (u, v) => cell(v),
        })),
      ],
    };
    return new uPlot(opts, [x, ...series.map((s) => s.values)], plot);
  };
  return { el, draw };
}
