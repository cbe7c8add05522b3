// An exception: type and value, then its frames most recent first with source context,
// an in-app / full toggle and a raw (plain text) view.
import { useState } from 'preact/hooks';
import { framesFor, rawStacktrace } from '../lib/eventview.js';

export function Exception({ exc }) {
    const [inAppOnly, setInAppOnly] = useState(true);
    const [raw, setRaw] = useState(false);
    const { frames, hidden } = framesFor(exc.stacktrace, inAppOnly);
    return (
        <section class="card section exception" aria-label="Exception">
            <div class="sectionhead">
                <h2>
                    <span class="exctype">{exc.type}</span>
                </h2>
                <div class="btngroup" role="group" aria-label="Stack trace view">
                    <button type="button" class="btn small" aria-pressed={inAppOnly && !raw} onClick={() => (setInAppOnly(true), setRaw(false))}>
                        In app
                    </button>
                    <button type="button" class="btn small" aria-pressed={!inAppOnly && !raw} onClick={() => (setInAppOnly(false), setRaw(false))}>
                        Full
                    </button>
                    <button type="button" class="btn small" aria-pressed={raw} onClick={() => setRaw(!raw)}>
                        Raw
                    </button>
                </div>
            </div>
            {exc.value && <p class="excvalue">{exc.value}</p>}
            {exc.mechanism && (
                <p class="muted small">
                    mechanism: {exc.mechanism.type}
                    {exc.mechanism.handled === false ? ' · unhandled' : ''}
                </p>
            )}
            {raw ? (
                <pre class="code">{rawStacktrace(exc)}</pre>
            ) : (
                <ol class="frames" aria-label="Stack frames, most recent first">
                    {frames.map((f, i) => (
                        <Frame key={f.key} frame={f} open={i === 0 || (f.inApp && i < 3)} />
                    ))}
                    {hidden > 0 && (
                        <li class="muted small hiddenframes">
                            {hidden} system frame{hidden > 1 ? 's' : ''} hidden —{' '}
                            <button type="button" class="btn link" onClick={() => setInAppOnly(false)}>
                                show all
                            </button>
                        </li>
                    )}
                </ol>
            )}
        </section>
    );
}

function Frame({ frame, open }) {
    const [expanded, setExpanded] = useState(open);
    const hasCtx = frame.context.length > 0 || frame.vars.length > 0;
    return (
        <li class={`frame${frame.inApp ? ' inapp' : ''}`}>
            <button type="button" class="framehead" aria-expanded={hasCtx ? expanded : undefined} onClick={() => hasCtx && setExpanded(!expanded)}>
                <span class="fname">{frame.filename}</span>
                <span class="muted"> in </span>
                <span class="ffunc">{frame.function}</span>
                {frame.lineNo !== null && (
                    <span class="muted">
                        {' '}
                        at line {frame.lineNo}
                        {frame.colNo !== null ? `:${frame.colNo}` : ''}
                    </span>
                )}
                {!frame.inApp && <span class="badge small">system</span>}
            </button>
            {expanded && frame.context.length > 0 && (
                <ol class="context" aria-label="Source context">
                    {frame.context.map((c) => (
                        <li key={c.lineNo} class={c.current ? 'current' : ''}>
                            <span class="ln">{c.lineNo}</span>
                            <code>{c.line}</code>
                        </li>
                    ))}
                </ol>
            )}
            {expanded && frame.vars.length > 0 && (
                <table class="kv vars">
                    <tbody>
                        {frame.vars.map(([k, v]) => (
                            <tr key={k}>
                                <th scope="row">{k}</th>
                                <td class="mono">{v}</td>
                            </tr>
                        ))}
                    </tbody>
                </table>
            )}
        </li>
    );
}
