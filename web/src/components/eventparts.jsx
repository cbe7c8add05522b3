// Parts of the event view: the breadcrumbs timeline and key/value tables.

export function KeyValues({ rows, label }) {
    if (!rows || !rows.length) return null;
    return (
        <table class="kv" aria-label={label}>
            <tbody>
                {rows.map(([k, v], i) => (
                    <tr key={i}>
                        <th scope="row">{k}</th>
                        <td class="mono">{v}</td>
                    </tr>
                ))}
            </tbody>
        </table>
    );
}

export function Breadcrumbs({ crumbs }) {
    return (
        <section class="card section" aria-label="Breadcrumbs">
            <h2>Breadcrumbs</h2>
            <ol class="crumblist">
                {crumbs.map((b) => (
                    <li key={b.key} class={`crumb lvl-${b.level.replace(/[^a-z]/g, '')}`}>
                        <span class="dot" aria-hidden="true" />
                        <span class="ccat">{b.category || b.type}</span>
                        <span class="cmsg">
                            {b.message}
                            {b.data && <span class="cdata mono">{b.data}</span>}
                        </span>
                        <span class="ctime mono">{b.time}</span>
                    </li>
                ))}
            </ol>
        </section>
    );
}
