// Checks of a new password in the browser before it is sent (the server applies the same
// rule: at least 8 characters).

export const PASSWORD_MIN = 8;

/** An error message for a new password and its repetition, or null when they are fine. */
export function newPasswordError(password, repeat) {
    const p = String(password || '');
    if (p.length < PASSWORD_MIN) return `The password needs at least ${PASSWORD_MIN} characters.`;
    if (p !== String(repeat ?? '')) return 'The two passwords differ.';
    return null;
}
