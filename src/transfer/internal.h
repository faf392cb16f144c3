/* tallow — helpers shared by the transfer modules (not public). */
#ifndef TL_TRANSFER_INTERNAL_H
#define TL_TRANSFER_INTERNAL_H

#include "tallow/crypto.h"
#include "tallow/transfer.h"

/* Opens the folder that holds the last component of path (below dir_fd,
 * never following symlinks, creating folders when mkdirs). *leaf points
 * into path at the last component. Returns an fd or a TL_ERR_* as
 * tl_name_openat. */
int tl_name_open_parent(int dir_fd, const char *path, int mkdirs, const char **leaf);

/* Maps an errno value to TL_ERR_*. */
int tl_xfer_errno(int e);

/* Chunk count and last chunk length of a file entry. */
uint64_t tl_xfer_chunk_len(const tl_xfer_manifest *m, const tl_xfer_entry *e, uint64_t chunk);

#endif
