/*
 * suggest.h - "did you mean": the known name closest to a mistyped one (commands,
 * options, steps, params), by edit distance with transpositions counted as one edit.
 */
#ifndef DF_SUGGEST_H
#define DF_SUGGEST_H

#include <stddef.h>

/* Edits (insert, delete, substitute, swap two neighbours) that turn a into b. */
size_t df_edit_distance(const char *a, const char *b);

/*
 * The candidate closest to word, when it is close enough to be what was meant: at most 2
 * edits (1 for words of up to 4 characters), or word is a prefix of exactly one
 * candidate. NULL otherwise, and for word itself. candidates[n] need not be NULL.
 */
const char *df_suggest(const char *word, const char *const *candidates, size_t n);

#endif
