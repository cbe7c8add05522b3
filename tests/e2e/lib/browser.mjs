// Helpers for the web UI's end-to-end tests: Debian's Chromium driven by playwright-core
// (headless, a throwaway profile), a watch for script errors and CSP violations, and
// full-page screenshots into a kept folder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const CHROMIUM = '/usr/bin/chromium';
/** node:test's skip option: false when Chromium is there, else the reason. */
export const NO_CHROMIUM = fs.existsSync(CHROMIUM) ? false : `no ${CHROMIUM} (apt-get install chromium; scripts/deps.sh --test does)`;

/**
 * A persistent context on a fresh profile (so each call is a separate browser: its own
 * cookies and storage); close() also removes the profile. opts go to playwright's
 * launchPersistentContext on top of ours (e.g. userAgent, to tell two browsers apart).
 */
export async function launchChromium(opts = {}) {
    const { chromium } = await import('playwright-core');
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'snag-e2e-chromium-'));
    const ctx = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: 1280, height: 860 },
        args: [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--disable-quic',
        ],
        ...opts,
    });
    const close = ctx.close.bind(ctx);
    ctx.close = async () => {
        await close();
        fs.rmSync(profile, { recursive: true, force: true });
    };
    return ctx;
}

/** Collects what would show that the page broke: script errors and CSP violations. */
export function watch(page) {
    const problems = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
        if (m.type() === 'error' && !/status of 40[14]/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    return problems;
}

/** A folder for screenshots (kept after the run) and shot(page, name) that fills it. */
export function screenshots(label) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `snag-e2e-${label}-screens-`));
    const shot = async (page, name, opts = {}) => {
        await page.screenshot({ path: path.join(dir, name), fullPage: true, ...opts });
    };
    return { dir, shot };
}
