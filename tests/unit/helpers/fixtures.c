/* fixtures: the sorted fixture listing shared by the data-driven unit tests. */
#include "helpers/fixtures.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fixture_cmp(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static char *fixture_name(const char *dir, const char *file, size_t stem, bool full_path)
{
    if (!full_path)
        return strndup(file, stem);
    size_t need = strlen(dir) + strlen(file) + 2;
    char *p = malloc(need);
    if (p)
        snprintf(p, need, "%s/%s", dir, file);
    return p;
}

char **fixture_list(const char *dir, const char *suffix, bool full_path, size_t *n)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t count = 0, sl = strlen(suffix);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len <= sl || strcmp(e->d_name + len - sl, suffix) != 0)
            continue;
        char **grown = realloc(names, (count + 1) * sizeof *names);
        char *name = grown ? fixture_name(dir, e->d_name, len - sl, full_path) : NULL;
        if (grown)
            names = grown;
        if (!name)
            break;
        names[count++] = name;
    }
    if (d)
        closedir(d);
    if (count)
        qsort(names, count, sizeof *names, fixture_cmp);
    *n = count;
    return names;
}

void fixture_list_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}
