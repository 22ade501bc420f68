/*
 * loc.h - a position in the pipeline file (line and column), shared by the YAML tree
 * (yamltree.h) and the pipeline structures (spec.h) without either including the other.
 */
#ifndef DF_LOC_H
#define DF_LOC_H

struct df_loc {
    int line; /* 1-based; 0 when unknown */
    int col;  /* 1-based */
};

#endif
