/*
 * types.c - writing every DuckDB type into Parquet without silent changes (see types.h).
 * Type names come from DESCRIBE (column_type), e.g. "HUGEINT", "ENUM('a', 'b')",
 * "STRUCT(a INTEGER, b VARCHAR[3])".
 */
#include "engine/types.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

/* 1 when the word w starts at p (an identifier boundary on both sides). */
static int word_at(const char *start, const char *p, const char *w)
{
    size_t n = strlen(w);
    if (strncmp(p, w, n) != 0)
        return 0;
    if (p > start && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))
        return 0;
    return !(isalnum((unsigned char)p[n]) || p[n] == '_');
}

/* A mask over type: 1 for each character of a STRUCT or UNION field name or of quoted
 * text (ENUM values, quoted names), which are names, not types: a field called HUGEINT or
 * BIT is neither refused nor renamed. DuckDB prints a field name bare unless it must be
 * quoted: STRUCT(HUGEINT INTEGER, "union" VARCHAR). Malloc'd, strlen(type) bytes. */
static char *name_mask(const char *type)
{
    size_t n = strlen(type), i = 0;
    char *m = xcalloc(n + 1, 1);
    unsigned char fields[64]; /* per open parenthesis: 1 when it lists fields */
    size_t depth = 0;
    int at_name = 0;

    while (i < n) {
        char c = type[i];
        if (c == '\'' || c == '"') {
            size_t j = i + 1;
            for (; j < n; j++)
                if (type[j] == c) {
                    if (type[j + 1] != c)
                        break;
                    j++; /* a doubled quote stays inside */
                }
            j = j < n ? j + 1 : n;
            memset(m + i, 1, j - i);
            i = j;
            at_name = 0;
            continue;
        }
        if (at_name && !isspace((unsigned char)c)) {
            size_t j = i;
            while (j < n && (isalnum((unsigned char)type[j]) || type[j] == '_'))
                j++;
            memset(m + i, 1, j - i);
            at_name = 0;
            if (j > i) {
                i = j;
                continue;
            }
        }
        if (c == '(') {
            int f = (i >= 6 && word_at(type, type + i - 6, "STRUCT")) ||
                    (i >= 5 && word_at(type, type + i - 5, "UNION"));
            if (depth < sizeof(fields))
                fields[depth] = (unsigned char)f;
            depth++;
            at_name = f;
        } else if (c == ')') {
            if (depth)
                depth--;
        } else if (c == ',') {
            at_name = depth && depth <= sizeof(fields) && fields[depth - 1];
        }
        i++;
    }
    return m;
}

/* 1 when type names word anywhere outside field names and quoted text. */
static int mentions(const char *type, const char *word)
{
    char *mask = name_mask(type);
    int found = 0;
    for (const char *p = type; *p && !found; p++)
        found = !mask[p - type] && word_at(type, p, word);
    free(mask);
    return found;
}

char *df_types_reader_type(const char *type)
{
    struct strbuf sb = STRBUF_INIT;
    char *mask = name_mask(type);

    for (const char *p = type; *p;) {
        if (mask[p - type]) {
            sb_addc(&sb, *p++);
        } else if (word_at(type, p, "HUGEINT") || word_at(type, p, "UHUGEINT")) {
            sb_adds(&sb, "DECIMAL(38,0)");
            p += *p == 'U' ? 8 : 7;
        } else if (word_at(type, p, "BIT") || word_at(type, p, "BIGNUM") ||
                   word_at(type, p, "VARINT")) {
            sb_adds(&sb, "VARCHAR");
            p += word_at(type, p, "BIT") ? 3 : 6;
        } else if (word_at(type, p, "TIMESTAMP_S") || word_at(type, p, "TIMESTAMP_MS")) {
            sb_adds(&sb, "TIMESTAMP");
            p += word_at(type, p, "TIMESTAMP_S") ? 11 : 12;
        } else if (word_at(type, p, "ENUM") && p[4] == '(') {
            /* ENUM('a', 'b'): skip to the closing parenthesis, outside the quoted values. */
            char eq = 0;
            p += 5;
            for (; *p && (eq || *p != ')'); p++)
                if (eq ? *p == eq : *p == '\'')
                    eq = eq ? 0 : *p;
            if (*p)
                p++;
            sb_adds(&sb, "VARCHAR");
        } else if (*p == '[' && isdigit((unsigned char)p[1])) {
            /* A fixed-size ARRAY "T[3]" reads back as the LIST "T[]". */
            for (p++; isdigit((unsigned char)*p); p++)
                ;
            sb_adds(&sb, "[");
        } else {
            sb_addc(&sb, *p++);
        }
    }
    free(mask);
    return sb_detach(&sb);
}

