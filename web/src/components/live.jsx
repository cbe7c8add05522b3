// The small "live" indicator: whether new events arrive by themselves (lib/live.js).
import { useLiveStatus } from '../lib/live.js';

const LABEL = { live: 'Live', connecting: 'Connecting…', offline: 'Offline' };
const TITLE = {
    live: 'New events appear as they arrive',
    connecting: 'Connecting to live updates…',
    offline: 'Live updates are off; reconnecting',
};

export function LiveBadge() {
    const s = useLiveStatus();
    return (
        <span class={`livebadge live-${s}`} role="status" title={TITLE[s]} data-live={s}>
            <span class="dot" aria-hidden="true" />
            {LABEL[s]}
        </span>
    );
}
