// HDF5 serial (Debian: libhdf5-dev).
#include <hdf5/serial/hdf5.h>