/* What is wrong with writing type, and what to cast to, or NULL. */
static const char *refusal(const char *type, const char **cast)
{
    int nested = strchr(type, '(') && strncmp(type, "DECIMAL(", 8) && strncmp(type, "ENUM(", 5);
    nested = nested || strchr(type, '[') != NULL;
    if (!strncmp(type, "UNION(", 6) || (nested && mentions(type, "UNION"))) {
        *cast = "VARCHAR or a STRUCT";
        return "Parquet has no UNION: it would read back as an unnamed STRUCT of its members";
    }
    if (mentions(type, "TIME WITH TIME ZONE") || mentions(type, "TIMETZ")) {
        *cast = "TIME (at UTC) or VARCHAR";
        return "Parquet keeps no time zone offset for a time of day: it would read back "
               "with offset +00 and the same clock time";
    }
    if (nested && (mentions(type, "HUGEINT") || mentions(type, "UHUGEINT"))) {
        *cast = "a type with DECIMAL(38,0) or BIGINT in its place";
        return "DuckDB's Parquet writer stores HUGEINT as DOUBLE, losing digits";
    }
    return NULL;
}

int df_types_select_list(struct df_duck *d, const char *table, struct strbuf *sql,
                         json_t **cols_out, struct df_error *err)
{
    struct strbuf q = STRBUF_INIT, list = STRBUF_INIT;
    json_t *cols = NULL, *c;
    size_t i;
    int converted = 0, rc = -1;

    sb_adds(&q, "SELECT column_name AS name, column_type AS type FROM (DESCRIBE ");
    sb_add_sql_ident(&q, table);
    sb_addc(&q, ')');
    if (df_duck_query_json(d, q.buf, 0, &cols, err) != 0)
        goto out;
    json_array_foreach(cols, i, c)
    {
        const char *name = json_string_value(json_object_get(c, "name"));
        const char *type = json_string_value(json_object_get(c, "type"));
        const char *why, *cast = NULL;
        if (!name || !type)
            continue;
        if ((why = refusal(type, &cast)) != NULL) {
            df_error_set(err, DF_EFAIL,
                         "column '%s' has type %s, which cannot be stored as it is (%s); cast "
                         "it to %s in the step's SQL",
                         name, type, why, cast);
            goto out;
        }
        if (i)
            sb_adds(&list, ", ");
        if (!strcmp(type, "HUGEINT") || !strcmp(type, "UHUGEINT")) {
            /* DECIMAL(38,0) keeps every value of 38 digits; refuse the rest by name. */
            json_t *bad = NULL;
            sb_reset(&q);
            sb_adds(&q, "SELECT CAST(");
            sb_add_sql_ident(&q, name);
            sb_adds(&q, " AS VARCHAR) AS v FROM ");
            sb_add_sql_ident(&q, table);
            sb_adds(&q, " WHERE ");
            sb_add_sql_ident(&q, name);
            sb_adds(&q, " IS NOT NULL AND TRY_CAST(");
            sb_add_sql_ident(&q, name);
            sb_adds(&q, " AS DECIMAL(38,0)) IS NULL LIMIT 1");
            if (df_duck_query_json(d, q.buf, 1, &bad, err) != 0)
                goto out;
            if (json_array_size(bad)) {
                df_error_set(err, DF_EFAIL,
                             "column '%s' has type %s and holds %s, which does not fit "
                             "DECIMAL(38,0) (how %s is stored, so that no digit is lost); "
                             "cast it to DOUBLE or VARCHAR in the step's SQL",
                             name, type,
                             json_string_value(json_object_get(json_array_get(bad, 0), "v")), type);
                json_decref(bad);
                goto out;
            }
            json_decref(bad);
            sb_adds(&list, "CAST(");
            sb_add_sql_ident(&list, name);
            sb_adds(&list, " AS DECIMAL(38,0)) AS ");
            sb_add_sql_ident(&list, name);
            converted = 1;
        } else {
            sb_add_sql_ident(&list, name);
        }
    }
    sb_adds(sql, converted ? list.buf : "*");
    rc = 0;
out:
    if (cols_out)
        *cols_out = cols;
    else
        json_decref(cols);
    sb_release(&q);
    sb_release(&list);
    return rc;
}
