/* main: the snag command line — serve, migrate, createsuperuser, token, check, backup,
 * restore, migrate-data. Thin: parses arguments and calls into the modules; fatal() only
 * here, at start-up. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "api/app.h"
#include "api/live.h"
#include "api/writer.h"
#include "api/zdicts.h"
#include "auth/passwords.h"
#include "api/keycache.h"
#include "api/ratelimit.h"
#include "auth/throttle.h"
#include "auth/tokens.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/ids.h"
#include "core/log.h"
#include "core/mailq.h"
#include "http/http.h"
#include "store/backup.h"
#include "store/migrate_data.h"
#include "store/store.h"
#include "worker/facets.h"
#include "worker/retention.h"
#include "worker/scheduler.h"

static const char usage[] =
    "usage: snag <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve                         run the server (HTTP, ingest writer)\n"
    "  migrate                       apply database migrations and exit\n"
    "  createsuperuser --email E [--noinput]\n"
    "                                create an administrator (with --noinput the password\n"
    "                                comes from SNAG_SUPERUSER_PASSWORD)\n"
    "  token create --email E [--label L]\n"
    "                                print a new API token (Bearer) for that user\n"
    "  check                         check the configuration and the database, then exit\n"
    "  backup [--dir DIR] [--keep-days N]\n"
    "                                write DIR/snag-<UTC time>.dump.gz (default DIR: the data\n"
    "                                folder's backups/) and delete dumps older than N days\n"
    "                                (default 30, 0 keeps all); silent unless it fails\n"
    "  restore FILE                  replace the database with a dump (servers stopped)\n"
    "  migrate-data --from URL --to URL\n"
    "                                copy everything from one database to an empty other one\n"
    "                                (e.g. SQLite to PostgreSQL)\n"
    "  --help, --version\n"
    "\n"
    "configuration (environment or ./.env): PORT, DATABASE_URL, SECRET_KEY, GLITCHTIP_DOMAIN,\n"
    "SNAG_DATA_DIR, SNAG_BIND, SNAG_THREADS, SNAG_HTTP_EPOLL, "
    "GLITCHTIP_MAX_UNZIPPED_PAYLOAD_SIZE,\n"
    "GLITCHTIP_RETENTION_DAYS, ENABLE_USER_REGISTRATION, ENABLE_ORGANIZATION_CREATION.\n";

/* Returns the value after `name` in argv, or NULL. */
static const char *main_opt(int argc, char **argv, const char *name)
{
    for (int i = 0; i < argc - 1; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

static int main_flag(int argc, char **argv, const char *name)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return 0;
}

static void main_load_config(struct config *cfg)
{
    struct errinfo ei = {{0}};
    const char *env_file = getenv("SNAG_ENV_FILE");
    if (config_load_dotenv(env_file ? env_file : ".env", &ei) || config_load(cfg, &ei))
        fatal(2, "configuration: %s", ei.detail);
    if (ids_init() != 0)
        fatal(1, "cannot initialise libsodium");
}

static struct store *main_open_store(const struct config *cfg, int migrate)
{
    struct errinfo ei = {{0}};
    struct store *st;
    enum err e = store_open(cfg->database_url, &st, &ei);
    if (e)
        fatal(e == E_INVALID ? 2 : 1, "database: %s", ei.detail[0] ? ei.detail : err_name(e));
    if (migrate && (e = store_migrate(st, &ei)))
        fatal(1, "migrations failed: %s", ei.detail[0] ? ei.detail : err_name(e));
    return st;
}

/* The background jobs of serve: partitions first (a new day's rows need them), then
 * retention; both at start-up, then daily. */
static struct scheduler *main_start_jobs(struct retention_job *retention)
{
    const struct sched_job jobs[] = {
        {"partitions", RETENTION_EVERY, RETENTION_RETRY, retention_job_partitions, retention},
        {"retention", RETENTION_EVERY, RETENTION_RETRY, retention_job_run, retention},
    };
    struct scheduler *s = scheduler_new(jobs, sizeof jobs / sizeof *jobs);
    if (scheduler_start(s) != 0)
        fatal(1, "cannot start the job thread");
    return s;
}

/* The outgoing mail queue for EMAIL_URL (consolemail:// when unset). */
static struct mailq *main_start_mail(const struct config *cfg)
{
    struct errinfo ei = {{0}};
    struct mailq_config mc = {
        .url = cfg->mail, .from = cfg->default_from_email, .host = cfg->domain_host};
    struct mailq *q = mailq_start(&mc, &ei);
    if (!q)
        fatal(2, "mail: %s", ei.detail);
    if (cfg->mail.transport == MAIL_SMTP)
        log_info("mail: SMTP via %s:%d as %s", cfg->mail.host, cfg->mail.port,
                 cfg->default_from_email);
    else if (cfg->mail.transport == MAIL_CONSOLE)
        log_info("mail: EMAIL_URL is not set, mail is printed to the log (consolemail)");
    return q;
}

static int cmd_serve(void)
{
    struct config cfg;
    main_load_config(&cfg);
    struct errinfo ei = {{0}};
    if (config_ensure_secret(&cfg, &ei))
        fatal(2, "SECRET_KEY: %s", ei.detail);
    if (cfg.secret_key_generated)
        log_warn("SECRET_KEY is not set; using the one kept in %s/secret_key", cfg.data_dir);
    int lock_fd = -1;
    if (backup_serve_lock(cfg.database_url, &lock_fd, &ei))
        fatal(1, "database: %s", ei.detail);
    struct mailq *mail = main_start_mail(&cfg); /* first: it initialises libcurl */
    struct store *st = main_open_store(&cfg, 1);
    struct app app = {.cfg = &cfg, .st = st, .started = clock_now(), .mail = mail};
    app.throttle = throttle_new(0);
    app.ratelimit = ratelimit_new(0);
    app.keys = keycache_new();
    app.zdicts = zdicts_new(st);
    app.writer = writer_start(st);
    app.live = live_start(&app);
    writer_set_live(app.writer, app.live);
    struct retention_job retention = {.st = st, .days = cfg.retention_days};
    struct scheduler *sched = main_start_jobs(&retention);
    /* tag values and hourly counts, on a thread of their own (never in ingest's way) */
    struct facets_job facets = {
        .st = st, .zdicts = app.zdicts, .lag = -1, .retention_days = cfg.retention_days};
    const struct sched_job facets_jobs[] = {
        {"facets", FACETS_EVERY, FACETS_RETRY, facets_job_run, &facets}};
    struct scheduler *facets_sched = scheduler_new(facets_jobs, 1);
    if (scheduler_start(facets_sched) != 0)
        fatal(1, "cannot start the facets thread");
    /* compression dictionaries, trained on a thread of their own: a new project's first one
     * must not wait behind retention or a long facets pass */
    const struct sched_job zdict_jobs[] = {
        {"zdicts", ZDICTS_EVERY, ZDICTS_RETRY, zdicts_job_run, app.zdicts}};
    struct scheduler *zdict_sched = scheduler_new(zdict_jobs, 1);
    if (scheduler_start(zdict_sched) != 0)
        fatal(1, "cannot start the dictionary thread");
    size_t nroutes;
    const struct route *routes = app_routes(&nroutes);
    struct http_server_opts o = {.bind = cfg.bind,
                                 .port = cfg.port,
                                 .threads = cfg.threads,
                                 .epoll = cfg.http_epoll,
                                 .routes = routes,
                                 .nroutes = nroutes,
                                 .app = &app};
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* threads inherit: only sigwait sees them */
    signal(SIGPIPE, SIG_IGN);
    struct http_server *srv;
    if (http_server_start(&o, &srv, &ei))
        fatal(1, "http: %s", ei.detail);
    log_info("snag %s serving on %s:%d (%s, %d threads), public URL %s", SNAG_VERSION, cfg.bind,
             http_server_port(srv), store_backend_name(st), cfg.threads, cfg.domain);
    int sig;
    sigwait(&sigs, &sig);
    log_info("received %s, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    http_server_quiesce(srv);
    writer_stop(app.writer); /* commits and answers everything queued */
    app.writer = NULL;
    live_stop(app.live); /* closes the WebSockets before MHD stops */
    app.live = NULL;
    scheduler_stop(sched); /* the running job stops at its next transaction */
    scheduler_stop(facets_sched);
    scheduler_stop(zdict_sched);
    http_server_stop(srv);
    mailq_stop(app.mail); /* after the server: no handler queues mail any more */
    throttle_free(app.throttle);
    ratelimit_free(app.ratelimit);
    keycache_free(app.keys);
    zdicts_free(app.zdicts); /* after the server and every job: nobody compresses any more */
    store_close(st);
    if (lock_fd >= 0)
        close(lock_fd);
    log_info("stopped");
    return 0;
}

static int cmd_migrate(void)
{
    struct config cfg;
    main_load_config(&cfg);
    store_close(main_open_store(&cfg, 1));
    log_info("migrations applied");
    return 0;
}

/* Reads a line from the terminal without echo (or from stdin when not a terminal). */
static int main_read_password(const char *prompt, char *out, size_t cap)
{
    struct termios old, quiet;
    int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    fputs(prompt, stderr);
    if (tty) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    char *r = fgets(out, (int)cap, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (!r)
        return -1;
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

static int main_get_password(int noinput, char *pw, size_t cap)
{
    if (noinput) {
        const char *env = getenv("SNAG_SUPERUSER_PASSWORD");
        if (!env || !*env) {
            fprintf(stderr, "snag: --noinput needs SNAG_SUPERUSER_PASSWORD\n");
            return -1;
        }
        snprintf(pw, cap, "%s", env);
        return 0;
    }
    char again[256];
    if (main_read_password("Password: ", pw, cap) ||
        main_read_password("Password (again): ", again, sizeof again))
        return -1;
    if (strcmp(pw, again) != 0) {
        fprintf(stderr, "snag: the passwords do not match\n");
        return -1;
    }
    return 0;
}

static int cmd_createsuperuser(int argc, char **argv)
{
    const char *email = main_opt(argc, argv, "--email");
    if (!email || !strchr(email, '@')) {
        fprintf(stderr, "usage: snag createsuperuser --email E [--noinput]\n");
        return 2;
    }
    struct config cfg;
    main_load_config(&cfg);
    char pw[256], hash[PASSWORD_HASH_MAX];
    struct errinfo ei = {{0}};
    if (main_get_password(main_flag(argc, argv, "--noinput"), pw, sizeof pw))
        return 2;
    if (password_hash(pw, hash, &ei)) {
        fprintf(stderr, "snag: %s\n", ei.detail);
        return 2;
    }
    struct store *st = main_open_store(&cfg, 1);
    int64_t id;
    enum err e = store_user_create(st, email, hash, true, &id, &ei);
    store_close(st);
    if (e == E_CONFLICT) {
        fprintf(stderr, "snag: a user with email %s already exists\n", email);
        return 1;
    }
    if (e) {
        fprintf(stderr, "snag: %s\n", ei.detail[0] ? ei.detail : err_name(e));
        return 1;
    }
    fprintf(stderr, "Superuser %s created.\n", email);
    return 0;
}

static int cmd_token(int argc, char **argv)
{
    const char *email = main_opt(argc, argv, "--email");
    if (argc < 1 || strcmp(argv[0], "create") != 0 || !email) {
        fprintf(stderr, "usage: snag token create --email E [--label L]\n");
        return 2;
    }
    const char *label = main_opt(argc, argv, "--label");
    struct config cfg;
    main_load_config(&cfg);
    struct store *st = main_open_store(&cfg, 1);
    struct arena *a = arena_new(0);
    struct store_user user;
    enum err e = store_user_by_email(st, a, email, &user);
    char tok[TOKEN_LEN + 1], hash[TOKEN_HASH_LEN + 1];
    int64_t id;
    if (e == E_OK) {
        token_generate(tok);
        token_hash(tok, TOKEN_LEN, hash);
        e = store_token_create(st, user.id, hash, label ? label : "cli", TOKEN_ALL_SCOPES, &id);
    }
    arena_free(a);
    store_close(st);
    if (e == E_NOTFOUND) {
        fprintf(stderr, "snag: no user with email %s\n", email);
        return 1;
    }
    if (e) {
        fprintf(stderr, "snag: %s\n", err_name(e));
        return 1;
    }
    printf("%s\n", tok);
    return 0;
}

static int cmd_check(void)
{
    struct config cfg;
    main_load_config(&cfg);
    struct store *st = main_open_store(&cfg, 0);
    enum err e = store_ping(st);
    printf("database: %s (%s)\n", e ? "unavailable" : "ok", store_backend_name(st));
    store_close(st);
    return e ? 1 : 0;
}

/* A whole non-negative number, or -1. */
static long main_count(const char *s)
{
    char *end = NULL;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : -1;
    return s && *s && end && !*end && errno == 0 && v >= 0 && v <= 36500 ? v : -1;
}

static int cmd_backup(int argc, char **argv)
{
    const char *dir = main_opt(argc, argv, "--dir"), *keep = main_opt(argc, argv, "--keep-days");
    long keep_days = keep ? main_count(keep) : BACKUP_KEEP_DAYS;
    if (keep_days < 0) {
        fprintf(stderr, "usage: snag backup [--dir DIR] [--keep-days N]\n");
        return 2;
    }
    struct config cfg;
    main_load_config(&cfg);
    char def[sizeof cfg.data_dir + 16], path[4096];
    snprintf(def, sizeof def, "%s/backups", cfg.data_dir);
    struct errinfo ei = {{0}};
    signal(SIGPIPE, SIG_IGN);
    enum err e = backup_create(cfg.database_url, dir ? dir : def, path, sizeof path, &ei);
    if (!e)
        e = backup_prune(dir ? dir : def, (int)keep_days, NULL, &ei);
    if (e) {
        fprintf(stderr, "snag backup: %s\n", ei.detail[0] ? ei.detail : err_name(e));
        return 1;
    }
    return 0;
}

static int cmd_restore(int argc, char **argv)
{
    if (argc != 1 || argv[0][0] == '-') {
        fprintf(stderr, "usage: snag restore FILE\n");
        return 2;
    }
    struct config cfg;
    main_load_config(&cfg);
    struct errinfo ei = {{0}};
    signal(SIGPIPE, SIG_IGN);
    enum err e = backup_restore(cfg.database_url, argv[0], &ei);
    if (e) {
        fprintf(stderr, "snag restore: %s\n", ei.detail[0] ? ei.detail : err_name(e));
        return 1;
    }
    fprintf(stderr, "restored %s; start snag (it applies any newer migrations)\n", argv[0]);
    return 0;
}

static int cmd_migrate_data(int argc, char **argv)
{
    const char *from = main_opt(argc, argv, "--from"), *to = main_opt(argc, argv, "--to");
    if (!from || !to) {
        fprintf(stderr, "usage: snag migrate-data --from URL --to URL\n");
        return 2;
    }
    struct errinfo ei = {{0}};
    struct migrate_data_stats stats;
    enum err e = migrate_data(from, to, &stats, &ei);
    if (e) {
        fprintf(stderr, "snag migrate-data: %s\n", ei.detail[0] ? ei.detail : err_name(e));
        return e == E_UNSUPPORTED ? 2 : 1;
    }
    printf("copied %lld rows (%lld events)\n", (long long)stats.rows, (long long)stats.events);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("snag %s\n", SNAG_VERSION);
        return 0;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve();
    if (strcmp(cmd, "migrate") == 0)
        return cmd_migrate();
    if (strcmp(cmd, "createsuperuser") == 0)
        return cmd_createsuperuser(argc - 2, argv + 2);
    if (strcmp(cmd, "token") == 0)
        return cmd_token(argc - 2, argv + 2);
    if (strcmp(cmd, "check") == 0)
        return cmd_check();
    if (strcmp(cmd, "backup") == 0)
        return cmd_backup(argc - 2, argv + 2);
    if (strcmp(cmd, "restore") == 0)
        return cmd_restore(argc - 2, argv + 2);
    if (strcmp(cmd, "migrate-data") == 0)
        return cmd_migrate_data(argc - 2, argv + 2);
    fprintf(stderr, "snag: unknown command '%s'\n\n%s", cmd, usage);
    return 2;
}
