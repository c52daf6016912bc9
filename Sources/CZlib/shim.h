// zlib (Debian: zlib1g-dev), used by VigilData to read .txt.gz mirrors.
#include <zlib.h>
