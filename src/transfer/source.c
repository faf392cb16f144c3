/* tallow — sender file source: builds the manifest from disk (one hashing
 * pass per file, bounded memory) and reads chunks with pread, detecting a
 * vanished or changed file (docs/PROTOCOL.md §8). */
#define _GNU_SOURCE
#include "transfer/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 64

struct tl_source {
    const tl_xfer_manifest *m;
    uint32_t file; /* entry of fd */
    int fd;
    char err[200];
};

static int read_full(int fd, uint8_t *buf, size_t len, uint64_t off, size_t *got)
{
    size_t n = 0;
    while (n < len) {
        ssize_t r = pread(fd, buf + n, len - n, (off_t)(off + n));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return tl_xfer_errno(errno);
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *got = n;
    return TL_OK;
}

/* Hashes one open regular file: chunk hashes + whole-file SHA-256. */
static int hash_file(int fd, uint64_t size, uint32_t chunk, uint8_t **hashes, uint8_t sha[32])
{
    uint64_t nchunks = (size + chunk - 1) / chunk;
    uint8_t *h = nchunks ? malloc((size_t)nchunks * 32) : NULL;
    uint8_t *buf = malloc(chunk);
    tl_sha256_ctx *c = NULL;
    int rc = ((nchunks && !h) || !buf) ? TL_ERR_NOMEM : tl_sha256_new(&c);
    for (uint64_t i = 0; rc == TL_OK && i < nchunks; i++) {
        size_t want = i + 1 < nchunks ? chunk : (size_t)(size - i * chunk), got = 0;
        rc = read_full(fd, buf, want, i * chunk, &got);
        if (rc == TL_OK && got != want)
            rc = TL_ERR_IO; /* shrank while hashing */
        if (rc == TL_OK &&
            (tl_sha256_update(c, buf, want) != TL_OK || tl_sha256(h + i * 32, buf, want) != TL_OK))
            rc = TL_ERR_CRYPTO;
    }
    if (rc == TL_OK)
        rc = tl_sha256_final(c, sha);
    tl_sha256_free(c);
    free(buf);
    if (rc != TL_OK) {
        free(h);
        h = NULL;
    }
    *hashes = h;
    return rc;
}

static int add_file(tl_xfer_manifest *m, const char *disk, const char *name)
{
    int fd = open(disk, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return tl_xfer_errno(errno);
    struct stat a, b;
    uint8_t *hashes = NULL, sha[32];
    int rc = fstat(fd, &a) == 0 ? TL_OK : tl_xfer_errno(errno);
    if (rc == TL_OK && !S_ISREG(a.st_mode))
        rc = TL_ERR_INVALID_ARG;
    if (rc == TL_OK)
        rc = hash_file(fd, (uint64_t)a.st_size, m->chunk_size, &hashes, sha);
    if (rc == TL_OK &&
        (fstat(fd, &b) != 0 || b.st_size != a.st_size || b.st_mtim.tv_sec != a.st_mtim.tv_sec ||
         b.st_mtim.tv_nsec != a.st_mtim.tv_nsec))
        rc = TL_ERR_IO; /* changed while hashing */
    close(fd);
    if (rc == TL_OK)
        rc = tl_xfer_manifest_add_file(m, name, (uint32_t)(a.st_mode & 0777), (uint64_t)a.st_size,
                                       (uint64_t)a.st_mtim.tv_sec, sha, hashes, disk);
    free(hashes);
    return rc;
}

static char *path_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + 1 + lb + 1);
    if (s) {
        memcpy(s, a, la);
        s[la] = '/';
        memcpy(s + la + 1, b, lb + 1);
    }
    return s;
}

static int add_any(tl_xfer_manifest *m, const char *disk, const char *name, int depth, int follow);

static int add_dir(tl_xfer_manifest *m, const char *disk, const char *name, mode_t mode, int depth)
{
    if (depth > MAX_DEPTH)
        return TL_ERR_LIMIT;
    int rc = tl_xfer_manifest_add_dir(m, name, (uint32_t)(mode & 0777));
    struct dirent **list = NULL;
    int n = rc == TL_OK ? scandir(disk, &list, NULL, alphasort) : 0;
    if (n < 0)
        return tl_xfer_errno(errno);
    for (int i = 0; i < n; i++) {
        const char *d = list[i]->d_name;
        if (rc == TL_OK && strcmp(d, ".") != 0 && strcmp(d, "..") != 0) {
            char *cd = path_join(disk, d), *cn = path_join(name, d);
            rc = (cd && cn) ? add_any(m, cd, cn, depth + 1, 0) : TL_ERR_NOMEM;
            free(cd);
            free(cn);
        }
        free(list[i]);
    }
    free(list);
    return rc;
}

