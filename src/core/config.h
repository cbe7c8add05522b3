/* config: settings from the environment and an optional .env file, using GlitchTip's
 * variable names where one exists so an existing GlitchTip .env works. Variables already in
 * the environment win over the .env file. */
#ifndef SNAG_CORE_CONFIG_H
#define SNAG_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "core/mail.h"

struct config {
    int port;                /* PORT, default 8000 */
    char bind[64];           /* SNAG_BIND, default 0.0.0.0 */
    char data_dir[1024];     /* SNAG_DATA_DIR, default ./data */
    char database_url[2048]; /* DATABASE_URL, default sqlite:///<data_dir>/snag.db */
    char secret_key[256];    /* SECRET_KEY, generated into <data_dir>/secret_key if absent */
    char domain[512];        /* GLITCHTIP_DOMAIN, default http://localhost:<port> */
    size_t max_unzipped;     /* GLITCHTIP_MAX_UNZIPPED_PAYLOAD_SIZE (bytes) */
    int retention_days;      /* GLITCHTIP_RETENTION_DAYS / GLITCHTIP_MAX_EVENT_LIFE_DAYS, 90 */
    bool enable_user_registration;     /* ENABLE_USER_REGISTRATION */
    bool enable_organization_creation; /* ENABLE_ORGANIZATION_CREATION */
    char email_url[1024];              /* EMAIL_URL */
    struct mail_url mail;              /* EMAIL_URL parsed; "" → consolemail:// */
    char default_from_email[256];      /* DEFAULT_FROM_EMAIL, default snag@<domain host> */
    char domain_host[256];             /* GLITCHTIP_DOMAIN's host, without port */
    int threads;                       /* SNAG_THREADS, default: number of CPUs */
    bool http_epoll;                   /* SNAG_HTTP_EPOLL: epoll instead of poll() */
    bool secret_key_generated;         /* true when SECRET_KEY was not set */
};

/* Loads path (may be NULL or missing) into the environment without overriding. */
enum err config_load_dotenv(const char *path, struct errinfo *ei) WUR;
/* Reads the environment. A bad value gives E_INVALID with a detail naming the variable. */
enum err config_load(struct config *c, struct errinfo *ei) WUR;
/* Reads or creates <data_dir>/secret_key when SECRET_KEY was not set. */
enum err config_ensure_secret(struct config *c, struct errinfo *ei) WUR;

#endif
