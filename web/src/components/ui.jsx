// Small shared pieces: links that navigate without reloading, error boxes, time stamps.
import { navigate } from '../lib/router.js';
import { timeAgo } from '../lib/format.js';

export function Link({ href, children, ...rest }) {
    const onClick = (e) => {
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(href);
    };
    return (
        <a href={href} onClick={onClick} {...rest}>
            {children}
        </a>
    );
}

export function ErrorBox({ error }) {
    if (!error) return null;
    return (
        <div class="error" role="alert">
            {String(error.message || error)}
        </div>
    );
}

export function Time({ iso }) {
    if (!iso) return <span class="muted">—</span>;
    return (
        <time dateTime={iso} title={new Date(iso).toLocaleString()}>
            {timeAgo(iso)}
        </time>
    );
}

export function Field({ label, id, hint, ...input }) {
    return (
        <div class="field">
            <label for={id}>{label}</label>
            <input id={id} name={id} {...input} />
            {hint && <small class="muted">{hint}</small>}
        </div>
    );
}

export function Spinner() {
    return (
        <p class="muted" aria-live="polite">
            Loading…
        </p>
    );
}

export function Level({ level }) {
    const l = String(level || 'error');
    return <span class={`level level-${l.replace(/[^a-z]/g, '')}`}>{l}</span>;
}

/** Copies text to the clipboard; shows "Copied" for a moment. */
export function CopyButton({ text, label = 'Copy' }) {
    const onClick = async (e) => {
        const b = e.currentTarget;
        try {
            await navigator.clipboard.writeText(text);
            b.textContent = 'Copied';
        } catch {
            b.textContent = 'Select and copy';
        }
        setTimeout(() => {
            b.textContent = label;
        }, 1500);
    };
    return (
        <button type="button" class="btn small" onClick={onClick}>
            {label}
        </button>
    );
}
