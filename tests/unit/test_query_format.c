/*
 * test_query_format.c - unit tests of src/query/format.c: the table, CSV and JSON-lines
 * printers of `duckflow query` and their escaping, on rows given as strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "query/format.h"
#include "util/strbuf.h"

/* Prints rows through a df_fmt into memory and returns the text (free()). */
static char *render(enum df_format format, size_t ncols, const char *const *names,
                    const enum df_col_kind *kinds, const char *const *cells, size_t nrows,
                    size_t max_width)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct df_fmt fmt;
    assert_non_null(f);
    df_fmt_begin(&fmt, format, f, ncols, names, kinds, max_width);
    for (size_t r = 0; r < nrows; r++)
        df_fmt_row(&fmt, cells + r * ncols);
    assert_int_equal(df_fmt_end(&fmt), 0);
    df_fmt_release(&fmt);
    fclose(f);
    return buf;
}

static void formats_parse(void **state)
{
    (void)state;
    assert_int_equal(df_format_parse("table"), DF_FORMAT_TABLE);
    assert_int_equal(df_format_parse("csv"), DF_FORMAT_CSV);
    assert_int_equal(df_format_parse("json"), DF_FORMAT_JSON);
    assert_int_equal(df_format_parse("parquet"), DF_FORMAT_PARQUET);
    assert_int_equal(df_format_parse("xml"), -1);
    assert_int_equal(df_format_parse(NULL), -1);
}

static void csv_quotes_only_when_needed(void **state)
{
    static const char *const names[] = {"a", "b,c"};
    static const char *const cells[] = {"plain", "has,comma",  "say \"hi\"",
                                        NULL,    "two\nlines", " padded"};
    char *out = render(DF_FORMAT_CSV, 2, names, NULL, cells, 3, 0);
    (void)state;
    assert_string_equal(out, "a,\"b,c\"\n"
                             "plain,\"has,comma\"\n"
                             "\"say \"\"hi\"\"\",\n"
                             "\"two\nlines\",\" padded\"\n");
    free(out);
}

static void json_lines_typed_and_escaped(void **state)
{
    static const char *const names[] = {"s", "n", "b", "q\"k"};
    static const enum df_col_kind kinds[] = {DF_COL_TEXT, DF_COL_NUMBER, DF_COL_BOOL, DF_COL_TEXT};
    static const char *const cells[] = {"tab\there \\ \"q\"", "-12.50", "true",  NULL,
                                        "\x01\xc3\xa9\xff",   "inf",    "maybe", "x"};
    char *out = render(DF_FORMAT_JSON, 4, names, kinds, cells, 2, 0);
    (void)state;
    assert_string_equal(
        out, "{\"s\":\"tab\\there \\\\ \\\"q\\\"\",\"n\":-12.50,\"b\":true,\"q\\\"k\":null}\n"
             "{\"s\":\"\\u0001\xc3\xa9\\ufffd\",\"n\":\"inf\",\"b\":\"maybe\","
             "\"q\\\"k\":\"x\"}\n");
    free(out);
}

static void json_numbers_recognised(void **state)
{
    (void)state;
    assert_true(df_fmt_is_json_number("0"));
    assert_true(df_fmt_is_json_number("-1.5e10"));
    assert_true(df_fmt_is_json_number("123.000"));
    assert_false(df_fmt_is_json_number("01"));
    assert_false(df_fmt_is_json_number("nan"));
    assert_false(df_fmt_is_json_number("-inf"));
    assert_false(df_fmt_is_json_number("1."));
    assert_false(df_fmt_is_json_number(""));
}

static void table_aligns_numbers_right_and_shows_null(void **state)
{
    static const char *const names[] = {"name", "total"};
    static const enum df_col_kind kinds[] = {DF_COL_TEXT, DF_COL_NUMBER};
    static const char *const cells[] = {"a", "1.50", "longer", NULL, "\xc3\xa9t\xc3\xa9", "12345"};
    char *out = render(DF_FORMAT_TABLE, 2, names, kinds, cells, 3, 0);
    (void)state;
    assert_string_equal(out, " name   | total\n"
                             "--------+-------\n"
                             " a      |  1.50\n"
                             " longer |  NULL\n"
                             " \xc3\xa9t\xc3\xa9    | 12345\n"
                             "(3 rows)\n");
    free(out);
}

static void table_cuts_wide_cells_and_escapes_controls(void **state)
{
    static const char *const names[] = {"c"};
    static const char *const cells[] = {"abcdefghijklmnop", "a\nb\tc"};
    char *out = render(DF_FORMAT_TABLE, 1, names, NULL, cells, 2, 10);
    (void)state;
    assert_string_equal(out, " c\n"
                             "------------\n"
                             " abcdefg...\n"
                             " a\\nb\\tc\n"
                             "(2 rows)\n");
    free(out);
}

static void table_of_no_rows(void **state)
{
    static const char *const names[] = {"x"};
    char *out = render(DF_FORMAT_TABLE, 1, names, NULL, NULL, 0, 0);
    (void)state;
    assert_string_equal(out, " x\n---\n(0 rows)\n");
    free(out);
}

static void html_and_widths(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    (void)state;
    df_fmt_html(&sb, "<a href='x'>&\"</a>");
    assert_string_equal(sb.buf, "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
    sb_release(&sb);
    assert_int_equal(df_fmt_width("\xc3\xa9t\xc3\xa9"), 3);
    assert_int_equal(df_fmt_width(""), 0);
    assert_int_equal(df_fmt_width(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(formats_parse),
        cmocka_unit_test(csv_quotes_only_when_needed),
        cmocka_unit_test(json_lines_typed_and_escaped),
        cmocka_unit_test(json_numbers_recognised),
        cmocka_unit_test(table_aligns_numbers_right_and_shows_null),
        cmocka_unit_test(table_cuts_wide_cells_and_escapes_controls),
        cmocka_unit_test(table_of_no_rows),
        cmocka_unit_test(html_and_widths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
