/*
 * banned.h - functions duckflow never calls (after git's banned.h): unbounded copies,
 * unchecked formatting, non-reentrant tokenising and the shell. Included last by every
 * .c file that wants the guard; a use becomes a compile error.
 */
#ifndef DF_BANNED_H
#define DF_BANNED_H

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef system
#define system(x) BANNED(system)
#undef popen
#define popen(x, y) BANNED(popen)
#undef gets
#define gets(x) BANNED(gets)

#endif
