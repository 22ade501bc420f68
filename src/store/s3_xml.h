/*
 * s3_xml.h - just enough XML for S3 and STS responses: find an element's text by tag
 * name and decode the five predefined entities and numeric references. The responses
 * are flat and machine-written; this is no general XML parser.
 */
#ifndef DF_S3_XML_H
#define DF_S3_XML_H

#include <stddef.h>

#include "util/strbuf.h"

/* The decoded text of the first <tag>...</tag> in xml[0..len) at or after *pos (a byte
 * offset, may be NULL for 0), or NULL when there is none. On success *pos (when given)
 * moves past the closing tag. Returns a malloc'd string (free()). */
char *df_xml_text(const char *xml, size_t len, const char *tag, size_t *pos);
/* Like df_xml_text but returns the raw inner span of the element as [*start, *end) without
 * decoding, for nested elements such as <Contents>; 0 when found, -1 otherwise. */
int df_xml_element(const char *xml, size_t len, const char *tag, size_t *pos, size_t *start,
                   size_t *end);

#endif
