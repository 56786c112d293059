/* diff_files.c — parsing of the files a user gives the diff: per-layer tolerances and the layer map.
 * Pure parsing: the names are resolved against the models by the matching (match_align.c). */
#include "diff_files.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAP_MAX_B 64

cs_status cs_diff_load_overrides(const char *path, cs_tol_override **out, int *n, cs_error *err)
{
    *out = NULL;
    *n = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return cs_error_set(err, CS_ERR_IO, "%s: cannot open the tolerance file", path);
    char buf[512];
    int line = 0;
    while (fgets(buf, sizeof buf, f)) {
        line++;
        char *hash = strchr(buf, '#');
        if (hash)
            *hash = 0;
        cs_tol_override o;
        int got = sscanf(buf, "%127s %lf %lf", o.layer, &o.rtol, &o.atol);
        if (got <= 0)
            continue;
        cs_tol_override *grown = got == 3 && o.rtol >= 0 && o.atol >= 0
                                     ? realloc(*out, (size_t)(*n + 1) * sizeof o) : NULL;
        if (!grown) {
            fclose(f);
            free(*out);
            *out = NULL, *n = 0;
            if (got == 3 && o.rtol >= 0 && o.atol >= 0)
                return cs_error_set(err, CS_ERR_NOMEM, "%s:%d: out of memory", path, line);
            return cs_error_set(err, CS_ERR_FORMAT, "%s:%d: expected 'LAYER RTOL ATOL' with non-negative numbers", path,
                                line);
        }
        *out = grown;
        (*out)[(*n)++] = o;
    }
    fclose(f);
    return CS_OK;
}

/* ---- layer map ---- */

static cs_status map_add(cs_layer_map *m, const char *path, int line, const char *a, const char **b, int nb,
                         cs_error *err)
{
    cs_map_entry *grown = realloc(m->entries, (size_t)(m->n + 1) * sizeof *grown);
    if (!grown)
        return cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory reading the layer map", path);
    m->entries = grown;
    cs_map_entry *e = &m->entries[m->n];
    memset(e, 0, sizeof *e);
    e->line = line;
    e->a = strdup(a);
    e->b = calloc((size_t)nb + 1, sizeof *e->b);
    bool ok = e->a && e->b;
    for (int k = 0; ok && k < nb; k++)
        ok = (e->b[e->n_b++] = strdup(b[k])) != NULL;
    m->n++; /* counted even when incomplete, so cs_layer_map_free releases it */
    return ok ? CS_OK : cs_error_set(err, CS_ERR_NOMEM, "%s: out of memory reading the layer map", path);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = 0;
    return s;
}

static cs_status load_json_map(cs_layer_map *m, const char *path, cs_error *err)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root || !json_is_object(root)) {
        json_decref(root);
        return cs_error_set(err, CS_ERR_FORMAT, "%s:%d: not a JSON object of A layer -> [B layers]: %s", path,
                            jerr.line, jerr.text);
    }
    const char *key;
    json_t *val;
    cs_status st = CS_OK;
    json_object_foreach(root, key, val) {
        const char *names[MAP_MAX_B];
        int nb = 0;
        if (json_is_string(val))
            names[nb++] = json_string_value(val);
        for (size_t i = 0; json_is_array(val) && i < json_array_size(val) && nb < MAP_MAX_B; i++)
            if (json_is_string(json_array_get(val, i)))
                names[nb++] = json_string_value(json_array_get(val, i));
        if (st == CS_OK)
            st = map_add(m, path, 0, key, names, nb, err);
    }
    json_decref(root);
    return st;
}

static cs_status load_text_map(cs_layer_map *m, const char *path, FILE *f, cs_error *err)
{
    char buf[4096];
    int line = 0;
    while (fgets(buf, sizeof buf, f)) {
        line++;
        char *hash = strchr(buf, '#');
        if (hash)
            *hash = 0;
        char *arrow = strstr(buf, "->");
        if (!arrow) {
            if (*trim(buf))
                return cs_error_set(err, CS_ERR_FORMAT, "%s:%d: expected 'A_LAYER -> B_LAYER[, B_LAYER...]'", path,
                                    line);
            continue;
        }
        *arrow = 0;
        const char *names[MAP_MAX_B];
        int nb = 0;
        char *save = NULL;
        for (char *tok = strtok_r(arrow + 2, ",", &save); tok && nb < MAP_MAX_B; tok = strtok_r(NULL, ",", &save))
            if (*trim(tok))
                names[nb++] = trim(tok);
        cs_status st = map_add(m, path, line, trim(buf), names, nb, err);
        if (st != CS_OK)
            return st;
    }
    return CS_OK;
}

cs_status cs_layer_map_load(const char *path, cs_layer_map *out, cs_error *err)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f)
        return cs_error_set(err, CS_ERR_IO, "%s: cannot open the layer map", path);
    int c;
    while ((c = fgetc(f)) == ' ' || c == '\n' || c == '\t' || c == '\r')
        ;
    cs_status st;
    if (c == '{') {
        fclose(f);
        st = load_json_map(out, path, err);
    } else {
        rewind(f);
        st = load_text_map(out, path, f, err);
        fclose(f);
    }
    if (st != CS_OK)
        cs_layer_map_free(out);
    return st;
}

void cs_layer_map_free(cs_layer_map *m)
{
    for (int i = 0; m->entries && i < m->n; i++) {
        free(m->entries[i].a);
        for (int k = 0; m->entries[i].b && k < m->entries[i].n_b; k++)
            free(m->entries[i].b[k]);
        free(m->entries[i].b);
    }
    free(m->entries);
    memset(m, 0, sizeof *m);
}
