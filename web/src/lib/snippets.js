// Setup instructions per platform for the new-project wizard: the package to install and the
// code that points the official Sentry SDK at this project's DSN. Plain text, shown in <pre>.

export const PLATFORMS = [
    { id: 'python', name: 'Python' },
    { id: 'python-django', name: 'Django' },
    { id: 'node', name: 'Node.js' },
    { id: 'javascript', name: 'Browser JavaScript' },
    { id: 'javascript-vue', name: 'Vue' },
    { id: 'javascript-react', name: 'React' },
    { id: 'php-laravel', name: 'PHP / Laravel' },
    { id: 'go', name: 'Go' },
    { id: 'rust', name: 'Rust' },
    { id: 'java', name: 'Java' },
    { id: 'dotnet', name: '.NET' },
    { id: 'native', name: 'C / native' },
];

// A DSN goes into source code inside quotes: refuse anything that could break out of them.
function safeDsn(dsn) {
    const s = String(dsn || '');
    return /^[A-Za-z0-9+.-]+:\/\/[A-Za-z0-9@:/._~%-]+$/.test(s) ? s : 'YOUR_DSN';
}

const T = {
    python: (d) => ({
        install: 'pip install --upgrade sentry-sdk',
        code: `import sentry_sdk\n\nsentry_sdk.init(\n    dsn="${d}",\n    send_default_pii=False,\n)\n\ndivision_by_zero = 1 / 0`,
    }),
    'python-django': (d) => ({
        install: 'pip install --upgrade "sentry-sdk[django]"',
        code: `# settings.py\nimport sentry_sdk\n\nsentry_sdk.init(\n    dsn="${d}",\n    send_default_pii=False,\n)`,
    }),
    node: (d) => ({
        install: 'npm install --save @sentry/node',
        code: `// instrument.mjs — load it first: node --import ./instrument.mjs app.mjs\nimport * as Sentry from "@sentry/node";\n\nSentry.init({\n  dsn: "${d}",\n});`,
    }),
    javascript: (d) => ({
        install: 'npm install --save @sentry/browser',
        code: `import * as Sentry from "@sentry/browser";\n\nSentry.init({\n  dsn: "${d}",\n});`,
    }),
    'javascript-vue': (d) => ({
        install: 'npm install --save @sentry/vue',
        code: `import { createApp } from "vue";\nimport * as Sentry from "@sentry/vue";\n\nconst app = createApp(App);\nSentry.init({\n  app,\n  dsn: "${d}",\n});\napp.mount("#app");`,
    }),
    'javascript-react': (d) => ({
        install: 'npm install --save @sentry/react',
        code: `import * as Sentry from "@sentry/react";\n\nSentry.init({\n  dsn: "${d}",\n});\n\n// wrap your root: <Sentry.ErrorBoundary fallback={<p>Something went wrong</p>}>…`,
    }),
    'php-laravel': (d) => ({
        install: 'composer require sentry/sentry-laravel\nphp artisan sentry:publish --dsn="' + d + '"',
        code: `# .env\nSENTRY_LARAVEL_DSN=${d}\n\n// bootstrap/app.php\nuse Sentry\\Laravel\\Integration;\n\n->withExceptions(function (Exceptions $exceptions) {\n    Integration::handles($exceptions);\n})`,
    }),
    go: (d) => ({
        install: 'go get github.com/getsentry/sentry-go',
        code: `import (\n\t"log"\n\t"time"\n\n\t"github.com/getsentry/sentry-go"\n)\n\nfunc main() {\n\tif err := sentry.Init(sentry.ClientOptions{Dsn: "${d}"}); err != nil {\n\t\tlog.Fatalf("sentry.Init: %s", err)\n\t}\n\tdefer sentry.Flush(2 * time.Second)\n}`,
    }),
    rust: (d) => ({
        install: 'cargo add sentry',
        code: `fn main() {\n    let _guard = sentry::init((\n        "${d}",\n        sentry::ClientOptions {\n            release: sentry::release_name!(),\n            ..Default::default()\n        },\n    ));\n}`,
    }),
    java: (d) => ({
        install: '<!-- pom.xml -->\n<dependency>\n  <groupId>io.sentry</groupId>\n  <artifactId>sentry</artifactId>\n  <version>8.0.0</version>\n</dependency>',
        code: `import io.sentry.Sentry;\n\nSentry.init(options -> {\n    options.setDsn("${d}");\n});`,
    }),
    dotnet: (d) => ({
        install: 'dotnet add package Sentry',
        code: `using Sentry;\n\nusing (SentrySdk.Init(o =>\n{\n    o.Dsn = "${d}";\n}))\n{\n    // your app\n}`,
    }),
    native: (d) => ({
        install: '# build sentry-native (https://github.com/getsentry/sentry-native) and link sentry',
        code: `#include <sentry.h>\n\nint main(void)\n{\n    sentry_options_t *options = sentry_options_new();\n    sentry_options_set_dsn(options, "${d}");\n    sentry_init(options);\n\n    /* your app */\n\n    sentry_close();\n    return 0;\n}`,
    }),
};

/** {install, code} for the platform (unknown ones get the browser snippet's shape). */
export function setupSnippet(platform, dsn) {
    const make = T[platform] || T.javascript;
    return make(safeDsn(dsn));
}

export function platformName(id) {
    return (PLATFORMS.find((p) => p.id === id) || { name: id || 'Other' }).name;
}
