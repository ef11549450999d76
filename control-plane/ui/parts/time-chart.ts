// A uPlot time-series chart. uPlot draws on a canvas and sets its sizes through the DOM's style
// properties, which the dashboard's Content-Security-Policy (style-src 'self') allows. The chart is
// made once and given new data on each render; a text summary beside it is what a screen reader reads.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { html } from '../html.js';

export interface ChartSeries { readonly label: string; readonly values: readonly number[]; readonly color: string; readonly scale?: string }

export function TimeChart(props: { title: string; times: readonly number[]; series: readonly ChartSeries[]; summary: string; height?: number; yRange?: [number, number] }) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const shape = props.series.map((s) => `${s.label}/${s.scale ?? 'y'}`).join(',');
  useEffect(() => {
    const el = box.current!;
    const made = new uPlot({
      width: Math.max(320, el.clientWidth || 600),
      height: props.height ?? 200,
      series: [{}, ...props.series.map((s) => ({ label: s.label, stroke: s.color, width: 2, scale: s.scale ?? 'y' }))],
      axes: [{}, { scale: props.series[0]?.scale ?? 'y' }],
      scales: {
        // One sample has no span: show the minute before it rather than uPlot's years around it.
        x: { time: true, range: (_u, min, max) => (min === max ? [min - 60, max + 1] : [min, max]) },
        ...(props.yRange === undefined ? {} : { [props.series[0]?.scale ?? 'y']: { range: props.yRange } }),
      },
      legend: { show: true },
    }, [[...props.times], ...props.series.map((s) => [...s.values])] as uPlot.AlignedData, el);
    chart.current = made;
    const resize = new ResizeObserver(() => made.setSize({ width: Math.max(320, el.clientWidth), height: props.height ?? 200 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      made.destroy();
      chart.current = null;
    };
  }, [shape]);
  useEffect(() => {
    chart.current?.setData([[...props.times], ...props.series.map((s) => [...s.values])] as uPlot.AlignedData);
  });
  return html`
    <figure class="chart">
      <figcaption>${props.title}</figcaption>
      <div ref=${box} class="chart-canvas" aria-hidden="true"></div>
      <p class="chart-summary">${props.summary}</p>
    </figure>`;
}
