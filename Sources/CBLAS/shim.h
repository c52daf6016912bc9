// OpenBLAS CBLAS + LAPACKE (Debian: libopenblas-dev liblapacke-dev).
#include <cblas.h>
#include <lapacke.h>
