/*
 * s3_xml.c - element lookup and entity decoding for S3/STS responses (see s3_xml.h).
 */
#include "store/s3_xml.h"

#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

/* Finds needle in hay[0..n). */
static const char *find(const char *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    if (k > n)
        return NULL;
    for (size_t i = 0; i + k <= n; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, k) == 0)
            return hay + i;
    return NULL;
}

int df_xml_element(const char *xml, size_t len, const char *tag, size_t *pos, size_t *start,
                   size_t *end)
{
    size_t p = pos ? *pos : 0;
    struct strbuf open = STRBUF_INIT, close = STRBUF_INIT;
    sb_addf(&open, "<%s", tag);
    sb_addf(&close, "</%s>", tag);
    int rc = -1;
    while (p < len) {
        const char *o = find(xml + p, len - p, open.buf);
        if (!o)
            break;
        const char *after = o + open.len;
        size_t rest = len - (size_t)(after - xml);
        /* "<Key" must not match "<KeyCount": the name ends at '>', '/', or a space. */
        if (rest == 0 || (*after != '>' && *after != ' ' && *after != '/')) {
            p = (size_t)(after - xml);
            continue;
        }
        const char *gt = memchr(after, '>', rest);
        if (!gt)
            break;
        if (gt[-1] == '/') { /* <Tag/>: empty */
            *start = *end = (size_t)(gt + 1 - xml);
            if (pos)
                *pos = *end;
            rc = 0;
            break;
        }
        const char *body = gt + 1;
        const char *c = find(body, len - (size_t)(body - xml), close.buf);
        if (!c)
            break;
        *start = (size_t)(body - xml);
        *end = (size_t)(c - xml);
        if (pos)
            *pos = *end + close.len;
        rc = 0;
        break;
    }
    sb_release(&open);
    sb_release(&close);
    return rc;
}

static void add_utf8(struct strbuf *sb, unsigned long cp)
{
    if (cp < 0x80) {
        sb_addc(sb, (char)cp);
    } else if (cp < 0x800) {
        sb_addc(sb, (char)(0xC0 | (cp >> 6)));
        sb_addc(sb, (char)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        sb_addc(sb, (char)(0xE0 | (cp >> 12)));
        sb_addc(sb, (char)(0x80 | ((cp >> 6) & 0x3F)));
        sb_addc(sb, (char)(0x80 | (cp & 0x3F)));
    } else {
        sb_addc(sb, (char)(0xF0 | (cp >> 18)));
        sb_addc(sb, (char)(0x80 | ((cp >> 12) & 0x3F)));
        sb_addc(sb, (char)(0x80 | ((cp >> 6) & 0x3F)));
        sb_addc(sb, (char)(0x80 | (cp & 0x3F)));
    }
}

char *df_xml_text(const char *xml, size_t len, const char *tag, size_t *pos)
{
    size_t s, e;
    if (df_xml_element(xml, len, tag, pos, &s, &e) != 0)
        return NULL;
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = s; i < e; i++) {
        if (xml[i] != '&') {
            sb_addc(&sb, xml[i]);
            continue;
        }
        const char *semi = memchr(xml + i, ';', e - i);
        if (!semi) {
            sb_addc(&sb, '&');
            continue;
        }
        size_t n = (size_t)(semi - (xml + i)) + 1;
        const char *ent = xml + i;
        if (n == 5 && memcmp(ent, "&amp;", 5) == 0)
            sb_addc(&sb, '&');
        else if (n == 4 && memcmp(ent, "&lt;", 4) == 0)
            sb_addc(&sb, '<');
        else if (n == 4 && memcmp(ent, "&gt;", 4) == 0)
            sb_addc(&sb, '>');
        else if (n == 6 && memcmp(ent, "&quot;", 6) == 0)
            sb_addc(&sb, '"');
        else if (n == 6 && memcmp(ent, "&apos;", 6) == 0)
            sb_addc(&sb, '\'');
        else if (n > 3 && ent[1] == '#') {
            char num[16] = {0};
            size_t k = n - 3 < sizeof(num) - 1 ? n - 3 : sizeof(num) - 1;
            memcpy(num, ent + 2, k);
            unsigned long cp = (num[0] == 'x' || num[0] == 'X') ? strtoul(num + 1, NULL, 16)
                                                                : strtoul(num, NULL, 10);
            add_utf8(&sb, cp);
        } else {
            sb_add(&sb, ent, n);
        }
        i += n - 1;
    }
    return sb_detach(&sb);
}