static int add_any(tl_xfer_manifest *m, const char *disk, const char *name, int depth, int follow)
{
    struct stat st;
    if ((follow ? stat(disk, &st) : lstat(disk, &st)) != 0)
        return tl_xfer_errno(errno);
    if (tl_name_check(name, strlen(name)) != TL_OK)
        return TL_ERR_INVALID_ARG;
    if (S_ISDIR(st.st_mode))
        return add_dir(m, disk, name, st.st_mode, depth);
    if (S_ISREG(st.st_mode))
        return add_file(m, disk, name);
    return TL_OK; /* symlinks, devices, sockets inside folders are skipped */
}

int tl_source_add_path(tl_xfer_manifest *m, const char *disk_path, const char *name)
{
    if (!m || !disk_path || !name)
        return TL_ERR_INVALID_ARG;
    return add_any(m, disk_path, name, 0, 1);
}

int tl_source_new(tl_source **out, const tl_xfer_manifest *m)
{
    if (!out || !m)
        return TL_ERR_INVALID_ARG;
    tl_source *s = calloc(1, sizeof(*s));
    if (!s)
        return TL_ERR_NOMEM;
    s->m = m;
    s->fd = -1;
    *out = s;
    return TL_OK;
}

void tl_source_free(tl_source *s)
{
    if (!s)
        return;
    if (s->fd >= 0)
        close(s->fd);
    free(s);
}

const char *tl_source_last_error(const tl_source *s)
{
    return s ? s->err : "no source";
}

__attribute__((format(printf, 2, 3))) static void set_err(tl_source *s, const char *fmt, ...);

static void set_err(tl_source *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof(s->err), fmt, ap);
    va_end(ap);
}

/* The file still has the size and mtime the manifest promised. */
static int still_same(tl_source *s, const tl_xfer_entry *e)
{
    struct stat st;
    if (fstat(s->fd, &st) != 0)
        return tl_xfer_errno(errno);
    if ((uint64_t)st.st_size != e->size || (uint64_t)st.st_mtim.tv_sec != e->mtime) {
        set_err(s, "%s changed since it was hashed (size or mtime)", e->path);
        return TL_ERR_IO;
    }
    if (st.st_nlink == 0) {
        set_err(s, "%s was deleted while being sent", e->path);
        return TL_ERR_NOT_FOUND;
    }
    return TL_OK;
}

int tl_source_read(tl_source *s, uint32_t file, uint64_t offset, uint8_t *buf, size_t len)
{
    if (!s || !buf || file >= s->m->count || s->m->entries[file].kind != TL_XFER_FILE)
        return TL_ERR_INVALID_ARG;
    const tl_xfer_entry *e = &s->m->entries[file];
    if (offset > e->size || len > e->size - offset || !e->src_path)
        return TL_ERR_INVALID_ARG;
    if (s->fd < 0 || s->file != file) {
        if (s->fd >= 0)
            close(s->fd);
        s->fd = open(e->src_path, O_RDONLY | O_CLOEXEC);
        if (s->fd < 0) {
            int rc = tl_xfer_errno(errno);
            set_err(s, "cannot open %s: %s", e->path,
                    rc == TL_ERR_NOT_FOUND ? "the source file vanished" : tl_strerror(rc));
            return rc;
        }
        s->file = file;
        int rc = still_same(s, e);
        if (rc != TL_OK)
            return rc;
    }
    size_t got = 0;
    int rc = read_full(s->fd, buf, len, offset, &got);
    if (rc == TL_OK && got != len) {
        set_err(s, "%s is shorter than when it was hashed", e->path);
        rc = TL_ERR_IO;
    }
    if (rc == TL_OK && offset + len == e->size)
        rc = still_same(s, e);
    else if (rc != TL_OK && !s->err[0])
        set_err(s, "reading %s: %s", e->path, tl_strerror(rc));
    return rc;
}
