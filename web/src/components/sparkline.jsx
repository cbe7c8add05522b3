// A tiny bar chart of event counts over time: inline SVG in currentColor (so it follows the
// theme and the text colour around it), announced as one sentence ("42 events in the last
// 24 hours"). Renders nothing without a series.
import { seriesOf, seriesTotal, sparkBars, sparkLabel } from '../lib/sparkline.js';

export function Sparkline({ stats, period = '24h', width = 80, height = 20, class: cls = '' }) {
    const points = seriesOf(stats, period);
    if (!points.length) return null;
    const bars = sparkBars(points, { width, height });
    return (
        <svg class={`sparkline ${cls}`} role="img" aria-label={sparkLabel(seriesTotal(points), period)} width={width} height={height} viewBox={`0 0 ${width} ${height}`}>
            <line class="sparkbase" x1="0" y1={height - 0.5} x2={width} y2={height - 0.5} stroke="currentColor" stroke-width="1" />
            {bars.map((b) =>
                b.h > 0 ? <rect key={b.ts} x={b.x} y={b.y} width={b.w} height={b.h} fill="currentColor" rx="0.5" /> : null,
            )}
        </svg>
    );
}
