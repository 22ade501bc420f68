/*
 * fuzz_s3xml.c - libFuzzer target for the S3 XML reader (store/s3_xml.c), which parses
 * whatever an object store (or something posing as one) answers: listings, errors,
 * multipart results, STS credentials. Every input is read for the tags the client asks
 * for, element by element as a listing walks them; nothing may crash, leak or hang.
 * Build with -DDUCKFLOW_FUZZ=ON (clang).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "store/s3_xml.h"
#include "util/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const tags[] = {"Code",
                                       "Message",
                                       "Key",
                                       "Size",
                                       "ETag",
                                       "UploadId",
                                       "IsTruncated",
                                       "Contents",
                                       "Upload",
                                       "NextContinuationToken",
                                       "AccessKeyId",
                                       "Expiration",
                                       "LocationConstraint"};
    const char *xml = (const char *)data;

    for (size_t t = 0; t < sizeof(tags) / sizeof(tags[0]); t++) {
        size_t pos = 0, start = 0, end = 0;
        free(df_xml_text(xml, size, tags[t], NULL));
        /* Walk the elements as a listing does, each searched for a child. */
        for (int n = 0; n < 1000 && df_xml_element(xml, size, tags[t], &pos, &start, &end) == 0;
             n++) {
            if (end < start || end > size)
                abort();
            free(df_xml_text(xml + start, end - start, "Key", NULL));
        }
    }
    {
        struct strbuf sb = STRBUF_INIT;
        char *s = malloc(size + 1);
        if (!s)
            return 0;
        for (size_t i = 0; i < size; i++)
            s[i] = data[i] ? (char)data[i] : ' ';
        s[size] = '\0';
        sb_add_markup(&sb, s);
        sb_release(&sb);
        free(s);
    }
    return 0;
}
