/* log: one-line messages to stderr with a level and UTC time; fatal() for start-up only. */
#ifndef SNAG_CORE_LOG_H
#define SNAG_CORE_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the message and exits with status; only at start-up (config, bind, migrations). */
void fatal(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
