/*
 * uri.h - the kinds of location a pipeline or a store names: a plain path, file:///abs,
 * s3://bucket/key or gs://bucket/key. Below spec/ (which checks an input's uri), engine/
 * (which reads it) and store/; no I/O here.
 */
#ifndef DF_URI_H
#define DF_URI_H

enum df_uri_kind {
    DF_URI_PATH,   /* no scheme: a local path */
    DF_URI_FILE,   /* file://... */
    DF_URI_OBJECT, /* s3://... or gs://... */
    DF_URI_OTHER,  /* another scheme */
};

/* What uri names, from its scheme. */
enum df_uri_kind df_uri_kind(const char *uri);
/* 1 for s3:// and gs:// URIs. */
int df_uri_is_object(const char *uri);
/* The local path of a file:// uri (the text after "file://"), else uri itself. */
const char *df_uri_local_path(const char *uri);
/* "s3://bucket/a/b" -> *store_uri "s3://bucket" and *key "a/b" (both malloc'd); -1 when
 * there is no scheme, no bucket or no key separator. */
int df_uri_split_object(const char *uri, char **store_uri, char **key);

#endif
