/* tallow — sanitising received names and opening them without escaping the
 * output folder (docs/PROTOCOL.md §6). */
#define _GNU_SOURCE
#include "transfer/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int tl_xfer_errno(int e)
{
    switch (e) {
    case 0:
        return TL_OK;
    case EACCES:
    case EPERM:
    case EROFS:
        return TL_ERR_PERM;
    case EEXIST:
    case ENOTEMPTY:
        return TL_ERR_EXISTS;
    case ENOENT:
        return TL_ERR_NOT_FOUND;
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
        return TL_ERR_NOSPACE;
    case ELOOP:
    case ENOTDIR:
    case ENAMETOOLONG:
        return TL_ERR_INVALID_ARG;
    case ENOMEM:
        return TL_ERR_NOMEM;
    default:
        return TL_ERR_IO;
    }
}

static int ieq(const char *a, size_t n, const char *b)
{
    if (strlen(b) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char x = a[i];
        if (x >= 'a' && x <= 'z')
            x = (char)(x - 'a' + 'A');
        if (x != b[i])
            return 0;
    }
    return 1;
}

/* Windows reserved device names, case-insensitive, with or without an
 * extension ("con", "Nul.txt", "COM1.tar.gz"); trailing spaces before the
 * extension are ignored as Windows does. */
static int is_device_name(const char *c, size_t n)
{
    static const char *const dev[] = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"};
    size_t base = 0;
    while (base < n && c[base] != '.')
        base++;
    while (base > 0 && c[base - 1] == ' ')
        base--;
    for (size_t i = 0; i < sizeof(dev) / sizeof(dev[0]); i++)
        if (ieq(c, base, dev[i]))
            return 1;
    if (base == 4 && (ieq(c, 3, "COM") || ieq(c, 3, "LPT")) && c[3] >= '0' && c[3] <= '9')
        return 1;
    return 0;
}

static int ends_with(const char *c, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(c + n - k, suffix, k) == 0;
}

static int check_component(const char *c, size_t n)
{
    if (n == 0 || n > TL_XFER_MAX_NAME)
        return TL_ERR_INVALID_ARG;
    if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
        return TL_ERR_INVALID_ARG;
    if (c[n - 1] == '.' || c[n - 1] == ' ')
        return TL_ERR_INVALID_ARG; /* Windows strips these: aliasing */
    for (size_t i = 0; i < n;) {
        unsigned char ch = (unsigned char)c[i];
        if (ch < 0x20 || ch == 0x7f || ch == '\\' || ch == ':')
            return TL_ERR_INVALID_ARG;
        size_t k = tl_utf8_seq((const uint8_t *)c + i, n - i);
        if (k == 0)
            return TL_ERR_INVALID_ARG;
        /* C1 controls U+0080..U+009F */
        if (k == 2 && ch == 0xc2 && (unsigned char)c[i + 1] < 0xa0)
            return TL_ERR_INVALID_ARG;
        i += k;
    }
    if (is_device_name(c, n))
        return TL_ERR_INVALID_ARG;
    /* the sink's own working files */
    if (ends_with(c, n, ".tallow-part") || ends_with(c, n, ".tallow-state") ||
        ends_with(c, n, ".tallow-state.tmp"))
        return TL_ERR_INVALID_ARG;
    return TL_OK;
}

int tl_name_check(const char *path, size_t len)
{
    if (!path || len == 0 || len > TL_XFER_MAX_PATH)
        return TL_ERR_INVALID_ARG;
    if (path[0] == '/')
        return TL_ERR_INVALID_ARG;
    if (memchr(path, '\0', len))
        return TL_ERR_INVALID_ARG;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || path[i] == '/') {
            int rc = check_component(path + start, i - start);
            if (rc != TL_OK)
                return rc;
            start = i + 1;
        }
    }
    return TL_OK;
}

/* Opens component name (n bytes) of a folder below fd, as a folder. */
static int open_dir_component(int fd, const char *name, size_t n, int mkdirs)
{
    char comp[TL_XFER_MAX_NAME + 1];
    if (n == 0 || n > TL_XFER_MAX_NAME)
        return TL_ERR_INVALID_ARG;
    memcpy(comp, name, n);
    comp[n] = '\0';
    int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int d = openat(fd, comp, flags);
    if (d < 0 && errno == ENOENT && mkdirs) {
        if (mkdirat(fd, comp, 0755) != 0 && errno != EEXIST)
            return tl_xfer_errno(errno);
        d = openat(fd, comp, flags);
    }
    if (d < 0)
        return tl_xfer_errno(errno);
    return d;
}

int tl_name_open_parent(int dir_fd, const char *path, int mkdirs, const char **leaf)
{
    if (!path || !leaf || tl_name_check(path, strlen(path)) != TL_OK)
        return TL_ERR_INVALID_ARG;
    int cur = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cur < 0)
        return tl_xfer_errno(errno);
    const char *p = path;
    const char *slash;
    while ((slash = strchr(p, '/')) != NULL) {
        int next = open_dir_component(cur, p, (size_t)(slash - p), mkdirs);
        close(cur);
        if (next < 0)
            return next;
        cur = next;
        p = slash + 1;
    }
    *leaf = p;
    return cur;
}

int tl_name_openat(int dir_fd, const char *path, int flags, unsigned mode, int mkdirs)
{
    const char *leaf;
    int parent = tl_name_open_parent(dir_fd, path, mkdirs, &leaf);
    if (parent < 0)
        return parent;
    int fd = openat(parent, leaf, flags | O_NOFOLLOW | O_CLOEXEC, (mode_t)mode);
    int e = errno;
    close(parent);
    if (fd < 0)
        return tl_xfer_errno(e);
    return fd;
}
